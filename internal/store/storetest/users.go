package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Users managed at runtime: a user reads back as written by username and
// by subject; a taken username or subject is ErrConflict; each change
// applies only the fields it sets and moves UpdatedAt; a listing pages in
// username order; an unknown user is ErrNotFound.
func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	ev := store.Event{Kind: store.EventUserChanged, Reason: store.UserCreated, Time: at(0)}
	alice := store.User{Subject: "sub-alice", Username: "alice", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		Claims: json.RawMessage(`{"name":"Alice","email":"alice@example.test"}`), CreatedAt: at(0), UpdatedAt: at(0)}
	if err := s.CreateUser(ctx, alice, ev); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	same := func(what string, got store.User, want store.User) {
		t.Helper()
		var gc, wc any
		if err := json.Unmarshal(got.Claims, &gc); err != nil {
			t.Fatalf("%s: claims %q: %v", what, got.Claims, err)
		}
		_ = json.Unmarshal(want.Claims, &wc)
		if wc == nil {
			wc = map[string]any{}
		}
		if fmt.Sprint(gc) != fmt.Sprint(wc) || got.Subject != want.Subject || got.Username != want.Username ||
			got.PasswordHash != want.PasswordHash || got.Disabled != want.Disabled ||
			!got.CreatedAt.Equal(want.CreatedAt.Truncate(time.Microsecond)) || !got.UpdatedAt.Equal(want.UpdatedAt.Truncate(time.Microsecond)) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	u, err := s.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatalf("UserByUsername: %v", err)
	}
	same("by username", u, alice)
	if u, err = s.UserBySubject(ctx, "sub-alice"); err != nil {
		t.Fatalf("UserBySubject: %v", err)
	}
	same("by subject", u, alice)

	for _, dup := range []store.User{
		{Subject: "sub-other", Username: "alice", CreatedAt: at(0)},
		{Subject: "sub-alice", Username: "other", CreatedAt: at(0)},
	} {
		if err := s.CreateUser(ctx, dup, ev); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateUser(%s, %s) over a taken one: %v, want ErrConflict", dup.Username, dup.Subject, err)
		}
	}
	if _, err := s.UserByUsername(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused CreateUser left a user behind: %v", err)
	}
	if _, err := s.UserByUsername(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByUsername(unknown): %v, want ErrNotFound", err)
	}
	if _, err := s.UserBySubject(ctx, "sub-nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserBySubject(unknown): %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateUser(ctx, "nobody", store.UserUpdate{Disabled: ptr(true)}, at(time.Minute), ev); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser(unknown): %v, want ErrNotFound", err)
	}

	// Each change sets its own field only.
	want := alice
	want.Disabled, want.UpdatedAt = true, at(time.Minute)
	got, err := s.UpdateUser(ctx, "alice", store.UserUpdate{Disabled: ptr(true)}, at(time.Minute), ev)
	if err != nil {
		t.Fatalf("UpdateUser(disable): %v", err)
	}
	same("disabled (returned)", got, want)
	u, _ = s.UserBySubject(ctx, "sub-alice")
	same("disabled (read back)", u, want)

	want.PasswordHash, want.UpdatedAt = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaG5ld2hhc2g", at(2*time.Minute)
	if got, err = s.UpdateUser(ctx, "alice", store.UserUpdate{PasswordHash: &want.PasswordHash}, at(2*time.Minute), ev); err != nil {
		t.Fatalf("UpdateUser(password): %v", err)
	}
	same("password set", got, want)

	want.Claims, want.Disabled, want.UpdatedAt = json.RawMessage(`{"name":"Alice B"}`), false, at(3*time.Minute)
	if got, err = s.UpdateUser(ctx, "alice", store.UserUpdate{Claims: want.Claims, Disabled: ptr(false)}, at(3*time.Minute), ev); err != nil {
		t.Fatalf("UpdateUser(claims, enable): %v", err)
	}
	same("claims set, enabled", got, want)
	u, _ = s.UserByUsername(ctx, "alice")
	same("claims set (read back)", u, want)

	// Paging in username order; no claims reads back as {}.
	for _, name := range []string{"dave", "bob", "carol"} {
		if err := s.CreateUser(ctx, store.User{Subject: "sub-" + name, Username: name, CreatedAt: at(0), UpdatedAt: at(0)}, ev); err != nil {
			t.Fatalf("CreateUser(%s): %v", name, err)
		}
	}
	var names []string
	after := ""
	for range 5 {
		page, err := s.ListUsers(ctx, after, 3)
		if err != nil {
			t.Fatalf("ListUsers(%q): %v", after, err)
		}
		if len(page) > 3 {
			t.Fatalf("ListUsers(limit 3) returned %d", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			names = append(names, u.Username)
			if u.Username == "bob" && string(u.Claims) != "{}" {
				t.Errorf("a user with no claims reads back as %q, want {}", u.Claims)
			}
		}
		after = page[len(page)-1].Username
	}
	if fmt.Sprint(names) != "[alice bob carol dave]" {
		t.Errorf("ListUsers pages: %v, want [alice bob carol dave]", names)
	}
}

func ptr[T any](v T) *T { return &v }
