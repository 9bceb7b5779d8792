package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// The operator's console (internal/console) renders its pages here, with
// the sign-in pages' layout, the same strict CSP (its one inline style
// allowed by hash, no script) and html/template's escaping. Its texts are
// English only and live in its templates: the console is an operator's
// tool, and the text table is the end user's.

//go:embed templates/console/*.html
var consoleFS embed.FS

//go:embed templates/console/console.css
var consoleExtraCSS string

var (
	consoleCSS  = styleCSS + consoleExtraCSS
	consoleHash = cspHash(consoleCSS)
)

// ConsolePolicy is the Content-Security-Policy of every console page:
// nothing but its own style; forms post to the console itself; never
// framed (clickjacking an action button is the attack it stops).
var ConsolePolicy = "default-src 'none'; style-src " + consoleHash +
	"; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Console renders the console's pages. It is safe for concurrent use.
type Console struct {
	pages map[string]*template.Template
}

// consoleView is what a console template sees.
type consoleView struct {
	Lang Lang
	CSS  template.CSS
	Who  string // the signed-in administrator, "" on the sign-in page
	CSRF string // the sign-out form's token
	P    any
}

// NewConsole parses the console's templates once.
func NewConsole() (*Console, error) {
	funcs := template.FuncMap{"tf": tf, "tp": tp, "when": consoleTime, "join": strings.Join, "pe": url.PathEscape}
	base, err := template.New("layout").Option("missingkey=error").Funcs(funcs).
		ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	if base, err = base.ParseFS(consoleFS, "templates/console/parts.html"); err != nil {
		return nil, fmt.Errorf("web: parse console parts: %w", err)
	}
	names, err := fs.Glob(consoleFS, "templates/console/*.html")
	if err != nil {
		return nil, err
	}
	c := &Console{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "parts" {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(consoleFS, n)
		}
		if err != nil {
			return nil, fmt.Errorf("web: parse console %s: %w", name, err)
		}
		c.pages[name] = t
	}
	return c, nil
}

// Render writes the console page name with status: data as .P, who as
// the administrator named in the header, csrf the sign-out form's token.
// A failed render writes nothing.
func (c *Console) Render(w http.ResponseWriter, status int, name, who, csrf string, data any) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("web: no console page %q", name)
	}
	var buf bytes.Buffer
	v := consoleView{Lang: EN, CSS: template.CSS(consoleCSS), Who: who, CSRF: csrf, P: data}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render console %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // a grant id or subject in the URL stays on the listener
	h.Set("Content-Security-Policy", ConsolePolicy)
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// consoleTime formats a time for the console: UTC to the second, "–" for zero.
func consoleTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
