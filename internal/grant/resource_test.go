package grant_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Resource indicators (RFC 8707) of the fixture: two APIs app may ask
// for, a third it may not; the journal has its own lifetime and algorithm.
const (
	resFHIR    = "https://api.example/fhir"
	resJournal = "urn:example:journal"
	resOther   = "https://other-api.example"
)

func withResources(c *config.Config) {
	c.Resources = []config.Resource{
		{URI: resFHIR, Scopes: []string{"fhir.read", "fhir.write"}},
		{URI: resJournal, Scopes: []string{"journal.read"}, AccessTokenLifetime: ptr(time.Minute), AccessTokenSigningAlg: "RS256"},
		{URI: resOther, Scopes: []string{"other.read"}},
	}
	for i := range c.Clients {
		cl := &c.Clients[i]
		if cl.ID == "app" {
			cl.Scopes = append(cl.Scopes, "fhir.read", "journal.read", "other.read")
			cl.GrantTypes = append(cl.GrantTypes, "password")
			cl.Resources = []string{resFHIR, resJournal, resOther}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func resourceFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.reconfigure(withResources)
	return f
}

// codeWithResources is a code for app that carries fhir and journal, with
// profile and both APIs' scopes, as the authorize endpoint stores it.
func (f *fixture) codeWithResources() string {
	return f.newCode(func(c *store.AuthCode) {
		c.Scopes = []string{"openid", "profile", "offline_access", "fhir.read", "journal.read"}
		c.Resources = []string{resFHIR, resJournal}
	})
}

func (f *fixture) exchangeFor(code string, resources ...string) (*grant.Response, error) {
	verifier, _ := pkce()
	return f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeAuthorizationCode, Client: f.client("app"),
		Code: code, RedirectURI: redirectApp, CodeVerifier: verifier, Resources: resources})
}

func (f *fixture) refreshFor(rt string, resources ...string) (*grant.Response, error) {
	return f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeRefreshToken, Client: f.client("app"),
		RefreshToken: rt, Resources: resources})
}

// accessToken is a verified access token, with its alg and raw claims.
type accessToken struct {
	mint.AccessClaims
	alg    string
	claims map[string]any
}

func (f *fixture) accessToken(at string) accessToken {
	f.t.Helper()
	m, _ := minter()
	c, err := m.VerifyAccessToken(at, f.clk.Now())
	if err != nil {
		f.t.Fatalf("access token: %v", err)
	}
	parts := strings.Split(at, ".")
	var hdr struct {
		Alg string `json:"alg"`
	}
	out := accessToken{AccessClaims: c}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(h, &hdr) != nil || json.Unmarshal(p, &out.claims) != nil {
		f.t.Fatalf("access token %q does not decode", at)
	}
	out.alg = hdr.Alg
	return out
}

// wantFor checks that a response's access token is for the resource: aud
// the resource alone, the scope it accepts, its lifetime and algorithm.
func (f *fixture) wantFor(resp *grant.Response, aud, scope string, life time.Duration, alg string) accessToken {
	f.t.Helper()
	at := f.accessToken(resp.AccessToken)
	if !slices.Equal(at.Audience, []string{aud}) {
		f.t.Fatalf("aud %v, want [%s]", at.Audience, aud)
	}
	if got := strings.Join(at.Scopes, " "); got != scope || resp.Scope != scope {
		f.t.Fatalf("token scope %q, response scope %q; want %q", got, resp.Scope, scope)
	}
	if got := at.ExpiresAt.Sub(f.clk.Now()); got != life || resp.ExpiresIn != int64(life/time.Second) {
		f.t.Fatalf("lifetime %v (expires_in %d), want %v", got, resp.ExpiresIn, life)
	}
	if at.alg != alg {
		f.t.Fatalf("alg %s, want %s", at.alg, alg)
	}
	return at
}

