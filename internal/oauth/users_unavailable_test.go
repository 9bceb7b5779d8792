package oauth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

func (f *faultStore) UserBySubject(ctx context.Context, sub string) (store.User, error) {
	if err := f.check("UserBySubject"); err != nil {
		return store.User{}, err
	}
	return f.Store.UserBySubject(ctx, sub)
}

func (f *faultStore) UserByUsername(ctx context.Context, name string) (store.User, error) {
	if err := f.check("UserByUsername"); err != nil {
		return store.User{}, err
	}
	return f.Store.UserByUsername(ctx, name)
}

// TestSignedInStoreUserWhileUsersUnreachable: a browser signed in as a
// store user, whose user the store cannot look up for a moment, gets the
// "try again shortly" page, not the login page (which would read as
// "signed out") nor a 500; once the store answers, the session goes on.
func TestSignedInStoreUserWhileUsersUnreachable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.CreateUser(ctx, store.User{Username: "dora", Subject: "sub-dora"}, store.Event{}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signedIn("sub-dora", f.Now())
	q := codeRequest("ui_locales", "en")
	f.fault.failOnly(errDown, "UserBySubject")
	wantTryAgainPage(t, "authorize, session of a store user", b.authorize(q), true)
	f.fault.down(nil)
	if p := b.authorize(q); p.Status == http.StatusServiceUnavailable || p.Status >= 500 {
		t.Fatalf("authorize after the outage: %d", p.Status)
	}
}
