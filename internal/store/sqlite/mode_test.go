//go:build unix

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestFilesArePrivate: the database holds every grant of every user, so
// the file and its -wal and -shm companions are readable by the server's
// user alone (0600), whatever the umask, and an existing file left
// world-readable by an older build is tightened on Open.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the common default, which leaves 0644
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tollgate.db")

	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v, want 0600", when, filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	write := func(db *DB, id string) {
		t.Helper()
		now := time.Now()
		g := store.Grant{ID: id, ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateGrant(ctx, g, store.RefreshToken{Hash: "h" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(db, "g1")
	check("new database")
	db.Close()

	// A file another build created world-readable is tightened.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Chmod(p, 0o644) // -wal and -shm may be gone after a clean close
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write(db, "g2")
	check("reopened 0644 database")
}
