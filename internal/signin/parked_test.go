package signin_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/requestobject"
	"github.com/tollgate-oidc/tollgate/internal/signin"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

func parkedReq() authorize.Request {
	return authorize.Request{ClientID: "app", RedirectURI: "https://app.example/cb", State: "<b>&amp;", Scopes: []string{"openid", "offline_access"}}
}

// A parked request comes back as it went in, from a JSON row that keeps
// "<" and "&" as they are (not six bytes each).
func TestParkRoundTrip(t *testing.T) {
	f := newFixture(t)
	var admitted int
	h, err := f.svc.Park(f.ctx, parkedReq(), func(n int) error { admitted = n; return nil })
	if err != nil || !strings.HasPrefix(h, signin.InteractionPrefix) {
		t.Fatalf("park: %q %v", h, err)
	}
	rec, err := f.st.AuthRequest(f.ctx, mint.HashToken(h))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Params[0] != '{' || !strings.Contains(string(rec.Params), `"<b>&amp;"`) || admitted != len(rec.Params) {
		t.Errorf("row %s, admitted %d bytes", rec.Params, admitted)
	}
	if rec.ID == h || !rec.ExpiresAt.Equal(f.clk.Now().Add(signin.InteractionTTL)) || rec.ClientID != "app" {
		t.Errorf("row %+v", rec)
	}
	got, _, err := f.svc.Parked(f.ctx, h)
	if err != nil || got.State != "<b>&amp;" || got.RedirectURI != "https://app.example/cb" || len(got.Scopes) != 2 {
		t.Errorf("parked: %+v %v", got, err)
	}
}

// A refusal of the budget stores nothing and comes back as it was.
func TestParkRefusedByAdmit(t *testing.T) {
	f := newFixture(t)
	full := errors.New("budget spent")
	if _, err := f.svc.Park(f.ctx, parkedReq(), func(int) error { return full }); !errors.Is(err, full) {
		t.Fatalf("park: %v", err)
	}
	if _, _, err := f.svc.Push(f.ctx, "app", url.Values{"a": {"b"}}, func(int) error { return full }); !errors.Is(err, full) {
		t.Fatalf("push: %v", err)
	}
}

// A parked request lives until InteractionTTL, not at it.
func TestParkedExpires(t *testing.T) {
	f := newFixture(t)
	h, _ := f.svc.Park(f.ctx, parkedReq(), nil)
	f.clk.Add(signin.InteractionTTL - time.Second)
	if _, _, err := f.svc.Parked(f.ctx, h); err != nil {
		t.Fatalf("a second before: %v", err)
	}
	f.clk.Add(time.Second)
	if _, _, err := f.svc.Parked(f.ctx, h); err != signin.ErrStale {
		t.Fatalf("at the TTL: %v", err)
	}
}

// Only an interaction handle of ours is looked up.
func TestParkedForeignHandle(t *testing.T) {
	f := newFixture(t)
	h, _ := f.svc.Park(f.ctx, parkedReq(), nil)
	for _, bad := range []string{"", strings.TrimPrefix(h, signin.InteractionPrefix), h + strings.Repeat("x", 100)} {
		if _, _, err := f.svc.Parked(f.ctx, bad); err != signin.ErrStale {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Finish uses a parked request up once: its pages cannot complete it twice.
func TestFinishOnce(t *testing.T) {
	f := newFixture(t)
	h, _ := f.svc.Park(f.ctx, parkedReq(), nil)
	if err := f.svc.Finish(f.ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(f.ctx, h); err != signin.ErrStale {
		t.Errorf("second finish: %v", err)
	}
	if _, _, err := f.svc.Parked(f.ctx, h); err != signin.ErrStale {
		t.Errorf("parked after finish: %v", err)
	}
	if err := f.svc.Finish(f.ctx, signin.InteractionPrefix+"never"); err != signin.ErrStale {
		t.Errorf("unknown: %v", err)
	}
}

func pageCode(err error) string {
	var pe *authorize.PageError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// RFC 9126 §4: a request_uri is single use, bound to the client that
// pushed it, and a wrong client does not burn it.
func TestPushedSingleUseBoundToClient(t *testing.T) {
	f := newFixture(t)
	pushed := url.Values{"client_id": {"app"}, "state": {"<x>"}, "resource": {"https://a", "https://b"}}
	uri, ttl, err := f.svc.Push(f.ctx, "app", pushed, nil)
	if err != nil || ttl != signin.PushedTTL || !strings.HasPrefix(uri, signin.RequestURIPrefix) {
		t.Fatalf("push: %q %v %v", uri, ttl, err)
	}
	rec, _ := f.st.AuthRequest(f.ctx, mint.HashToken(strings.TrimPrefix(uri, signin.RequestURIPrefix)))
	if len(rec.Params) == 0 || rec.Params[0] != '{' {
		t.Errorf("a pushed row is JSON too: %s", rec.Params)
	}
	if _, err := f.svc.Pushed(f.ctx, uri, "other"); pageCode(err) != "invalid_request_uri" {
		t.Fatalf("another client: %v", err)
	}
	got, err := f.svc.Pushed(f.ctx, uri, "app")
	if err != nil || got.Get("state") != "<x>" || len(got["resource"]) != 2 {
		t.Fatalf("pushed: %v %v", got, err)
	}
	if _, err := f.svc.Pushed(f.ctx, uri, "app"); pageCode(err) != "invalid_request_uri" {
		t.Fatalf("second use: %v", err)
	}
}

// A pushed request lives PushedTTL (RFC 9126 §2.2 expires_in).
func TestPushedExpires(t *testing.T) {
	f := newFixture(t)
	uri, _, _ := f.svc.Push(f.ctx, "app", url.Values{"client_id": {"app"}}, nil)
	f.clk.Add(signin.PushedTTL)
	if _, err := f.svc.Pushed(f.ctx, uri, "app"); pageCode(err) != "invalid_request_uri" {
		t.Fatalf("at the TTL: %v", err)
	}
}

// A request_uri by reference is not supported (RFC 9101 §10.4), and an
// interaction handle is never a pushed request.
func TestPushedForeignURI(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.Pushed(f.ctx, "https://app.example/req.jwt", "app"); pageCode(err) != requestobject.RequestURINotSupported {
		t.Errorf("by reference: %v", err)
	}
	h, _ := f.svc.Park(f.ctx, parkedReq(), nil)
	if _, err := f.svc.Pushed(f.ctx, signin.RequestURIPrefix+h, "app"); pageCode(err) != "invalid_request_uri" {
		t.Errorf("interaction handle: %v", err)
	}
}

// A pushed row written in form encoding before the one encoding is still read.
func TestPushedLegacyFormRow(t *testing.T) {
	f := newFixture(t)
	now := f.clk.Now()
	if err := f.st.CreateAuthRequest(f.ctx, store.AuthRequest{ID: mint.HashToken("legacy"), ClientID: "app",
		Params: []byte(url.Values{"client_id": {"app"}, "state": {"{x}"}}.Encode()), CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Pushed(f.ctx, signin.RequestURIPrefix+"legacy", "app")
	if err != nil || got.Get("state") != "{x}" || got.Get("client_id") != "app" {
		t.Fatalf("legacy row: %v %v", got, err)
	}
}
