package directory

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// counted is a real store whose AllClients reads are counted, and can be
// made to fail.
type counted struct {
	*memstore.Store
	mu    sync.Mutex
	reads int
	fail  error
}

func (c *counted) AllClients(ctx context.Context) ([]store.ClientRecord, error) {
	c.mu.Lock()
	c.reads++
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return c.Store.AllClients(ctx)
}

func fileConfig(t *testing.T) *config.Config {
	t.Helper()
	c := config.Default()
	c.Issuer = "https://login.example.com"
	c.Clients = []config.Client{{ID: "file-svc", Secret: secret.Generate(), GrantTypes: []string{config.GrantClientCredentials}}}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	return c
}

func fixture(t *testing.T) (*Clients, *counted, *testclock.Clock) {
	src := &counted{Store: memstore.New()}
	clk := testclock.At(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return NewClients(fileConfig(t), src, clk.Now, nil), src, clk
}

func createClient(t *testing.T, s store.ClientStore, id, settings string) {
	t.Helper()
	r := store.ClientRecord{ID: id, Settings: []byte(settings)}
	if !strings.Contains(settings, `"public"`) {
		r.SecretHash = secret.HashClientSecret(secret.Generate())
	}
	if err := s.CreateClient(context.Background(), r, store.Event{}); err != nil {
		t.Fatal(err)
	}
}

func setDisabled(t *testing.T, s store.ClientStore, id string, disabled bool) {
	t.Helper()
	r, err := s.StoredClient(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	r.Disabled = disabled
	if err := s.UpdateClient(context.Background(), r, store.Event{}); err != nil {
		t.Fatal(err)
	}
}

const svcDoc = `{"id":"svc","grant_types":["client_credentials"]}`

func TestFileClientsNeverReadTheStore(t *testing.T) {
	d, src, _ := fixture(t)
	for range 3 {
		if cl, ok := d.Client("file-svc"); !ok || cl.ID != "file-svc" {
			t.Fatalf("Client(file-svc) = %v, %v", cl, ok)
		}
	}
	if src.reads != 0 {
		t.Errorf("%d store reads for the file's client, want 0", src.reads)
	}
}

// TestUnknownIDReloadsAtMostOnceASecond: a flood of made-up ids costs one
// store read a second; a client created meanwhile is found on the first
// miss after that second.
func TestUnknownIDReloadsAtMostOnceASecond(t *testing.T) {
	d, src, clk := fixture(t)
	if _, ok := d.Client("nobody"); ok {
		t.Fatal("found an unknown client")
	}
	first := src.reads
	for range 50 {
		d.Client("nobody")
		clk.Add(10 * time.Millisecond) // 0.5 s in all
	}
	if src.reads != first {
		t.Errorf("%d store reads within a second of misses, want none after the first", src.reads-first)
	}
	createClient(t, src, "svc", svcDoc) // on another node
	clk.Add(ClientsMissEvery)
	if cl, ok := d.Client("svc"); !ok || cl.AuthMethod != config.AuthSecretBasic {
		t.Fatalf("a client created elsewhere is not found on a miss a second later: %v, %v", cl, ok)
	}
}

// TestChangesBoundByReloadInterval: a disable on another node is in force
// here once the snapshot is ClientsReloadEvery old, not before (the bound
// the README states); Reload puts it in force at once.
func TestChangesBoundByReloadInterval(t *testing.T) {
	d, src, clk := fixture(t)
	createClient(t, src, "svc", svcDoc)
	if _, ok := d.Client("svc"); !ok {
		t.Fatal("svc not found")
	}
	setDisabled(t, src, "svc", true)
	clk.Add(ClientsReloadEvery - time.Millisecond)
	if _, ok := d.Client("svc"); !ok {
		t.Fatal("the snapshot was reloaded before its bound") // a hit reads nothing
	}
	clk.Add(time.Millisecond)
	if _, ok := d.Client("svc"); ok {
		t.Fatal("a disabled client is still served after the reload bound")
	}

	setDisabled(t, src, "svc", false)
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Client("svc"); !ok {
		t.Fatal("an enabled client is refused after Reload")
	}
}

// TestStoreDownKeepsSnapshot: a failing store neither empties the
// snapshot nor is asked more than once a second.
func TestStoreDownKeepsSnapshot(t *testing.T) {
	d, src, clk := fixture(t)
	createClient(t, src, "svc", svcDoc)
	d.Client("svc")
	src.fail = store.ErrUnavailable
	clk.Add(ClientsReloadEvery)
	reads := src.reads
	for range 20 {
		if _, ok := d.Client("svc"); !ok {
			t.Fatal("the store being down dropped a known client")
		}
		clk.Add(10 * time.Millisecond)
	}
	if src.reads-reads != 1 {
		t.Errorf("%d reads of a failing store within a second, want 1", src.reads-reads)
	}
	if err := d.Reload(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Reload = %v, want the store's error", err)
	}
}

// TestStoredClientFailingRulesLeftOut: a stored client the configuration
// no longer accepts is refused, not served half-checked.
func TestStoredClientFailingRulesLeftOut(t *testing.T) {
	d, src, _ := fixture(t)
	createClient(t, src, "bad", `{"id":"bad","redirect_uris":["http://evil.example/cb"]}`)
	createClient(t, src, "svc", svcDoc)
	if _, ok := d.Client("bad"); ok {
		t.Error("a stored client with a bad redirect URI is served")
	}
	if _, ok := d.Client("svc"); !ok {
		t.Error("one bad client hid the others")
	}
}

// TestStoredOriginsAndList: a store client's redirect URI origins are
// allowed for CORS, and it is among Stored, once loaded; a disabled one
// is neither.
func TestStoredOriginsAndList(t *testing.T) {
	d, src, _ := fixture(t)
	createClient(t, src, "spa", `{"id":"spa","type":"public","redirect_uris":["https://SPA.example:8443/cb"]}`)
	createClient(t, src, "off", `{"id":"off","type":"public","redirect_uris":["https://off.example/cb"]}`)
	setDisabled(t, src, "off", true)
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !d.AllowsOrigin("https://spa.example:8443") || d.AllowsOrigin("https://off.example") || d.AllowsOrigin("https://evil.example") {
		t.Error("origins: want the enabled store client's only")
	}
	if l := d.Stored(); len(l) != 1 || l[0].ID != "spa" {
		t.Errorf("Stored = %v, want [spa]", l)
	}
}
