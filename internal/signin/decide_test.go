package signin_test

import (
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

var offlineClient = &config.Client{ID: "app", Type: config.ClientConfidential, AllowOfflineAccess: true,
	GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "profile", "offline_access"}}

func offlineReq() authorize.Request {
	return authorize.Request{ClientID: "app", Scopes: []string{"openid", "offline_access"}, MaxAge: -1}
}

// Without a session the user signs in first; prompt=none makes that the
// client's login_required (OIDC Core §3.1.2.6).
func TestDecideSignInFirst(t *testing.T) {
	f := newFixture(t)
	d, err := f.svc.Decide(f.ctx, "", offlineReq(), offlineClient, nil)
	if err != nil || d.Step != authorize.StepLogin || d.Session != nil {
		t.Fatalf("%+v %v", d, err)
	}
	none := offlineReq()
	none.Prompt = []string{"none"}
	if _, err := f.svc.Decide(f.ctx, "", none, offlineClient, nil); err == nil {
		t.Fatal("prompt=none without a session")
	}
}

// offline_access always asks (OIDC Core §11) until a remembered consent
// covers it; the decision carries the session and its user.
func TestDecideOfflineAsks(t *testing.T) {
	f := newFixture(t)
	_, cookie, _ := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	d, err := f.svc.Decide(f.ctx, cookie, offlineReq(), offlineClient, nil)
	if err != nil || d.Step != authorize.StepConsent || d.User != f.alice || d.Session == nil {
		t.Fatalf("%+v %v", d, err)
	}
	_ = f.svc.Remember(f.ctx, f.alice.Subject, "app", []string{"openid"})
	if d, _ := f.svc.Decide(f.ctx, cookie, offlineReq(), offlineClient, nil); d.Step != authorize.StepConsent {
		t.Fatalf("a consent without offline_access: %v", d.Step)
	}
	_ = f.svc.Remember(f.ctx, f.alice.Subject, "app", []string{"offline_access"})
	if d, _ := f.svc.Decide(f.ctx, cookie, offlineReq(), offlineClient, nil); d.Step != authorize.StepComplete {
		t.Fatalf("covered: %v", d.Step)
	}
	plain := offlineReq()
	plain.Scopes = []string{"openid"}
	if d, _ := f.svc.Decide(f.ctx, cookie, plain, &config.Client{ID: "other", GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}}, nil); d.Step != authorize.StepComplete {
		t.Fatalf("nothing to ask: %v", d.Step)
	}
}

// prompt=login: a fresh request asks for a sign-in even with a session; a
// parked one is satisfied by a sign-in at or after it arrived (its row's
// CreatedAt), never by one before.
func TestDecidePromptLoginParked(t *testing.T) {
	f := newFixture(t)
	_ = f.svc.Remember(f.ctx, f.alice.Subject, "app", []string{"openid", "offline_access"})
	_, before, _ := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	req := offlineReq()
	req.Prompt = []string{"login"}
	if d, _ := f.svc.Decide(f.ctx, before, req, offlineClient, nil); d.Step != authorize.StepLogin {
		t.Fatalf("fresh: %v", d.Step)
	}
	f.clk.Add(time.Minute)
	rec := &store.AuthRequest{CreatedAt: f.clk.Now()}
	if d, _ := f.svc.Decide(f.ctx, before, req, offlineClient, rec); d.Step != authorize.StepLogin {
		t.Fatalf("a sign-in before the request: %v", d.Step)
	}
	_, after, _ := f.svc.Start(f.ctx, before, f.alice, []string{"pwd"})
	if d, _ := f.svc.Decide(f.ctx, after, req, offlineClient, rec); d.Step != authorize.StepComplete {
		t.Fatalf("a sign-in at the request: %v", d.Step)
	}
}
