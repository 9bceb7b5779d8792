package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

func grantAndToken(id string) (store.Grant, store.RefreshToken) {
	now := time.Now()
	g := store.Grant{ID: id, ClientID: "client-a", Subject: "alice", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	return g, store.RefreshToken{Hash: "rt0-" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func successor(id string, gen int) store.RefreshToken {
	now := time.Now()
	return store.RefreshToken{Hash: fmt.Sprintf("rt%d-%s", gen, id), GrantID: id, Generation: gen, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// within fails unless fn returns within d, and returns what it returned.
func within[T any](t *testing.T, d time.Duration, what string, fn func() (T, error)) (T, error) {
	t.Helper()
	start := time.Now()
	v, err := fn()
	if took := time.Since(start); took > d {
		t.Errorf("%s took %v, want at most %v", what, took, d)
	}
	return v, err
}

// noValue adapts a call that returns only an error to within.
func noValue(fn func() error) func() (struct{}, error) {
	return func() (struct{}, error) { return struct{}{}, fn() }
}

// A rotation stuck behind a lock it cannot get gives up at the
// StatementTimeout with ErrUnavailable (a 503 the client may retry), and
// writes nothing; once the lock is gone the same rotation succeeds.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t, "tg", nil)
	db := open(t, dsn, postgres.Options{StatementTimeout: 300 * time.Millisecond})
	defer db.Close()
	g, rt0 := grantAndToken("g1")
	if err := db.CreateGrant(ctx, g, rt0, store.Event{}); err != nil {
		t.Fatal(err)
	}
	locker, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM refresh_tokens WHERE hash = $1 FOR UPDATE`, rt0.Hash); err != nil {
		t.Fatal(err)
	}
	_, err = within(t, 2*time.Second, "rotation behind a held lock", noValue(func() error {
		return db.RotateRefreshToken(ctx, rt0.Hash, time.Now(), successor("g1", 1))
	}))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("rotation behind a held lock: err = %v, want ErrUnavailable", err)
	}
	// Readers are not blocked by the lock.
	if rt, _, err := db.RefreshToken(ctx, rt0.GrantID, rt0.Hash); err != nil || rt.Consumed() {
		t.Errorf("RefreshToken while locked = consumed %v, %v; want unconsumed", rt.Consumed(), err)
	}
	tx.Rollback(ctx)
	if err := db.RotateRefreshToken(ctx, rt0.Hash, time.Now(), successor("g1", 1)); err != nil {
		t.Errorf("rotation after the lock went: %v", err)
	}
}

// proxy is a TCP relay in front of the test database that can be cut
// (every connection dropped, new ones refused) and restored on the same
// address: the database going away and coming back, as a node sees it.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.relay(c)
		}
	}()
}

func (p *proxy) relay(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("restore proxy on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// The database going away: every call fails within the StatementTimeout
// with ErrUnavailable, never hangs, and writes nothing; when it comes back
// the same handle recovers by itself, with no restart.
func TestDatabaseGoneAndBack(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t, "tg", nil)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skip("TOLLGATE_TEST_POSTGRES is not a URL; this test rewrites its host")
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	const timeout = time.Second
	db := open(t, u.String(), postgres.Options{StatementTimeout: timeout, ConnectTimeout: 500 * time.Millisecond, MaxConns: 4})
	defer db.Close()
	g, rt0 := grantAndToken("g1")
	if err := db.CreateGrant(ctx, g, rt0, store.Event{}); err != nil {
		t.Fatal(err)
	}

	p.cut()
	calls := map[string]func() error{
		"Ping":               func() error { return db.Ping(ctx) },
		"RefreshToken":       func() error { _, _, err := db.RefreshToken(ctx, rt0.GrantID, rt0.Hash); return err },
		"RotateRefreshToken": func() error { return db.RotateRefreshToken(ctx, rt0.Hash, time.Now(), successor("g1", 1)) },
		"RevokeGrant":        func() error { _, err := db.RevokeGrant(ctx, "g1", time.Now(), store.Event{}); return err },
		"DeleteExpired":      func() error { _, err := db.DeleteExpired(ctx, time.Now()); return err },
	}
	for range 2 { // the first round meets broken pooled connections, the second none at all
		for name, call := range calls {
			_, err := within(t, timeout+time.Second, name+" while the database is gone", noValue(call))
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s while the database is gone: err = %v, want ErrUnavailable", name, err)
			}
		}
	}

	p.restore()
	deadline := time.Now().Add(5 * time.Second)
	for db.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the handle did not recover within 5s of the database coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing was half-done while it was gone: the token is unconsumed and
	// the grant live, so the client's retry with the same token succeeds.
	rt, gr, err := db.RefreshToken(ctx, rt0.GrantID, rt0.Hash)
	if err != nil || rt.Consumed() || gr.Revoked() {
		t.Fatalf("after recovery: token consumed %v, grant revoked %v, %v; want neither", rt.Consumed(), gr.Revoked(), err)
	}
	if err := db.RotateRefreshToken(ctx, rt0.Hash, time.Now(), successor("g1", 1)); err != nil {
		t.Errorf("rotation after recovery: %v", err)
	}
}

// Open against a port where nothing listens fails at once, as unavailable.
func TestOpenUnreachable(t *testing.T) {
	pgtest.BaseDSN(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = within(t, 3*time.Second, "Open of an unreachable database", noValue(func() error {
		db, err := postgres.Open(context.Background(), "postgres://u:hunter2@"+addr+"/tg?sslmode=disable", postgres.Options{ConnectTimeout: time.Second})
		if err == nil {
			db.Close()
		}
		return err
	}))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open(unreachable): err = %v, want ErrUnavailable", err)
	}
}

// Close is safe twice, and a call after it fails plainly: not a verdict
// about the token (ErrNotFound, ErrConflict), and without hanging.
func TestClosed(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err := within(t, time.Second, "RotateRefreshToken after Close", noValue(func() error {
		return db.RotateRefreshToken(context.Background(), "a", time.Now(), store.RefreshToken{Hash: "b"})
	}))
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		t.Errorf("RotateRefreshToken after Close: err = %v", err)
	}
	// The other batched calls too: no batching goroutine is left to take them.
	_, err = within(t, time.Second, "RefreshToken after Close", noValue(func() error {
		_, _, err := db.RefreshToken(context.Background(), "g", "a")
		return err
	}))
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("RefreshToken after Close: err = %v", err)
	}
	_, err = within(t, time.Second, "UseJTI after Close", noValue(func() error {
		return db.UseJTI(context.Background(), "c", "j", time.Now().Add(time.Hour), time.Now())
	}))
	if err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("UseJTI after Close: err = %v", err)
	}
}
