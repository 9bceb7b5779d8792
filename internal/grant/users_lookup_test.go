package grant_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// downUsers is a directory whose store cannot be reached.
type downUsers struct{ grant.Users }

var errUsersDown = fmt.Errorf("postgres: user by subject: %w", store.ErrUnavailable)

func (downUsers) UserBySubject(context.Context, string) (*config.User, error) { return nil, errUsersDown }
func (downUsers) User(context.Context, string) (*config.User, error)          { return nil, errUsersDown }

// TestRefreshWhileTheUserLookupFails: a store that cannot say whether the
// user is active is not a disabled user. The refresh is refused as server
// trouble carrying store.ErrUnavailable (503 temporarily_unavailable at
// the endpoint), never invalid_grant, which would make the client drop a
// good token and send its user to sign in; the token stays unused, so the
// same refresh succeeds once the store answers.
func TestRefreshWhileTheUserLookupFails(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
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
	f.h.Users = downUsers{users}
	if _, err := grant.ActiveUser(context.Background(), f.h.Users, "sub-alice"); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, grant.ErrUserInactive) {
		t.Errorf("ActiveUser with the store down: %v", err)
	}
}
