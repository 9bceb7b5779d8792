package grant_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// downUsers is a directory whose store cannot be reached.
type downUsers struct{ grant.Users }

var errUsersDown = fmt.Errorf("postgres: user by subject: %w", store.ErrUnavailable)

func (downUsers) UserBySubject(context.Context, string) (*config.User, error) {
	return nil, errUsersDown
}
func (downUsers) User(context.Context, string) (*config.User, error) { return nil, errUsersDown }

// TestRefreshWhileTheUserLookupFails: a store that cannot say whether the
// user is active is not a disabled user (the outcome is error, not
// user_disabled). The refresh is refused as server
// trouble carrying store.ErrUnavailable (503 temporarily_unavailable at
// the endpoint), never invalid_grant, which would make the client drop a
// good token and send its user to sign in; the token stays unused, so the
// same refresh succeeds once the store answers.
func TestRefreshWhileTheUserLookupFails(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
	h := &heard{}
	f.h.Observe = h
	users := f.h.Users
	f.h.Users = downUsers{users}
	_, err := f.refresh("app", rt)
	var oe *oautherr.Error
	if !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &oe) || oe.Code == oautherr.InvalidGrant {
		t.Fatalf("refresh with the user store down: %v, want a server error carrying ErrUnavailable", err)
	}
	f.h.Users = users
	if _, err := f.refresh("app", rt); err != nil {
		t.Fatalf("the same refresh once the store answers: %v", err)
	}
	// Counted as the store failing, not as a disabled user.
	if want := "[refresh error app refresh ok app issued refresh_token app]"; fmt.Sprint(*h) != want {
		t.Errorf("outcomes %v, want %s", *h, want)
	}
	f.h.Users = downUsers{users}
	if _, err := grant.ActiveUser(context.Background(), f.h.Users, "sub-alice"); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, grant.ErrUserInactive) {
		t.Errorf("ActiveUser with the store down: %v", err)
	}
}

// TestPasswordChecksOfStoreUsers: a store user's password goes through the
// same checks as a file user's (grant.Passwords: throttle, equal cost); a
// wrong password and a disabled user get the one neutral refusal; a store
// that cannot answer is its error, not a failed sign-in counted against
// the name.
func TestPasswordChecksOfStoreUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := memstore.New()
	const pw = "a store user's passphrase"
	h, err := secret.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, store.User{Username: "dora", Subject: "sub-dora", PasswordHash: h}, store.Event{}); err != nil {
		t.Fatal(err)
	}
	p := passwords(t, f.cfg, f.clk.Now)
	if err := p.UseStore(directory.NewUsers(f.cfg, st)); err != nil {
		t.Fatal(err)
	}
	check := func(pw string) (*config.User, error) {
		return p.Check(ctx, grant.Attempt{Username: "dora", Password: pw, RemoteIP: "192.0.2.1", Via: "test"})
	}
	if u, err := check(pw); err != nil || u == nil || u.Subject != "sub-dora" {
		t.Fatalf("store user, right password: %v, %v", u, err)
	}
	if _, err := check("not the passphrase"); !errors.Is(err, grant.ErrBadCredentials) {
		t.Errorf("store user, wrong password: %v", err)
	}
	if _, err := st.UpdateUser(ctx, "dora", store.UserUpdate{Disabled: ptrTo(true)}, f.clk.Now(), store.Event{}); err != nil {
		t.Fatal(err)
	}
	if _, err := check(pw); !errors.Is(err, grant.ErrBadCredentials) {
		t.Errorf("disabled store user: %v, want the neutral refusal", err)
	}
	if err := p.UseStore(downUsers{}); err != nil {
		t.Fatal(err)
	}
	if _, err := check(pw); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("store down: %v, want ErrUnavailable", err)
	}
}

func ptrTo[T any](v T) *T { return &v }
