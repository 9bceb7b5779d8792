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
// in the one text table, bokmål and English (console_text.go); times are
// UTC in both.

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

// ConsoleFrame is what every console page shows around its own data.
type ConsoleFrame struct {
	Lang Lang
	Who  string // the signed-in administrator, "" on the sign-in page
	CSRF string // the sign-out form's token
	// Here is the page's URL as asked for (a GET), for the link to the
	// same page, query and all, in the other language (nil for none).
	Here *url.URL
}

// consoleView is what a console template sees.
type consoleView struct {
	ConsoleFrame
	T        map[string]string
	Other    Lang   // the language the switch link offers
	LangHref string // the link to Here in Other ("" for none)
	CSS      template.CSS
	P        any
}

// consolePart is what a shared part (grants, pager) sees: the texts and
// its own data.
type consolePart struct {
	T map[string]string
	D any
}

// NewConsole parses the console's templates once.
func NewConsole() (*Console, error) {
	funcs := template.FuncMap{"tf": tf, "tp": tp, "when": consoleTime, "join": strings.Join, "pe": url.PathEscape,
		"part": func(t map[string]string, d any) consolePart { return consolePart{T: t, D: d} }}
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

// Render writes the console page name with status: data as .P, in f's
// language, with f's administrator named in the header. A failed render
// writes nothing.
func (c *Console) Render(w http.ResponseWriter, status int, name string, f ConsoleFrame, data any) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("web: no console page %q", name)
	}
	var buf bytes.Buffer
	f.Lang = f.Lang.norm()
	v := consoleView{ConsoleFrame: f, T: texts[f.Lang], Other: NB, CSS: template.CSS(consoleCSS), P: data}
	if f.Lang == NB {
		v.Other = EN
	}
	v.LangHref = langHref(f.Here, v.Other)
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render console %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(f.Lang))
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

// langHref is the link to here in lang: here's path as sent (an id may
// hold an encoded "/" or "?") and its query (a search, a page cursor)
// with ui_locales set to lang. "" when here is nil.
func langHref(here *url.URL, lang Lang) string {
	if here == nil {
		return ""
	}
	u := *here
	q := u.Query()
	q.Set("ui_locales", string(lang))
	u.RawQuery, u.Fragment = q.Encode(), ""
	return u.RequestURI()
}
