package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// testDeleteSigningKey: a key is deleted with its event, the others stay,
// and deleting an unknown key is ErrNotFound with no event.
func testDeleteSigningKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"kd-old", "kd-new"} {
		if err := s.AddSigningKey(ctx, store.SigningKey{ID: id, Algorithm: "ES256", Sealed: []byte{1}, CreatedAt: at(0)}, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	del := ev(store.EventKeyChanged)
	del.ClientID = "kd-client" // only to find the event here
	if err := s.DeleteSigningKey(ctx, "kd-old", del); err != nil {
		t.Fatalf("DeleteSigningKey: %v", err)
	}
	keys, err := s.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	if slices.Contains(ids, "kd-old") || !slices.Contains(ids, "kd-new") {
		t.Fatalf("keys after deleting kd-old: %v; want kd-new and not kd-old", ids)
	}
	lost := ev(store.EventKeyChanged)
	lost.ClientID = "kd-client"
	lost.Time = at(time.Hour)
	wantErr(t, "DeleteSigningKey(unknown)", s.DeleteSigningKey(ctx, "kd-old", lost), store.ErrNotFound)
	if got := events(t, s, store.EventFilter{ClientID: "kd-client"}); len(got) != 1 || got[0].Kind != store.EventKeyChanged {
		t.Errorf("events %+v, want the one key_changed of the delete that happened", got)
	}
}
