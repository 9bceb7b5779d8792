package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// countingStore counts its lookups and fails them with err when set.
type countingStore struct {
	*memstore.Store
	lookups int
	err     error
}

func (s *countingStore) UserByUsername(ctx context.Context, name string) (store.User, error) {
	s.lookups++
	if s.err != nil {
		return store.User{}, s.err
	}
	return s.Store.UserByUsername(ctx, name)
}

func (s *countingStore) UserBySubject(ctx context.Context, sub string) (store.User, error) {
	s.lookups++
	if s.err != nil {
		return store.User{}, s.err
	}
	return s.Store.UserBySubject(ctx, sub)
}

func newUsers(t *testing.T) (*directory.Users, *countingStore) {
	t.Helper()
	cfg := config.Default()
	cfg.Users = []config.User{{Username: "alice", Subject: "sub-alice", PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	st := &countingStore{Store: memstore.New()}
	ctx := context.Background()
	for _, u := range []store.User{
		{Username: "bob", Subject: "sub-bob", Claims: json.RawMessage(`{"name":"Bob"}`)},
		{Username: "alice", Subject: "sub-old-alice"}, // created before the file gained alice
	} {
		if err := st.CreateUser(ctx, u, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	return directory.NewUsers(cfg, st), st
}

// TestUsersConfigFirst: a user of the file is found with no store round
// trip (the refresh of a file user costs what it did), a store user
// through the store, with its claims; an unknown one is nil, no error.
func TestUsersConfigFirst(t *testing.T) {
	d, st := newUsers(t)
	ctx := context.Background()
	if u, err := d.UserBySubject(ctx, "sub-alice"); err != nil || u == nil || u.Username != "alice" {
		t.Fatalf("file user by subject: %v, %v", u, err)
	}
	if u, err := d.User(ctx, "alice"); err != nil || u == nil || u.Subject != "sub-alice" {
		t.Fatalf("file user by name: %v, %v (the file's alice must win over the store's)", u, err)
	}
	if st.lookups != 0 {
		t.Errorf("file users cost %d store lookups, want 0", st.lookups)
	}
	u, err := d.UserBySubject(ctx, "sub-bob")
	if err != nil || u == nil || u.Username != "bob" || fmt.Sprint(u.Claims) != "map[name:Bob]" {
		t.Fatalf("store user: %+v, %v", u, err)
	}
	if u, err := d.User(ctx, "carol"); err != nil || u != nil {
		t.Errorf("unknown user: %v, %v; want nil, nil", u, err)
	}
	// The store's alice is shadowed by the file's: her old subject is no one.
	if u, err := d.UserBySubject(ctx, "sub-old-alice"); err != nil || u != nil {
		t.Errorf("shadowed store user by subject: %+v, %v; want nil, nil", u, err)
	}
}

// TestUsersStoreErrorPassesThrough: a store that cannot answer is an
// error (ErrUnavailable stays recognisable, to be answered 503), never
// "no such user", which would sign a user out; file users are unaffected.
func TestUsersStoreErrorPassesThrough(t *testing.T) {
	d, st := newUsers(t)
	st.err = fmt.Errorf("postgres: user by subject: %w", store.ErrUnavailable)
	ctx := context.Background()
	if u, err := d.UserBySubject(ctx, "sub-bob"); !errors.Is(err, store.ErrUnavailable) || u != nil {
		t.Errorf("by subject with the store down: %v, %v; want ErrUnavailable", u, err)
	}
	if u, err := d.User(ctx, "bob"); !errors.Is(err, store.ErrUnavailable) || u != nil {
		t.Errorf("by name with the store down: %v, %v; want ErrUnavailable", u, err)
	}
	if u, err := d.User(ctx, "alice"); err != nil || u == nil {
		t.Errorf("file user with the store down: %v, %v", u, err)
	}
}
