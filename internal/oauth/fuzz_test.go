package oauth

import (
	"errors"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// FuzzPostForm feeds postForm, the reader of every token, PAR, revocation
// and introspection body, random methods, content types, query strings and
// bodies. Beyond "no panic" it checks what RFC 6749 §3.2 asks of the parse:
// an accepted form came from a POST whose body is
// application/x-www-form-urlencoded and at most maxFormBytes long, holds
// exactly the body's parameters (nothing from the query string), and no
// parameter twice; every refusal is an *oautherr.Error a client can act on,
// never a 5xx. scopeParam must split the accepted scope into RFC 6749 §3.3
// scope tokens. Seeds: testdata/fuzz/FuzzPostForm.
func FuzzPostForm(f *testing.F) {
	f.Fuzz(func(t *testing.T, method, contentType, query, body string) {
		if !validMethod(method) {
			method = http.MethodPost // httptest.NewRequest panics on a method Go cannot send
		}
		r := httptest.NewRequest(method, "/connect/token", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()

		form, err := postForm(w, r)
		if err != nil {
			var oe *oautherr.Error
			if !errors.As(err, &oe) {
				t.Fatalf("refusal is %T %v, not an *oautherr.Error", err, err)
			}
			if oe.Code != oautherr.InvalidRequest || oe.Status < 400 || oe.Status > 499 || oe.Description == "" {
				t.Fatalf("refusal %s (%d) %q: want invalid_request, a 4xx status and a description", oe.Code, oe.Status, oe.Description)
			}
			if method == http.MethodPost && oe.Status == http.StatusMethodNotAllowed {
				t.Fatalf("a POST was refused with 405")
			}
			return
		}

		if method != http.MethodPost {
			t.Fatalf("accepted a %s request", method)
		}
		if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/x-www-form-urlencoded" {
			t.Fatalf("accepted content type %q", contentType)
		}
		if len(body) > maxFormBytes {
			t.Fatalf("accepted a body of %d bytes, the limit is %d", len(body), maxFormBytes)
		}
		want, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("accepted a body url.ParseQuery refuses (%v): %q", err, body)
		}
		if !maps.EqualFunc(form, want, slices.Equal[[]string]) {
			t.Fatalf("form %q is not the body's parameters %q (query %q must not count)", form, want, query)
		}
		for k, v := range form {
			if len(v) != 1 {
				t.Fatalf("parameter %q accepted %d times (RFC 6749 §3.2)", k, len(v))
			}
		}

		scopes, given := scopeParam(form)
		if given != form.Has("scope") {
			t.Fatalf("scopeParam says given=%v for form %q", given, form)
		}
		for _, s := range scopes {
			if s == "" || strings.ContainsAny(s, " \t\n\r\v\f") {
				t.Fatalf("scope token %q holds white space or is empty", s)
			}
		}
		if given && strings.Join(scopes, " ") != strings.Join(strings.Fields(form.Get("scope")), " ") {
			t.Fatalf("scopes %q lost or invented a token of %q", scopes, form.Get("scope"))
		}
	})
}

// validMethod: an HTTP token (RFC 9110 §9.1), which is all a server can receive.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