// The code exchange names one resource the code carries: the access token
// is for it alone, with its scopes only; the ID token is as ever; the grant
// keeps every resource the code carries.
func TestCodeExchangeForOneResource(t *testing.T) {
	f := resourceFixture(t)
	resp, err := f.exchangeFor(f.codeWithResources(), resFHIR)
	if err != nil {
		t.Fatal(err)
	}
	at := f.wantFor(resp, resFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
	if _, ok := at.claims["name"]; ok {
		t.Fatal("a profile claim went to an API whose token carries no profile scope")
	}
	if resp.IDToken == "" || resp.RefreshToken == "" {
		t.Fatal("the ID token or refresh token went missing")
	}
	if g := f.grantOf(resp.RefreshToken); !slices.Equal(g.Resources, []string{resFHIR, resJournal}) {
		t.Fatalf("grant resources %v", g.Resources)
	}
}

// A resource the code does not carry is invalid_target, and the code is
// not used up by it.
func TestCodeExchangeOutsideTheCode(t *testing.T) {
	f := resourceFixture(t)
	code := f.codeWithResources()
	_, err := f.exchangeFor(code, resOther) // app may ask for it, but the user granted it not
	wantOAuth(t, err, oautherr.InvalidTarget)
	_, err = f.exchangeFor(f.newCode(nil), resFHIR) // a code with no resource
	wantOAuth(t, err, oautherr.InvalidTarget)
	if _, err := f.exchangeFor(code, resJournal); err != nil {
		t.Fatalf("the code after a refused exchange: %v", err)
	}
}

// Without a resource, the token is today's: the default audience and
// every scope granted.
func TestNoResourceKeepsTheDefaultAudience(t *testing.T) {
	f := resourceFixture(t)
	resp, err := f.exchangeFor(f.codeWithResources())
	if err != nil {
		t.Fatal(err)
	}
	at := f.accessToken(resp.AccessToken)
	if !slices.Equal(at.Audience, f.h.Audience) || resp.Scope != "openid profile offline_access fhir.read journal.read" {
		t.Fatalf("aud %v scope %q", at.Audience, resp.Scope)
	}
	if at.claims["name"] != "Alice" {
		t.Fatalf("the default token lost its profile claim: %v", at.claims)
	}
}

// A refresh names any one resource granted at sign-in, one at a time:
// one refresh token serves both APIs, each token with its own lifetime and
// algorithm.
func TestRefreshPicksAnyGrantedResourceOneAtATime(t *testing.T) {
	f := resourceFixture(t)
	resp, err := f.exchangeFor(f.codeWithResources())
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.refreshFor(resp.RefreshToken, resFHIR)
	if err != nil {
		t.Fatal(err)
	}
	f.wantFor(a, resFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
	b, err := f.refreshFor(a.RefreshToken, resJournal)
	if err != nil {
		t.Fatal(err)
	}
	f.wantFor(b, resJournal, "journal.read", time.Minute, "RS256")
	if g := f.grantOf(b.RefreshToken); !slices.Equal(g.Resources, []string{resFHIR, resJournal}) {
		t.Fatalf("the grant's resources changed: %v", g.Resources)
	}
	c, err := f.refreshFor(b.RefreshToken, resFHIR)
	if err != nil {
		t.Fatal(err)
	}
	f.wantFor(c, resFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
}

// A refresh never widens what was granted: a resource outside the grant,
// one the client may not ask for, a malformed one or two at once are
// invalid_target, and the token is not consumed: it still refreshes, and
// not as a replay (which would revoke the grant).
func TestRefreshOutsideTheGrantChangesNothing(t *testing.T) {
	f := resourceFixture(t)
	resp, err := f.exchangeFor(f.codeWithResources())
	if err != nil {
		t.Fatal(err)
	}
	rt := resp.RefreshToken
	for name, asked := range map[string][]string{
		"not granted":       {resOther},
		"not the client's":  {"https://unknown.example"},
		"relative":          {"/fhir"},
		"fragment":          {resFHIR + "#x"},
		"two at once":       {resFHIR, resJournal},
		"trailing slash":    {resFHIR + "/"},
		"granted + another": {resFHIR, resOther},
	} {
		_, err := f.refreshFor(rt, asked...)
		if e := wantOAuth(t, err, oautherr.InvalidTarget); e.Status != 400 {
			t.Fatalf("%s: status %d", name, e.Status)
		} else if name == "relative" && !strings.Contains(e.Description, "not an absolute URI") {
			t.Fatalf("a malformed resource is answered %q; say what is wrong with it", e.Description)
		}
	}
	next, err := f.refreshFor(rt, resJournal)
	if err != nil || next.RefreshToken == rt {
		t.Fatalf("the token after the refusals: %v", err)
	}
	// And the successor works: nothing was revoked as a replay.
	if _, err := f.refreshFor(next.RefreshToken); err != nil {
		t.Fatal(err)
	}
}

// A resource the client has lost since sign-in is no longer granted.
func TestRefreshForAResourceTheClientLost(t *testing.T) {
	f := resourceFixture(t)
	resp, err := f.exchangeFor(f.codeWithResources())
	if err != nil {
		t.Fatal(err)
	}
	f.reconfigure(func(c *config.Config) {
		withResources(c)
		c.Clients[0].Resources = []string{resFHIR}
	})
	_, err = f.refreshFor(resp.RefreshToken, resJournal)
	wantOAuth(t, err, oautherr.InvalidTarget)
	if _, err := f.refreshFor(resp.RefreshToken, resFHIR); err != nil {
		t.Fatal(err)
	}
	// A code redeemed after the change: its grant keeps only what the
	// client may still ask for.
	again, err := f.exchangeFor(f.codeWithResources(), resFHIR)
	if err != nil {
		t.Fatal(err)
	}
	if g := f.grantOf(again.RefreshToken); !slices.Equal(g.Resources, []string{resFHIR}) {
		t.Fatalf("grant resources %v, want the journal dropped", g.Resources)
	}
}

// Scope with a resource: an API scope the resource does not accept, asked
// for explicitly, is invalid_scope; OIDC scopes are left out, never refused;
// a grant with no scope the resource accepts gets no token for it.
func TestResourceScopes(t *testing.T) {
	f := resourceFixture(t)
	resp, err := f.exchangeFor(f.codeWithResources())
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(scope []string, res string) (*grant.Response, error) {
		return f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeRefreshToken, Client: f.client("app"),
			RefreshToken: resp.RefreshToken, Scope: scope, ScopeGiven: true, Resources: []string{res}})
	}
	_, err = refresh([]string{"openid", "fhir.read", "journal.read"}, resFHIR)
	wantOAuth(t, err, oautherr.InvalidScope)
	_, err = refresh([]string{"openid", "profile"}, resFHIR) // nothing left for the API
	wantOAuth(t, err, oautherr.InvalidScope)
	ok, err := refresh([]string{"openid", "profile", "fhir.read"}, resFHIR)
	if err != nil {
		t.Fatal(err)
	}
	f.wantFor(ok, resFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
	if ok.IDToken == "" {
		t.Fatal("the ID token went missing from a refresh for an API")
	}
}

// The password grant: the resource asked for becomes the grant's, and a
// refresh may name only it.
func TestPasswordGrantResource(t *testing.T) {
	f := resourceFixture(t)
	req := grant.Request{GrantType: grant.TypePassword, Client: f.client("app"), Username: "alice", Password: "fixture password",
		Scope: []string{"openid", "offline_access", "fhir.read"}, ScopeGiven: true, Resources: []string{resFHIR}}
	resp, err := f.h.Exchange(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	f.wantFor(resp, resFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
	if g := f.grantOf(resp.RefreshToken); !slices.Equal(g.Resources, []string{resFHIR}) {
		t.Fatalf("grant resources %v", g.Resources)
	}
	_, err = f.refreshFor(resp.RefreshToken, resJournal)
	wantOAuth(t, err, oautherr.InvalidTarget)
	req.Resources = []string{resOther} // app may, but no scope asked is other's
	_, err = f.h.Exchange(f.ctx, req)
	wantOAuth(t, err, oautherr.InvalidScope)
	req.Resources = []string{"https://unknown.example"}
	_, err = f.h.Exchange(f.ctx, req)
	wantOAuth(t, err, oautherr.InvalidTarget)
}

// Client credentials: a resource the client may ask for; the token is for
// it with the scopes it accepts.
func TestClientCredentialsResource(t *testing.T) {
	f := resourceFixture(t)
	cc := func(res ...string) (*grant.Response, error) {
		return f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeClientCredentials, Client: f.client("app"), Resources: res})
	}
	resp, err := cc(resJournal)
	if err != nil {
		t.Fatal(err)
	}
	f.wantFor(resp, resJournal, "journal.read", time.Minute, "RS256")
	_, err = cc("https://unknown.example")
	wantOAuth(t, err, oautherr.InvalidTarget)
	_, err = cc(resFHIR, resJournal)
	wantOAuth(t, err, oautherr.InvalidTarget)
	// Another client lists no resource, so it may ask for none.
	_, err = f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeRefreshToken, Client: f.client("other"),
		RefreshToken: "x", Resources: []string{resFHIR}})
	wantOAuth(t, err, oautherr.InvalidTarget)
}
