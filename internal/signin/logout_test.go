package signin_test

import (
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/signin"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// An id_token_hint proves the logout only when it names this session by sid
// and its subject (RP-Initiated Logout §2, §6).
func TestHintProves(t *testing.T) {
	sess := &store.Session{SID: "sid-1", Subject: "sub-alice"}
	for _, tc := range []struct {
		name string
		hint *mint.IDTokenHint
		want bool
	}{
		{"none", nil, false},
		{"this session", &mint.IDTokenHint{SessionID: "sid-1", Subject: "sub-alice"}, true},
		{"no sid", &mint.IDTokenHint{Subject: "sub-alice"}, false},
		{"another session", &mint.IDTokenHint{SessionID: "sid-2", Subject: "sub-alice"}, false},
		{"another user", &mint.IDTokenHint{SessionID: "sid-1", Subject: "sub-bob"}, false},
	} {
		if got := signin.HintProves(tc.hint, sess); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	// A hint without sid never matches, not even a session without one.
	if signin.HintProves(&mint.IDTokenHint{Subject: "sub-alice"}, &store.Session{Subject: "sub-alice"}) {
		t.Error("an empty sid proved an empty sid")
	}
}

// issueGrant gives client a live grant of session sid for alice.
func (f *fixture) issueGrant(t *testing.T, client, sid string) string {
	t.Helper()
	now := f.clk.Now()
	id := refresh.NewGrantID()
	if _, err := f.rf.Issue(f.ctx, store.Grant{ID: id, ClientID: client, Subject: f.alice.Subject, SessionID: sid,
		Scopes: []string{"openid", "offline_access"}, AuthTime: now, CreatedAt: now}, refresh.Proof{}, refresh.Policy{
		Rotation: config.RotationOneTime, IdleLifetime: lifetime, MaxLifetime: 2 * lifetime}); err != nil {
		t.Fatal(err)
	}
	return id
}

func revoked(t *testing.T, f *fixture, id string) bool {
	t.Helper()
	g, _, err := f.st.GrantLineage(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return g.Revoked()
}

// A sign-out revokes this session's grants of revoke_on_logout clients
// only, tells exactly the clients known to be in the session that have a
// back-channel URI, and ends the session.
func TestSignOut(t *testing.T) {
	f := newFixture(t)
	sess, cookie, _ := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	clients := []*config.Client{
		{ID: "strict", RevokeOnLogout: true, BackchannelLogoutURI: "https://strict.example/bc"},
		{ID: "strict-idle", RevokeOnLogout: true, BackchannelLogoutURI: "https://idle.example/bc"}, // no grant of this session
		{ID: "lax", BackchannelLogoutURI: "https://lax.example/bc"},                                // not revoked, not named
		{ID: "named", BackchannelLogoutURI: "https://named.example/bc"},                            // the hint's client
		{ID: "quiet", RevokeOnLogout: true},                                                        // no back-channel URI
	}
	strict := f.issueGrant(t, "strict", sess.SID)
	strictOther := f.issueGrant(t, "strict", "another-sid")
	lax := f.issueGrant(t, "lax", sess.SID)
	quiet := f.issueGrant(t, "quiet", sess.SID)
	hint := &mint.IDTokenHint{ClientID: "named", SessionID: sess.SID, Subject: f.alice.Subject}
	tell, err := f.svc.SignOut(f.ctx, cookie, &sess, hint, clients)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, c := range tell {
		told = append(told, c.ID)
	}
	if len(told) != 2 || told[0] != "strict" || told[1] != "named" {
		t.Errorf("told %v, want [strict named]", told)
	}
	if !revoked(t, f, strict) || !revoked(t, f, quiet) || revoked(t, f, lax) || revoked(t, f, strictOther) {
		t.Error("revoked the wrong grants")
	}
	if got, _, _ := f.svc.Session(f.ctx, cookie); got != nil {
		t.Error("the session survives")
	}
}
