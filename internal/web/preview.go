package web

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Preview writes every page in both languages, with sample data, as HTML
// files into dir (login.nb.html, consent-offline.en.html, …, and
// formpost-nojs.*.html without its auto-submit script), for looking at
// them in a browser or screenshotting them with headless Chromium. It is a
// developer tool; the server never calls it.
func (r *Renderer) Preview(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hidden := map[string]string{"request_id": "rq_2f6c1b", "csrf": "c2FtcGxlLXRva2Vu"}
	for _, lang := range []Lang{NB, EN} {
		pages := []struct {
			name   string
			render func(http.ResponseWriter) error
		}{
			{"login", func(w http.ResponseWriter) error {
				return r.Login(w, LoginPage{Lang: lang, ClientName: "Journal Web", Action: "/login", Hidden: hidden})
			}},
			{"login-failed", func(w http.ResponseWriter) error {
				return r.Login(w, LoginPage{Lang: lang, ClientName: "Journal Web", Action: "/login", Hidden: hidden, Username: "kari.nordmann", Failed: true})
			}},
			{"login-noclient", func(w http.ResponseWriter) error {
				return r.Login(w, LoginPage{Lang: lang, Action: "/login", Hidden: hidden})
			}},
			{"consent", func(w http.ResponseWriter) error {
				return r.Consent(w, ConsentPage{Lang: lang, ClientName: "Journal Web", ClientID: "journal-web", Username: "kari.nordmann",
					Action: "/consent", Hidden: hidden, Scopes: []string{"openid", "profile", "email"}, RedirectURI: "https://journal.example/cb"})
			}},
			{"consent-offline", func(w http.ResponseWriter) error {
				return r.Consent(w, ConsentPage{Lang: lang, ClientName: "Journal Web", ClientID: "journal-web", Username: "kari.nordmann",
					Action: "/consent", Hidden: hidden, Scopes: []string{"openid", "profile", "email", "address", "phone", "offline_access", "journal:read"},
					Offline: true, RedirectURI: "https://journal.example/cb"})
			}},
			{"error", func(w http.ResponseWriter) error {
				return r.Error(w, http.StatusBadRequest, ErrorPage{Lang: lang, Code: "invalid_request",
					Message: `redirect_uri "https://evil.example/cb" is not registered for client "journal-web"`})
			}},
			{"unavailable", func(w http.ResponseWriter) error {
				return r.Unavailable(w, UnavailablePage{Lang: lang, RetryAfter: 3, RetryURL: "/connect/authorize?client_id=journal-web"})
			}},
			{"unavailable-post", func(w http.ResponseWriter) error {
				return r.Unavailable(w, UnavailablePage{Lang: lang, RetryAfter: 3})
			}},
			{"logout", func(w http.ResponseWriter) error {
				return r.LogoutConfirm(w, LogoutPage{Lang: lang, Action: "/logout", Hidden: hidden, ClientName: "Journal Web"})
			}},
			{"loggedout", func(w http.ResponseWriter) error {
				return r.LoggedOut(w, LoggedOutPage{Lang: lang, ClientName: "Journal Web", RedirectURI: "https://journal.example/"})
			}},
			{"loggedout-plain", func(w http.ResponseWriter) error {
				return r.LoggedOut(w, LoggedOutPage{Lang: lang})
			}},
			{"formpost", func(w http.ResponseWriter) error {
				return r.FormPost(w, FormPostPage{Lang: lang, Action: "https://journal.example/cb",
					Params: map[string]string{"code": "ac_9d1f0c2e", "state": "af0ifjsldkj"}})
			}},
		}
		for _, p := range pages {
			var rec recorder
			if err := p.render(&rec); err != nil {
				return fmt.Errorf("web: preview %s.%s: %w", p.name, lang, err)
			}
			file := filepath.Join(dir, p.name+"."+string(lang)+".html")
			if err := os.WriteFile(file, rec.body.Bytes(), 0o644); err != nil {
				return err
			}
			if p.name == "formpost" {
				// The page submits itself; this copy shows what a browser
				// without JavaScript sees, and stays put for a screenshot.
				noJS := strings.Replace(rec.body.String(), "<script>"+formPostJS+"</script>", "", 1)
				file = filepath.Join(dir, p.name+"-nojs."+string(lang)+".html")
				if err := os.WriteFile(file, []byte(noJS), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// recorder is the least http.ResponseWriter that keeps what a page wrote.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *recorder) WriteHeader(status int) { r.status = status }

func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
