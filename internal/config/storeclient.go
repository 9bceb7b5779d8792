package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// Clients registered at run time (in the store, through the admin API) are
// written as the same document a client of the file is: the keys of one
// entry under clients, as a JSON object. ParseClient reads one strictly and
// FinishClient holds it to exactly the rules a client of the file meets
// (validate_client.go, profiles, resources, token overrides, DPoP), with
// errors naming the field as they do for the file.

// ParseClient reads a client's settings document: a JSON object (YAML
// works too) with the keys of a client in the configuration file. An
// unknown key is an error, as in the file. It returns the client, not yet
// finished, and the document normalised for storage: compact JSON with
// its keys sorted and without secret or secret_hash, which are never
// stored with the settings.
func ParseClient(doc []byte) (*Client, []byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal(doc, &m); err != nil || m == nil {
		return nil, nil, &Error{Problems: []Problem{{Field: "client", Reason: "must be an object with the keys of a client in the configuration file"}}}
	}
	// Compact JSON is one line of flow YAML: no tabs, no indentation for
	// the strict decoder below to trip on.
	flat, err := json.Marshal(m)
	if err != nil {
		return nil, nil, &Error{Problems: []Problem{{Field: "client", Reason: "cannot be written as JSON: use string keys"}}}
	}
	cl := &Client{}
	dec := yaml.NewDecoder(bytes.NewReader(flat))
	dec.KnownFields(true)
	if err := dec.Decode(cl); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, clientYAMLError(err)
	}
	cl.given = make(map[string]bool, len(m))
	for k := range m {
		cl.given[k] = true
	}
	delete(m, "secret")
	delete(m, "secret_hash")
	norm, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return cl, norm, nil
}

// clientYAMLError is yamlError without line numbers, which mean nothing in
// a one-line document: the field is named in the reason.
func clientYAMLError(err error) error {
	var ce *Error
	if !errors.As(yamlError(err), &ce) {
		return err
	}
	for i := range ce.Problems {
		p := &ce.Problems[i]
		if strings.HasPrefix(p.Field, "line ") {
			p.Field = "client"
			p.Reason = strings.TrimSuffix(p.Reason, " (check the spelling against examples/tollgate.yaml)")
		}
	}
	return ce
}

// NeedsSecret reports whether cl, once finished, authenticates with a
// client secret (client_secret_basic or client_secret_post), so that the
// admin API can generate one when none is given.
func (c *Config) NeedsSecret(cl *Client) bool {
	tmp := *cl
	tmp.applyDefaults(c.Tokens)
	return tmp.AuthMethod == AuthSecretBasic || tmp.AuthMethod == AuthSecretPost
}

