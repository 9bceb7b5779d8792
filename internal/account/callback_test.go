package account

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// redeemer stands in for the token endpoint: it answers every exchange
// with err, or else with an ID token signed by key for alice.
type redeemer struct {
	t     *testing.T
	key   *ecdsa.PrivateKey
	err   error
	calls int
}

func (f *redeemer) Exchange(_ context.Context, req grant.Request) (*grant.Response, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	tok := signToken(f.t, f.key, "k1", map[string]any{"iss": "https://id.example/tg", "sub": "alice",
		"aud": req.Client.ID, "exp": t0.Add(5 * time.Minute).Unix(), "nonce": "n1", "sid": "s1"})
	return &grant.Response{IDToken: tok}, nil
}

// callbackHandler is the account page with the code exchange in f.
func callbackHandler(t *testing.T) (*Handler, *redeemer) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f := &redeemer{t: t, key: key}
	h := newHandler(t)
	h.Grants = f
	h.Keys = staticKeys{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	return h, f
}

// callback sends the authorization response query to the callback with a
// sign-in in flight of state "st" and nonce "n1".
func callback(h *Handler, query string) *httptest.ResponseRecorder {
	_, ck := roundTrip(h.cookies, pendingCookie, pending{State: "st", Nonce: "n1", Verifier: "v",
		Exp: t0.Add(pendingLifetime).Unix()}, pendingLifetime)
	r := httptest.NewRequest(http.MethodGet, "/tg/account/callback?"+query, nil)
	r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func signedInBy(rec *httptest.ResponseRecorder) bool {
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName && c.MaxAge > 0 {
			return true
		}
	}
	return false
}

// The server's own faults in the callback are 5xx, not the person's
// invalid_grant: the store unavailable behind the code exchange (or its
// deadline run out) is 503, another server error 500, and an ID token of
// its own that does not verify 500; a code the token endpoint refuses
// stays 400.
func TestCallbackServerFaultsAre5xx(t *testing.T) {
	for name, tc := range map[string]struct {
		err    error
		idTok  bool // break the ID token instead
		status int
	}{
		"store unavailable":  {err: oautherr.Server(store.ErrUnavailable), status: http.StatusServiceUnavailable},
		"store deadline":     {err: oautherr.Server(context.DeadlineExceeded), status: http.StatusServiceUnavailable},
		"try again later":    {err: oautherr.New(oautherr.TemporarilyUnavailable, "busy"), status: http.StatusServiceUnavailable},
		"server error":       {err: oautherr.Server(errors.New("boom")), status: http.StatusInternalServerError},
		"not an OAuth error": {err: errors.New("boom"), status: http.StatusInternalServerError},
		"ID token":           {idTok: true, status: http.StatusInternalServerError},
		"code refused":       {err: oautherr.New(oautherr.InvalidGrant, "used"), status: http.StatusBadRequest},
	} {
		h, f := callbackHandler(t)
		f.err = tc.err
		if tc.idTok {
			h.Keys = staticKeys{} // the server's keys do not hold the signer
		}
		rec := callback(h, "code=c&state=st")
		if rec.Code != tc.status || signedInBy(rec) {
			t.Errorf("%s: %d (signed in: %v), want %d", name, rec.Code, signedInBy(rec), tc.status)
		}
	}
	h, _ := callbackHandler(t)
	if rec := callback(h, "code=c&state=st"); rec.Code != http.StatusSeeOther || !signedInBy(rec) {
		t.Fatalf("a good callback: %d, signed in %v", rec.Code, signedInBy(rec))
	}
}
