package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Clients registered at run time (store.ClientStore).

func newClientRecord(id string) store.ClientRecord {
	return store.ClientRecord{
		ID:         id,
		Settings:   []byte(`{"id":"` + id + `","grant_types":["client_credentials"]}`),
		SecretHash: "hash-of-" + id,
		CreatedAt:  at(0),
		UpdatedAt:  at(0),
	}
}

func checkClient(t *testing.T, what string, got, want store.ClientRecord) {
	t.Helper()
	if got.ID != want.ID || string(got.Settings) != string(want.Settings) || got.SecretHash != want.SecretHash ||
		got.Disabled != want.Disabled || got.Version != want.Version ||
		!got.CreatedAt.Equal(want.CreatedAt.Truncate(time.Microsecond)) || !got.UpdatedAt.Equal(want.UpdatedAt.Truncate(time.Microsecond)) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func testClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newClientRecord("svc-b")
	if err := s.CreateClient(ctx, c, store.Event{}); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	dup := newClientRecord("svc-b")
	dup.Settings = []byte(`{}`)
	wantErr(t, "CreateClient(duplicate)", s.CreateClient(ctx, dup, store.Event{}), store.ErrConflict)

	want := c
	want.Version = 1
	got, err := s.StoredClient(ctx, "svc-b")
	if err != nil {
		t.Fatalf("StoredClient: %v", err)
	}
	checkClient(t, "StoredClient", got, want) // the duplicate overwrote nothing
	_, err = s.StoredClient(ctx, "nope")
	wantErr(t, "StoredClient(unknown)", err, store.ErrNotFound)

	// An update on the version read moves it; CreatedAt stays.
	up := got
	up.Settings, up.SecretHash, up.Disabled, up.UpdatedAt = []byte(`{"id":"svc-b"}`), "", true, at(time.Minute)
	up.CreatedAt = at(time.Hour) // ignored
	if err := s.UpdateClient(ctx, up, store.Event{}); err != nil {
		t.Fatalf("UpdateClient: %v", err)
	}
	want = up
	want.CreatedAt, want.Version = at(0), 2
	got, err = s.StoredClient(ctx, "svc-b")
	if err != nil {
		t.Fatalf("StoredClient: %v", err)
	}
	checkClient(t, "after UpdateClient", got, want)

	// The same stale version again: someone wrote in between.
	wantErr(t, "UpdateClient(stale version)", s.UpdateClient(ctx, up, store.Event{}), store.ErrConflict)
	ghost := newClientRecord("ghost")
	ghost.Version = 1
	wantErr(t, "UpdateClient(unknown)", s.UpdateClient(ctx, ghost, store.Event{}), store.ErrNotFound)
	got, _ = s.StoredClient(ctx, "svc-b")
	checkClient(t, "after the refused updates", got, want)
}

func testListClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Byte order, not a locale's: "B" < "a" < "b".
	ids := []string{"b-2", "a", "B", "b-10", "c"}
	for _, id := range ids {
		if err := s.CreateClient(ctx, newClientRecord(id), store.Event{}); err != nil {
			t.Fatalf("CreateClient(%s): %v", id, err)
		}
	}
	sorted := []string{"B", "a", "b-10", "b-2", "c"}
	all, err := s.AllClients(ctx)
	if err != nil {
		t.Fatalf("AllClients: %v", err)
	}
	if got := clientIDs(all); fmt.Sprint(got) != fmt.Sprint(sorted) {
		t.Errorf("AllClients = %v, want %v", got, sorted)
	}
	var paged []string
	after := ""
	for range 10 {
		page, err := s.ListClients(ctx, after, 2)
		if err != nil {
			t.Fatalf("ListClients(%q): %v", after, err)
		}
		if len(page) > 2 {
			t.Fatalf("ListClients(limit 2) returned %d", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, clientIDs(page)...)
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(paged) != fmt.Sprint(sorted) {
		t.Errorf("ListClients pages = %v, want %v", paged, sorted)
	}
}

func clientIDs(cs []store.ClientRecord) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// testUpdateClientConcurrent: several updates of one version at once,
// from as many goroutines (and, with Reopen, as many handles): exactly
// one wins, the rest are ErrConflict.
func testUpdateClientConcurrent(t *testing.T, b Backend, s store.Store) {
	ctx := context.Background()
	if err := s.CreateClient(ctx, newClientRecord("racy"), store.Event{}); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	handles := []store.Store{s}
	if b.Reopen != nil {
		o := b.Reopen(t, s)
		t.Cleanup(func() { o.Close() })
		handles = append(handles, o)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClientRecord("racy")
			c.Version, c.Settings, c.UpdatedAt = 1, []byte(fmt.Sprintf(`{"n":%d}`, i)), at(time.Minute)
			errs[i] = handles[i%len(handles)].UpdateClient(ctx, c, store.Event{})
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("updates %d and %d of version 1 both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("update %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no update of version 1 won")
	}
	got, err := s.StoredClient(ctx, "racy")
	if err != nil {
		t.Fatalf("StoredClient: %v", err)
	}
	if got.Version != 2 || string(got.Settings) != fmt.Sprintf(`{"n":%d}`, won) {
		t.Errorf("stored %s at version %d, want the winner's {\"n\":%d} at 2", got.Settings, got.Version, won)
	}
}
