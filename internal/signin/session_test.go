package signin_test

import (
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A session is found by its cookie value, stored only by hash, and lives
// SessionLifetime: until ExpiresAt, not at it.
func TestSessionStartFindExpire(t *testing.T) {
	f := newFixture(t)
	sess, cookie, err := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	if err != nil || cookie == "" {
		t.Fatal(err)
	}
	if sess.ID != mint.HashToken(cookie) || sess.ID == cookie || sess.SID == "" || !sess.ExpiresAt.Equal(f.clk.Now().Add(lifetime)) {
		t.Errorf("session %+v", sess)
	}
	got, u, err := f.svc.Session(f.ctx, cookie)
	if err != nil || got == nil || got.SID != sess.SID || u != f.alice {
		t.Fatalf("find: %+v %v %v", got, u, err)
	}
	f.clk.Add(lifetime - time.Second)
	if got, _, _ := f.svc.Session(f.ctx, cookie); got == nil {
		t.Fatal("a second before the end")
	}
	f.clk.Add(time.Second)
	if got, _, _ := f.svc.Session(f.ctx, cookie); got != nil {
		t.Fatal("at the end")
	}
}

// Session fixation: signing in replaces the browser's old session.
func TestStartReplacesOldSession(t *testing.T) {
	f := newFixture(t)
	_, old, _ := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	_, fresh, err := f.svc.Start(f.ctx, old, f.alice, []string{"pwd"})
	if err != nil || fresh == old {
		t.Fatal(err)
	}
	if _, err := f.st.Session(f.ctx, mint.HashToken(old)); err == nil {
		t.Error("the old session survives")
	}
	if got, _, _ := f.svc.Session(f.ctx, fresh); got == nil {
		t.Error("the new session is not found")
	}
}

// A session of a disabled or removed user, or an unknown or overlong
// cookie, is no session.
func TestSessionOfNobody(t *testing.T) {
	f := newFixture(t)
	_, cookie, _ := f.svc.Start(f.ctx, "", f.bob, []string{"pwd"}) // bob is disabled
	if got, u, err := f.svc.Session(f.ctx, cookie); got != nil || u != nil || err != nil {
		t.Errorf("disabled: %v %v %v", got, u, err)
	}
	now := f.clk.Now()
	ev := store.Event{Time: now, Kind: store.EventSignIn}
	if err := f.st.CreateSession(f.ctx, store.Session{ID: mint.HashToken("gone"), SID: "s-gone", Subject: "sub-gone",
		AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, ev); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"gone", "", "unknown", string(make([]byte, 101))} {
		if got, _, err := f.svc.Session(f.ctx, c); got != nil || err != nil {
			t.Errorf("%q: %v %v", c, got, err)
		}
	}
}

// End deletes the cookie's session; an unknown one is no error.
func TestEndSession(t *testing.T) {
	f := newFixture(t)
	_, cookie, _ := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	if err := f.svc.End(f.ctx, cookie); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := f.svc.Session(f.ctx, cookie); got != nil {
		t.Error("still signed in")
	}
	if err := f.svc.End(f.ctx, "unknown"); err != nil {
		t.Error(err)
	}
}

// The trail's sign_in is written with the session: the user as actor, the
// client signed in to, this node.
func TestStartWritesSignIn(t *testing.T) {
	f := newFixture(t)
	ctx := reqlog.WithInfo(f.ctx, &reqlog.Info{})
	reqlog.SetClient(ctx, "app")
	sess, _, err := f.svc.Start(ctx, "", f.alice, []string{"pwd"})
	if err != nil {
		t.Fatal(err)
	}
	evs, _, err := f.st.Events(f.ctx, store.EventFilter{Kind: store.EventSignIn})
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	ev := evs[0]
	if ev.ClientID != "app" || ev.ActorID != f.alice.Subject || ev.Node != "node-a" || !ev.Time.Equal(sess.CreatedAt) {
		t.Errorf("event %+v", ev)
	}
}
