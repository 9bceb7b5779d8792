package config

import (
	"strings"
	"testing"
)

// profileClient is a client on the helseid profile that says nothing else
// the profile fixes; extra is YAML added to it.
func profileYAML(extra string) []byte {
	return []byte(`
issuer: https://login.example.com
clients:
  - id: journal
    profile: helseid
    jwks:
      keys:
        - {kty: EC, crv: P-256, kid: j1, x: Y-cTjPx6ESxAu83ySYZRNph_d8PEhZR8OW_OqiYtiVM, y: 5nZOlyrw-3SZWLBYCM3R59SJgPY6NO1MNcAdL8fUPvY}
    redirect_uris: [https://journal.example.com/cb]
    scopes: [openid, offline_access]
    allow_offline_access: true
` + extra)
}

func TestProfileTurnsItsSettingsOn(t *testing.T) {
	c, err := Parse(profileYAML(""))
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := c.Client("journal")
	if cl.Type != ClientConfidential || cl.AuthMethod != AuthPrivateKeyJWT || !cl.RequirePAR || !cl.RequirePKCE {
		t.Errorf("profile helseid gave type %q, auth_method %q, require_par %v, require_pkce %v; want confidential, private_key_jwt, true, true",
			cl.Type, cl.AuthMethod, cl.RequirePAR, cl.RequirePKCE)
	}

	// Built in code there is no record of the keys given: the profile's
	// settings are turned on all the same.
	code := validConfig(t)
	code.Clients[3].Profile = ProfileHelseID
	code.Clients[3].GrantTypes = []string{GrantAuthorizationCode}
	code.Clients[3].RedirectURIs = []string{"https://jwt.example.com/cb"}
	if err := code.Finish(); err != nil {
		t.Fatal(err)
	}
	if cl := code.Clients[3]; !cl.RequirePAR || !cl.RequirePKCE {
		t.Errorf("profile in code: require_par %v, require_pkce %v; want both true", cl.RequirePAR, cl.RequirePKCE)
	}
}

// A client that sets the profile and then contradicts it is refused, and
// the error names each conflicting setting.
func TestProfileRefusesWhatContradictsIt(t *testing.T) {
	for _, tc := range []struct{ extra, field, why string }{
		{"    auth_method: client_secret_basic\n", "auth_method", "private_key_jwt only"},
		{"    type: public\n", "type", "confidential clients"},
		{"    require_par: false\n", "require_par", "pushed authorization requests"},
		{"    require_pkce: false\n", "require_pkce", "PKCE"},
		{"    grant_types: [authorization_code, refresh_token, password]\n", "grant_types", "no password grant"},
		{"    response_types: [code, code id_token]\n", "response_types", "no hybrid flow"},
	} {
		_, err := Parse(profileYAML(tc.extra))
		want := `clients[0] "journal".` + tc.field + `: contradicts profile: helseid: `
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("with %q: err = %v\nwant it to contain %q and %q", strings.TrimSpace(tc.extra), err, want, tc.why)
		}
	}
	// Several at once: each is named.
	_, err := Parse(profileYAML("    require_par: false\n    grant_types: [authorization_code, refresh_token, password]\n"))
	if err == nil || !strings.Contains(err.Error(), ".require_par: contradicts") || !strings.Contains(err.Error(), ".grant_types: contradicts") {
		t.Errorf("two conflicts: err = %v, want both named", err)
	}
	// Settings that agree with the profile are fine.
	if _, err := Parse(profileYAML("    require_par: true\n    auth_method: private_key_jwt\n    response_types: [code]\n")); err != nil {
		t.Errorf("settings that agree: %v", err)
	}
}

func TestUnknownProfile(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(string(profileYAML("")), "profile: helseid", "profile: fapi9", 1)))
	if err == nil || !strings.Contains(err.Error(), `clients[0] "journal".profile: "fapi9" is not a profile`) {
		t.Errorf("err = %v", err)
	}
}
