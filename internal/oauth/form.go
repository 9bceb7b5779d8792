package oauth

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// maxFormBytes bounds a request body: no real token request comes near it.
const maxFormBytes = 64 << 10

const formType = "application/x-www-form-urlencoded"

// postForm reads a POST form body the way RFC 6749 §3.2 asks: POST only,
// application/x-www-form-urlencoded, size-limited, no parameter repeated
// but resource (RFC 8707 §2).
// Parameters in the query string are not read; a query string that is not
// a valid one is refused, as Request.ParseForm refused it.
//
// It sets r.PostForm, as r.ParseForm would, and leaves r.Form for
// ParseForm to fill from it if anyone asks. It reads and parses the body
// itself (formbody.go) because this runs on every token request and
// ParseForm's way costs some fifteen allocations.
func postForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusMethodNotAllowed,
			Description: "this endpoint only accepts POST"}
	}
	if !isFormType(r.Header.Get("Content-Type")) {
		return nil, oautherr.New(oautherr.InvalidRequest, "the request body must be application/x-www-form-urlencoded")
	}
	form, err := readForm(r.Body, maxFormBytes)
	if err == nil && r.URL != nil && r.URL.RawQuery != "" {
		_, err = url.ParseQuery(r.URL.RawQuery)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusRequestEntityTooLarge,
				Description: fmt.Sprintf("the request body is larger than %d KiB", tooBig.Limit>>10)}
		}
		return nil, oautherr.New(oautherr.InvalidRequest, "the request body is not a valid form")
	}
	for k, v := range form {
		if len(v) > 1 && k != authorize.ParamResource { // RFC 8707 §2: resource may repeat
			return nil, oautherr.New(oautherr.InvalidRequest, "parameter %q is repeated; each parameter may appear once (RFC 6749 §3.2)", k)
		}
	}
	r.PostForm = form
	return form, nil
}

// isFormType reports whether a Content-Type names formType, parameters
// (a charset) allowed. The usual spelling is answered without
// mime.ParseMediaType, which allocates.
func isFormType(ct string) bool {
	if strings.EqualFold(ct, formType) {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == formType
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
