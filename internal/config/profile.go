package config

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// ProfileHelseID is the high-assurance profile of the Norwegian health
// sector's identity provider, which Tollgate is modelled on: one setting
// that turns on, together, everything that profile asks of a client.
const ProfileHelseID = "helseid"

// A profile's rule: a client setting it fixes. set applies it to a client
// that left the setting out; bad says how a client's own value contradicts
// it ("" when it does not), and key is that setting's name, so that the
// refusal names it.
type profileRule struct {
	key string
	set func(cl *Client)
	bad func(cl *Client) string
}

// helseIDRules are what `profile: helseid` turns on (issue 11):
// private_key_jwt only, PAR with signed request objects, PKCE S256 (the
// only method the server takes, RFC 9700 §2.1.1), DPoP for access and
// refresh tokens, resource indicators allowed, and neither the hybrid flow
// nor the password grant.
var helseIDRules = []profileRule{
	{"type", func(cl *Client) { cl.Type = ClientConfidential }, func(cl *Client) string {
		if cl.Type != "" && cl.Type != ClientConfidential {
			return "the profile is for confidential clients, which authenticate with private_key_jwt"
		}
		return ""
	}},
	{"auth_method", func(cl *Client) { cl.AuthMethod = AuthPrivateKeyJWT }, func(cl *Client) string {
		if cl.AuthMethod != "" && cl.AuthMethod != AuthPrivateKeyJWT {
			return "the profile authenticates clients with private_key_jwt only"
		}
		return ""
	}},
	{"require_par", func(cl *Client) { cl.RequirePAR = true }, func(cl *Client) string {
		if !cl.RequirePAR {
			return "the profile requires pushed authorization requests (RFC 9126)"
		}
		return ""
	}},
	{"require_signed_request_object", func(cl *Client) { cl.RequireSignedRequestObject = true }, func(cl *Client) string {
		if !cl.RequireSignedRequestObject {
			return "the profile requires signed request objects (RFC 9101)"
		}
		return ""
	}},
	{"require_pkce", func(cl *Client) { cl.RequirePKCE = true }, func(cl *Client) string {
		if !cl.RequirePKCE {
			return "the profile requires PKCE with S256 (RFC 7636)"
		}
		return ""
	}},
	{"grant_types", nil, func(cl *Client) string {
		if slices.Contains(cl.GrantTypes, GrantPassword) {
			return "the profile has no password grant: users sign in through the browser"
		}
		return ""
	}},
	// RFC 9449: DPoP for access and refresh tokens (config/dpop.go).
	{"require_dpop", func(cl *Client) { cl.RequireDPoP = true }, func(cl *Client) string {
		if !cl.RequireDPoP {
			return "the profile requires a DPoP proof with every token request (RFC 9449)"
		}
		return ""
	}},
	{"dpop_bound_refresh_tokens", nil, func(cl *Client) string {
		if !cl.BindsRefreshTokens() {
			return "the profile binds refresh tokens to the client's DPoP key (RFC 9449 §5)"
		}
		return ""
	}},
	{"response_types", nil, func(cl *Client) string {
		for _, rt := range cl.ResponseTypes {
			if rt != ResponseCode {
				return "the profile has no hybrid flow: response_types must be [code]"
			}
		}
		return ""
	}},
}

// profileRules are the rules of a named profile, nil for none.
func profileRules(name string) []profileRule {
	if name == ProfileHelseID {
		return helseIDRules
	}
	return nil
}

// applyProfile sets what the client's profile fixes, where the client left
// the setting out. It runs before the other defaults, so a profile's
// private_key_jwt is not first defaulted to client_secret_basic. A setting
// the client gave is left as written, for checkProfile to judge.
func (cl *Client) applyProfile() {
	for _, r := range profileRules(cl.Profile) {
		if r.set != nil && !cl.given[r.key] && cl.isZero(r.key) {
			r.set(cl)
		}
	}
}

// isZero reports whether the setting key is still at its zero value: a
// Config built in code has no record of the keys given.
func (cl *Client) isZero(key string) bool {
	switch key {
	case "type":
		return cl.Type == ""
	case "auth_method":
		return cl.AuthMethod == ""
	}
	return true
}

// checkProfile refuses a client that names an unknown profile, or sets a
// profile and then contradicts it, naming each conflict.
func (cl *Client) checkProfile(ck *checker, path string) {
	if cl.Profile == "" {
		return
	}
	rules := profileRules(cl.Profile)
	if rules == nil {
		ck.add(path+".profile", "%q is not a profile; the one profile is %q", cl.Profile, ProfileHelseID)
		return
	}
	for _, r := range rules {
		if why := r.bad(cl); why != "" {
			ck.add(path+"."+r.key, "contradicts profile: %s: %s; remove the setting or the profile", cl.Profile, why)
		}
	}
}

// clientKeysOf lists, per client in data (which decoded already), the keys
// the file gives it, so that a profile can tell "require_par: false" from a
// key left out. It returns nil when the file has no clients list.
func clientKeysOf(data []byte) []map[string]bool {
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil {
		return nil
	}
	n, ok := top["clients"]
	if !ok || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]map[string]bool, len(n.Content))
	for i, c := range n.Content {
		keys := map[string]bool{}
		for j := 0; c.Kind == yaml.MappingNode && j+1 < len(c.Content); j += 2 {
			keys[c.Content[j].Value] = true
		}
		out[i] = keys
	}
	return out
}
