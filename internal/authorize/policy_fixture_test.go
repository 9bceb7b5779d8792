package authorize_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Shared fixtures of the authorize policy tests. Clients are built through
// config.Finish so the defaults (public => require_pkce, response_types
// [code], grant types) apply exactly as they do for a loaded file.

const (
	polSecret    = "0123456789abcdef0123456789abcdef" // MinSecretLength (32)
	polWebCB     = "https://app.example.com/cb"
	polWebCBQ    = "https://app.example.com/cb2?tenant=a"
	polSPACB     = "https://spa.example.com/cb"
	polChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 Appendix B
)

// polT0 is the injected "now" of every time-dependent case.
var polT0 = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func polConfig(t *testing.T) *config.Config {
	t.Helper()
	cb := []string{polWebCB}
	cfg := &config.Config{
		Issuer: "https://login.example.com",
		Clients: []config.Client{
			{ID: "web", Secret: polSecret, RedirectURIs: []string{polWebCB, polWebCBQ},
				Scopes: []string{"openid", "profile", "email", "offline_access"}, AllowOfflineAccess: true,
				ResponseTypes: []string{config.ResponseCode, config.ResponseCodeIDToken,
					config.ResponseCodeToken, config.ResponseCodeIDTokenToken}},
			// Lists offline_access without allow_offline_access (a warning, not an error).
			{ID: "web-nooffline", Secret: polSecret, RedirectURIs: cb,
				Scopes: []string{"openid", "profile", "offline_access"}},
			{ID: "spa", Type: config.ClientPublic, RedirectURIs: []string{polSPACB},
				Scopes: []string{"openid", "profile", "offline_access"}},
			{ID: "m2m", Secret: polSecret, GrantTypes: []string{config.GrantClientCredentials}, Scopes: []string{"api"}},
			{ID: "pkce", Secret: polSecret, RedirectURIs: cb, RequirePKCE: true},
			{ID: "par", Secret: polSecret, RedirectURIs: cb, RequirePAR: true},
			// A native app: its redirect URI has a private-use scheme (RFC 8252 §7.1).
			{ID: "native", Type: config.ClientPublic, RedirectURIs: []string{"com.example.app:/oauth/cb", "http://127.0.0.1/cb", "http://[::1]/v6cb", "http://localhost/cb"}},
			{ID: "consent", Secret: polSecret, RedirectURIs: cb, RequireConsent: true,
				Scopes: []string{"openid", "profile"}},
		},
	}
	if err := cfg.Finish(); err != nil {
		t.Fatalf("fixture config: %v", err)
	}
	return cfg
}

func polClient(t *testing.T, id string) *config.Client {
	t.Helper()
	c, ok := polConfig(t).Client(id)
	if !ok {
		t.Fatalf("fixture has no client %q", id)
	}
	return c
}

// polQuery parses a raw query string, so repeated parameters stay repeated.
func polQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("bad test query %q: %v", raw, err)
	}
	return v
}

// polWantErr checks err against the wanted oautherr code ("" means success)
// and that a description comes with it.
func polWantErr(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *oautherr.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *oautherr.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%q), want %s", e.Code, e.Description, code)
	}
	if strings.TrimSpace(e.Description) == "" {
		t.Fatalf("error %s has an empty description", e.Code)
	}
}

func polSession(authTime time.Time) *store.Session {
	return &store.Session{ID: "h", SID: "sid-1", Subject: "alice", AuthTime: authTime,
		CreatedAt: authTime, ExpiresAt: authTime.Add(8 * time.Hour)}
}

func polConsent(scopes ...string) *store.Consent {
	return &store.Consent{Subject: "alice", ClientID: "web", Scopes: scopes, CreatedAt: polT0.Add(-24 * time.Hour)}
}
