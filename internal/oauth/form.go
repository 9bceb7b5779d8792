package oauth

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// maxFormBytes bounds a request body: no real token request comes near it.
const maxFormBytes = 64 << 10

// postForm reads a POST form body the way RFC 6749 §3.2 asks: POST only,
// application/x-www-form-urlencoded, size-limited, no parameter repeated.
// Parameters in the query string are not read.
func postForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusMethodNotAllowed,
			Description: "this endpoint only accepts POST"}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oautherr.New(oautherr.InvalidRequest, "the request body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusRequestEntityTooLarge,
				Description: fmt.Sprintf("the request body is larger than %d KiB", tooBig.Limit>>10)}
		}
		return nil, oautherr.New(oautherr.InvalidRequest, "the request body is not a valid form")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, oautherr.New(oautherr.InvalidRequest, "parameter %q is repeated; each parameter may appear once (RFC 6749 §3.2)", k)
		}
	}
	return r.PostForm, nil
}

// scopeParam splits a scope parameter (RFC 6749 §3.3: space-delimited) and
// says whether it was sent at all.
func scopeParam(form url.Values) ([]string, bool) {
	v, ok := form["scope"]
	if !ok {
		return nil, false
	}
	return strings.Fields(v[0]), true
}