// FinishClient applies the defaults to cl and checks it against c, by the
// rules of a client in the file, as Finish does for each of those; a plain
// Secret is then hashed into SecretHash and dropped. On failure it returns
// an *Error whose fields are the client's keys ("redirect_uris[0]",
// "tokens.access_token_lifetime"), and cl must not be used.
//
// Three rules are added for a client outside the file: its id must not be
// a client of the file's (those stay read-only), it may not hold the
// tollgate:admin scope (admin power stays in the file), and its access and ID
// tokens may not outlive the longest the file allows (LongestTokenLifetime),
// because that bounds how long a retired signing key stays published.
func (c *Config) FinishClient(cl *Client) error {
	cl.applyDefaults(c.Tokens)
	if cl.DPoPSigningAlgs == nil {
		cl.DPoPSigningAlgs = c.DPoP.SigningAlgs
	}
	const path = "client"
	var ck checker
	cl.validate(&ck, path)
	if _, ok := c.Client(cl.ID); ok && cl.ID != "" {
		ck.add(path+".id", "is a client of the configuration file; those are read-only")
	}
	// The id is a path segment of the admin API (/api/v1/clients/{id}).
	if !APISegment(cl.ID) {
		ck.add(path+".id", "%q cannot be managed through the admin API: no \"/\", and not \".\" or \"..\"", cl.ID)
	}
	// The admin API's own power stays rooted in the file: a client created
	// through it cannot be given the scope that calls it (the admin
	// listener accepts that scope only from the file's clients).
	if cl.AllowsScope(ScopeAdmin) {
		ck.add(path+".scopes", "%q is only for clients of the configuration file", ScopeAdmin)
	}
	if p := cl.TokensOverride; p != nil {
		checkAlg(&ck, path+".tokens.signing_alg", deref(p.SigningAlg))
		checkAlg(&ck, path+".tokens.access_token_signing_alg", deref(p.AccessTokenSigningAlg))
		if checkTokens(&ck, path+".tokens", cl.Tokens) {
			longest := c.LongestTokenLifetime()
			if cl.Tokens.AccessTokenLifetime > longest {
				ck.add(path+".tokens.access_token_lifetime", "is %v, longer than the longest the configuration allows (%v): a retired signing key stays published only that long", cl.Tokens.AccessTokenLifetime, longest)
			}
			if cl.Tokens.IDTokenLifetime > longest {
				ck.add(path+".tokens.id_token_lifetime", "is %v, longer than the longest the configuration allows (%v): a retired signing key stays published only that long", cl.Tokens.IDTokenLifetime, longest)
			}
		}
	}
	checkAlg(&ck, path+".id_token_signed_response_alg", cl.IDTokenSignedResponseAlg)
	checkDPoPAlgs(&ck, path+".dpop_signing_alg_values", cl.DPoPSigningAlgs, c.DPoP.SigningAlgs)
	byURI := make(map[string]*Resource, len(c.Resources))
	for i := range c.Resources {
		byURI[c.Resources[i].URI] = &c.Resources[i]
	}
	cl.resources = nil
	for j, uri := range cl.Resources {
		p := path + ".resources[" + strconv.Itoa(j) + "]"
		r, ok := byURI[uri]
		switch {
		case !ok:
			ck.add(p, "%q is not one of the resources defined under resources", uri)
		case slices.Index(cl.Resources, uri) < j:
			ck.add(p, "%q is listed twice", uri)
		}
		cl.resources = append(cl.resources, r)
	}
	// validate_subjects.go: a client's id must not pass for a user's sub.
	if u, ok := c.UserBySubject(cl.ID); ok && cl.ID != "" {
		ck.add(path+".id", "equals the subject of user %q: a client's own access tokens carry its id as sub (RFC 9068 §2.2), so they would pass for that user's (RFC 9068 §5)", u.Username)
	}
	if len(ck.problems) > 0 {
		for i := range ck.problems {
			ck.problems[i].Field = strings.TrimPrefix(ck.problems[i].Field, path+".")
		}
		return &Error{Problems: ck.problems}
	}
	if cl.Secret != "" {
		cl.SecretHash = secret.HashClientSecret(cl.Secret)
		cl.Secret = ""
	}
	return nil
}

// ClientDocument returns cl's settings as the JSON object ParseClient
// reads, with the keys of the file, leaving out what is unset and always
// the secret and its hash: for listing the file's clients beside the
// store's.
func ClientDocument(cl *Client) (json.RawMessage, error) {
	y, err := yaml.Marshal(cl)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(y, &m); err != nil {
		return nil, err
	}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case bool:
			if !x {
				delete(m, k)
			}
		case string:
			if x == "" {
				delete(m, k)
			}
		case map[string]any:
			if len(x) == 0 {
				delete(m, k)
			}
		case []any:
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
	delete(m, "secret")
	delete(m, "secret_hash")
	return json.Marshal(m)
}

// Origins are the browser origins (scheme://host[:port], host in lower
// case) of the client's redirect URIs: where its pages may call the token,
// revocation and userinfo endpoints from (CORS), as Keycloak's "+" web
// origin allows.
func (cl *Client) Origins() []string {
	var out []string
	for _, ru := range cl.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			continue
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out
}

// APISegment reports whether s can be one path segment of the admin API
// (/api/v1/clients/{id}, /api/v1/users/{username}): "/" would split it,
// and the router would clean "." or ".." away, leaving a record no one
// could change or disable.
func APISegment(s string) bool { return s != "." && s != ".." && !strings.Contains(s, "/") }
