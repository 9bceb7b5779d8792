package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// TestKeysRotateAndList: `keys rotate --alg ES256` adds a next key that a
// server started afterwards publishes but does not sign with; `keys list
// --json` shows it with its activation time, and the text form names
// every column.
func TestKeysRotateAndList(t *testing.T) {
	path := writeRelativeConfig(t, t.TempDir())
	if err := cmdKeys([]string{"list", "--config", path}); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("list before any server made the store: %v", err)
	}
	issueGrants(t, path, 1) // a server ran once: the first keys exist

	out := captureStdout(t, func() error { return cmdKeys([]string{"rotate", "--config", path, "--alg", "ES256"}) })
	if !strings.Contains(out, "added ES256 key") {
		t.Fatalf("rotate printed %q", out)
	}
	raw := captureStdout(t, func() error { return cmdKeys([]string{"list", "--config", path, "--json"}) })
	var list []keys.Info
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, raw)
	}
	states := map[string]int{}
	var next keys.Info
	for _, in := range list {
		states[string(in.Algorithm)+" "+string(in.State)]++
		if in.State == keys.StateNext {
			next = in
		}
	}
	if states["ES256 next"] != 1 || states["ES256 active"] != 1 || states["RS256 active"] != 1 || len(list) != 3 {
		t.Fatalf("states after rotating ES256: %v", states)
	}
	delay := config.DefaultJWKSMaxAge + keys.ReloadEvery + config.DefaultKeysClockSkew
	if d := next.ActivatesAt.Sub(next.CreatedAt); d != delay {
		t.Fatalf("the CLI's key activates %v after its creation, want the servers' %v", d, delay)
	}
	if err := cmdKeys([]string{"rotate", "--config", path, "--alg", "ES256"}); err == nil || !strings.Contains(err.Error(), next.KID) {
		t.Fatalf("a second rotation while %s waits: %v", next.KID, err)
	}
	if err := cmdKeys([]string{"rotate", "--config", path, "--alg", "HS256"}); err == nil {
		t.Fatal("rotated HS256")
	}

	// A server opened now publishes the key and signs with the old one.
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !strings.Contains(string(a.Keys.JWKSJSON()), next.KID) {
		t.Fatal("the server does not publish the CLI's next key")
	}
	if s, _ := a.Keys.JWSSigner("ES256", ""); s.KeyID() == next.KID {
		t.Fatal("the server signs with the CLI's key before its activation")
	}

	text := captureStdout(t, func() error { return cmdKeys([]string{"list", "--config", path}) })
	for _, want := range []string{"KID", "STATE", "ACTIVATES", next.KID, "next", next.ActivatesAt.UTC().Format(time.RFC3339)} {
		if !strings.Contains(text, want) {
			t.Errorf("keys list lacks %q:\n%s", want, text)
		}
	}
}

// TestScheduledRotationOneNode: with keys.rotate_every set, of two nodes
// sharing a store only the lease holder rotates, once, when due.
func TestScheduledRotationOneNode(t *testing.T) {
	path := writeRelativeConfig(t, t.TempDir())
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Keys.RotateEvery = 24 * time.Hour
	created := time.Now()
	now := created.Add(24*time.Hour - time.Minute) // both nodes' clock
	clock := func() time.Time { return now }
	ctx := context.Background()
	first, err := app.Open(ctx, cfg, app.Options{Now: func() time.Time { return created }}) // the first keys
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	var nodes []*app.App
	for _, id := range []string{"node-a", "node-b"} {
		a, err := app.Open(ctx, cfg, app.Options{Now: clock, NodeID: id})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		nodes = append(nodes, a)
	}
	// node-a takes the lease a minute before the keys are due.
	if added, err := nodes[0].RotateKeysOnce(ctx); err != nil || len(added) != 0 {
		t.Fatalf("rotated %v, %v before the keys were due", added, err)
	}
	now = now.Add(2 * time.Minute) // due now, and node-a's lease runs on
	if other, err := nodes[1].RotateKeysOnce(ctx); err != nil || len(other) != 0 {
		t.Fatalf("node-b rotated while node-a holds the lease: %v, %v", other, err)
	}
	added, err := nodes[0].RotateKeysOnce(ctx)
	if err != nil || len(added) != len(keys.Algorithms) {
		t.Fatalf("lease holder rotated %v, %v; want one key per algorithm", added, err)
	}
	if again, err := nodes[0].RotateKeysOnce(ctx); err != nil || len(again) != 0 {
		t.Fatalf("rotated again while the next keys wait: %v, %v", again, err)
	}
}
