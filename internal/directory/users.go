package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// UserLookups is the part of the store Users reads: store.UserStore's
// lookups.
type UserLookups interface {
	UserByUsername(ctx context.Context, username string) (store.User, error)
	UserBySubject(ctx context.Context, subject string) (store.User, error)
}

// Users finds a user among those of the configuration file (read-only, a
// map lookup with no store round trip) and, when none has the name or
// subject, those of the store (managed at runtime).
//
// Store users are never cached across requests: each lookup reads the
// store, so a user disabled through one node is refused on every node at
// its next refresh, sign-in or userinfo. A store failure is returned as it
// is (store.ErrUnavailable stays recognisable), never as "no such user".
type Users struct {
	config *config.Config
	store  UserLookups // nil: the configuration's users only
}

// NewUsers returns the users of cfg and, when st is not nil, of st.
func NewUsers(cfg *config.Config, st UserLookups) *Users {
	return &Users{config: cfg, store: st}
}

// User returns the user named username, or nil (and no error) when there
// is none. A user of the configuration file comes first.
func (d *Users) User(ctx context.Context, username string) (*config.User, error) {
	if u, ok := d.config.User(username); ok {
		return u, nil
	}
	if d.store == nil {
		return nil, nil
	}
	su, err := d.store.UserByUsername(ctx, username)
	return d.fromStore(su, err)
}

// UserBySubject returns the user whose sub is sub, or nil (and no error)
// when there is none. A user of the configuration file comes first.
func (d *Users) UserBySubject(ctx context.Context, sub string) (*config.User, error) {
	if u, ok := d.config.UserBySubject(sub); ok {
		return u, nil
	}
	if d.store == nil {
		return nil, nil
	}
	su, err := d.store.UserBySubject(ctx, sub)
	return d.fromStore(su, err)
}

// fromStore turns a store lookup into a user. A store user whose username
// the configuration file also defines (the file gained the name after the
// user was created) is shadowed by it: it is no user at all, so its old
// grants stop with it instead of living on beside the file's user.
func (d *Users) fromStore(su store.User, err error) (*config.User, error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if _, shadowed := d.config.User(su.Username); shadowed {
		return nil, nil
	}
	return AsConfigUser(su)
}

// AsConfigUser is a store user in the shape the grant and token code take
// (config.User). Its claims must be a JSON object.
func AsConfigUser(su store.User) (*config.User, error) {
	u := &config.User{Username: su.Username, PasswordHash: su.PasswordHash, Subject: su.Subject, Disabled: su.Disabled}
	if len(su.Claims) > 0 && string(su.Claims) != "{}" {
		if err := json.Unmarshal(su.Claims, &u.Claims); err != nil {
			return nil, fmt.Errorf("directory: the claims of user %q: %w", su.Username, err)
		}
	}
	return u, nil
}

// InConfig reports whether the configuration file defines a user with
// that username or that subject: such a name or subject is not free for a
// user of the store.
func (d *Users) InConfig(username, subject string) bool {
	if _, ok := d.config.User(username); ok {
		return true
	}
	if subject == "" {
		return false
	}
	_, ok := d.config.UserBySubject(subject)
	return ok
}
