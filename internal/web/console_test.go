package web

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestConsolePages: every console page renders with the one inline style
// the policy admits by hash, no script, and escapes what it is given.
func TestConsolePages(t *testing.T) {
	c, err := NewConsole()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.pages) < 8 {
		t.Fatalf("%d console pages parsed", len(c.pages))
	}
	w := httptest.NewRecorder()
	if err := c.Render(w, 200, "message", ConsoleFrame{Lang: EN, Who: "ana", CSRF: "tok"}, struct {
		Title, Text, Back string
		Alert             bool
	}{"<script>x</script>", "<img src=x onerror=alert(1)>", "/admin/", true}); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if strings.Contains(body, "<script") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("not escaped: %s", body)
	}
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(body)
	if style == nil || !strings.Contains(w.Header().Get("Content-Security-Policy"), cspHash(style[1])) {
		t.Errorf("the page's style is not the one the CSP admits by hash")
	}
	if csp := w.Header().Get("Content-Security-Policy"); strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("console CSP admits script or unsafe: %s", csp)
	}
	if err := c.Render(httptest.NewRecorder(), 200, "nope", ConsoleFrame{}, nil); err == nil {
		t.Error("an unknown page rendered")
	}
}
