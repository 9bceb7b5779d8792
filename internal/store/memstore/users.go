package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// userTable holds the users managed at runtime, by username, and the
// subjects taken (never released: no user is ever deleted).
type userTable struct {
	byName map[string]store.User
	bySub  map[string]string // subject to username
}

func (t *userTable) init() {
	if t.byName == nil {
		t.byName, t.bySub = map[string]store.User{}, map[string]string{}
	}
}

// copyUser returns u with its own Claims, so a caller cannot change what
// the store holds, and "{}" for no claims, as the SQL backends store it.
func copyUser(u store.User) store.User {
	if len(u.Claims) == 0 {
		u.Claims = store.NoClaims
	}
	u.Claims = slices.Clone(u.Claims)
	u.CreatedAt, u.UpdatedAt = norm(u.CreatedAt), norm(u.UpdatedAt)
	return u
}

// CreateUser implements store.UserStore.
func (s *Store) CreateUser(ctx context.Context, u store.User, ev store.Event) error {
	if err := s.lock(ctx, "create user"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.users.init()
	if _, ok := s.users.byName[u.Username]; ok {
		return conflict("create user")
	}
	if _, ok := s.users.bySub[u.Subject]; ok {
		return conflict("create user")
	}
	s.users.byName[u.Username] = copyUser(u)
	s.users.bySub[u.Subject] = u.Username
	s.record(ev, u.CreatedAt, store.Grant{Subject: u.Subject})
	return nil
}

// UserByUsername implements store.UserStore.
func (s *Store) UserByUsername(ctx context.Context, username string) (store.User, error) {
	if err := s.lock(ctx, "user by username"); err != nil {
		return store.User{}, err
	}
	defer s.mu.Unlock()
	u, ok := s.users.byName[username]
	if !ok {
		return store.User{}, notFound("user by username")
	}
	return copyUser(u), nil
}

// UserBySubject implements store.UserStore.
func (s *Store) UserBySubject(ctx context.Context, subject string) (store.User, error) {
	if err := s.lock(ctx, "user by subject"); err != nil {
		return store.User{}, err
	}
	defer s.mu.Unlock()
	name, ok := s.users.bySub[subject]
	if !ok {
		return store.User{}, notFound("user by subject")
	}
	return copyUser(s.users.byName[name]), nil
}

// ListUsers implements store.UserStore.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]store.User, error) {
	if err := s.lock(ctx, "list users"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var us []store.User
	for name, u := range s.users.byName {
		if name > after {
			us = append(us, copyUser(u))
		}
	}
	slices.SortFunc(us, func(a, b store.User) int { return strings.Compare(a.Username, b.Username) })
	if len(us) > limit {
		us = us[:max(limit, 0)]
	}
	return us, nil
}

// UpdateUser implements store.UserStore.
func (s *Store) UpdateUser(ctx context.Context, username string, up store.UserUpdate, at time.Time, ev store.Event) (store.User, error) {
	if err := s.lock(ctx, "update user"); err != nil {
		return store.User{}, err
	}
	defer s.mu.Unlock()
	u, ok := s.users.byName[username]
	if !ok {
		return store.User{}, notFound("update user")
	}
	if up.Disabled != nil {
		u.Disabled = *up.Disabled
	}
	if up.PasswordHash != nil {
		u.PasswordHash = *up.PasswordHash
	}
	if up.Claims != nil {
		u.Claims = json.RawMessage(up.Claims)
	}
	u.UpdatedAt = at
	u = copyUser(u)
	s.users.byName[username] = u
	s.record(ev, at, store.Grant{Subject: u.Subject})
	return copyUser(u), nil
}
