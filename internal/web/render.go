package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// The page's one inline <style> and the form post page's one inline <script>.
// The CSP allows exactly these bytes by hash, so they are inserted verbatim
// (as template.CSS and template.JS) and never built per request.
var (
	//go:embed templates/style.css
	styleCSS string
	//go:embed templates/formpost.js
	formPostJS string

	styleHash  = cspHash(styleCSS)
	scriptHash = cspHash(formPostJS)
)

// pageNames are the templates under templates/, each parsed with layout.html.
var pageNames = []string{"login", "consent", "error", "logout", "loggedout", "formpost", "unavailable"}

// Renderer holds the parsed page templates. It is safe for concurrent use.
type Renderer struct {
	pages map[string]*template.Template
}

// NewRenderer parses the embedded templates once.
func NewRenderer() (*Renderer, error) {
	base, err := template.New("layout").
		Option("missingkey=error"). // a text key missing from the table fails the render, not the page
		Funcs(template.FuncMap{"tf": tf, "tp": tp}).
		ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	r := &Renderer{pages: make(map[string]*template.Template, len(pageNames))}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if t, err = t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// view is what every template sees: the page's own data as P, the texts in
// its language as T, and the few values derived from P in Go.
type view struct {
	Lang   Lang
	T      map[string]string
	CSS    template.CSS
	JS     template.JS
	Client string       // the name to call the client by, when the page names it
	URL    template.URL // a vetted link target (LoggedOut)
	Scopes []scopeItem  // Consent
	P      any
}

func newView(lang Lang, p any) *view {
	lang = lang.norm()
	return &view{Lang: lang, T: texts[lang], CSS: template.CSS(styleCSS), P: p}
}

// render executes the page into a buffer first, so a failed render writes
// nothing and the caller can still answer with an error page.
func (r *Renderer) render(w http.ResponseWriter, status int, name, csp string, v *view) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // pages carry CSRF tokens and per-request state
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY") // clickjacking on login and consent; frame-ancestors for newer browsers
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// cspHash is the CSP hash-source of an inline element's exact text.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// policy builds the Content-Security-Policy of a page. formAction lists the
// form-action sources; withScript admits the form post page's script.
func policy(formAction []string, withScript bool) string {
	var b strings.Builder
	b.WriteString("default-src 'none'; style-src " + styleHash)
	if withScript {
		b.WriteString("; script-src " + scriptHash)
	}
	b.WriteString("; img-src data:; form-action " + strings.Join(formAction, " "))
	b.WriteString("; frame-ancestors 'none'; base-uri 'none'")
	return b.String()
}

// selfPolicy allows forms to post to the server itself and, when redirectURI
// is set, to the origin the POST may redirect to: Chromium and Safari check
// form-action against the redirects after a submission as well
// (w3c/webappsec-csp#8), and login, consent and logout end in a redirect to
// the client.
func selfPolicy(redirectURI string) (string, error) {
	sources := []string{"'self'"}
	if redirectURI != "" {
		src, err := formSource(redirectURI)
		if err != nil {
			return "", err
		}
		sources = append(sources, src)
	}
	return policy(sources, false), nil
}

// formSource turns an absolute redirect URI into a CSP source expression for
// its origin. A native app's private-use scheme (RFC 8252 §7.1) becomes a
// scheme-source. A host that CSP's host-source grammar cannot name (an IPv6
// literal such as RFC 8252's http://[::1]:port, or a non-ASCII name) falls
// back to the scheme alone.
func formSource(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("web: redirect URI %q is not an absolute URI", raw)
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "javascript", "data", "vbscript", "blob", "filesystem", "file", "about":
		return "", fmt.Errorf("web: redirect URI scheme %q is not allowed", scheme)
	case "http", "https":
	default:
		return scheme + ":", nil
	}
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("web: redirect URI %q has no host", raw)
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return scheme + ":", nil
		}
	}
	src := scheme + "://" + strings.ToLower(host)
	if p := u.Port(); p != "" {
		src += ":" + p
	}
	return src, nil
}

// safeLink vets a client-registered URI for use as a link target. html/template
// alone would reject a native app's private-use scheme, so an absolute URI with
// any scheme but a scripting or local one is passed on as template.URL (still
// normalised and attribute-escaped by the template).
func safeLink(raw string) (template.URL, error) {
	if _, err := formSource(raw); err != nil {
		return "", err
	}
	return template.URL(raw), nil
}
