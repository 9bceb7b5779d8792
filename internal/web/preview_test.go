package web

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPreview writes every page; set TOLLGATE_PREVIEW_DIR to keep them
// (for example to screenshot them with headless Chromium).
func TestPreview(t *testing.T) {
	dir := os.Getenv("TOLLGATE_PREVIEW_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := newTestRenderer(t).Preview(dir); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("Preview wrote %d files, want every page in both languages", len(files))
	}
}

func newTestRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
