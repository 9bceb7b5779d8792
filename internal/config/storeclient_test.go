package config

import (
	"errors"
	"strings"
	"testing"
)

// finishDoc parses and finishes one client document against a loaded
// configuration, as the admin API does.
func finishDoc(t *testing.T, c *Config, doc string) (*Client, []byte, error) {
	t.Helper()
	cl, norm, err := ParseClient([]byte(doc))
	if err != nil {
		return nil, nil, err
	}
	return cl, norm, c.FinishClient(cl)
}

func loadedConfig(t *testing.T) *Config {
	t.Helper()
	c := validConfig(t)
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFinishClientRefusesWhatTheFileRefuses: a client outside the file is
// held to the file's rules, and each refusal names the key at fault.
func TestFinishClientRefusesWhatTheFileRefuses(t *testing.T) {
	c := loadedConfig(t)
	for _, tc := range []struct{ name, doc, field, reason string }{
		{"bad redirect URI", `{"id":"x","redirect_uris":["http://app.example.com/cb"]}`, "redirect_uris[0]", "non-loopback"},
		{"public with offline access", `{"id":"x","type":"public","redirect_uris":["https://a.example/cb"],"allow_offline_access":true}`, "allow_offline_access", "public clients never receive refresh tokens"},
		{"short secret", `{"id":"x","grant_types":["client_credentials"],"secret":"short"}`, "secret", "at least"},
		{"private key in jwks", `{"id":"x","auth_method":"private_key_jwt","grant_types":["client_credentials"],"jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}}`, "jwks", "private or symmetric"},
		{"unknown resource", `{"id":"x","grant_types":["client_credentials"],"secret_hash":"` + testSecretHash + `","resources":["https://api.nowhere"]}`, "resources[0]", "not one of the resources"},
		{"a file client's id", `{"id":"svc","grant_types":["client_credentials"],"secret_hash":"` + testSecretHash + `"}`, "id", "configuration file"},
		{"a user's subject", `{"id":"sub-bob","grant_types":["client_credentials"],"secret_hash":"` + testSecretHash + `"}`, "id", "RFC 9068"},
		{"token outliving the keys", `{"id":"x","grant_types":["client_credentials"],"secret_hash":"` + testSecretHash + `","tokens":{"access_token_lifetime":"24h"}}`, "tokens.access_token_lifetime", "longest"},
		{"the admin scope", `{"id":"x","grant_types":["client_credentials"],"scopes":["tollgate:admin"],"secret_hash":"` + testSecretHash + `"}`, "scopes", "configuration file"},
		{"unknown key", `{"id":"x","alow_offline_access":true}`, "client", `"alow_offline_access"`},
		{"not an object", `[1,2]`, "client", "object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := finishDoc(t, c, tc.doc)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			for _, p := range ce.Problems {
				if p.Field == tc.field && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Fatalf("problems %v, want %s: ...%s...", ce.Problems, tc.field, tc.reason)
		})
	}
}

func TestFinishClientAcceptsAndHashes(t *testing.T) {
	c := loadedConfig(t)
	cl, norm, err := finishDoc(t, c, `{"id":"new","grant_types":["client_credentials"],"secret":"`+testSecret+`"}`)
	if err != nil {
		t.Fatalf("FinishClient: %v", err)
	}
	if cl.Secret != "" || cl.SecretHash == "" || cl.AuthMethod != AuthSecretBasic || cl.Tokens.AccessTokenLifetime != c.Tokens.AccessTokenLifetime {
		t.Errorf("finished client: %+v", cl)
	}
	if strings.Contains(string(norm), `"secret`) {
		t.Errorf("normalised document keeps the secret: %s", norm)
	}
	if !c.NeedsSecret(&Client{ID: "y"}) || c.NeedsSecret(&Client{ID: "y", Type: ClientPublic}) {
		t.Error("NeedsSecret: a confidential client by default needs one, a public one not")
	}
	svc, _ := c.Client("svc")
	doc, err := ClientDocument(svc)
	if err != nil || strings.Contains(string(doc), `"secret`) || strings.Contains(string(doc), `"jwks"`) || !strings.Contains(string(doc), `"client_credentials"`) {
		t.Errorf("ClientDocument(svc) = %s, %v", doc, err)
	}
}
