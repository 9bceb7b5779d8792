package oauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// handlerFunc is an endpoint that returns its error for one writer to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// noStore marks a response as never to be cached (RFC 6749 §5.1, RFC 6750 §5.3).
func noStore(w http.ResponseWriter) {
	hd := w.Header()
	hd["Cache-Control"] = hvNoStore
	hd["Pragma"] = hvNoCache
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; a failure is a bug.
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header()["Content-Type"] = hvJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// serve wraps an endpoint: it renders the returned error and turns a panic
// into server_error, so nothing a client sends can take the server down or
// see a stack trace.
func (s *Server) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.LogAttrs(r.Context(), slog.LevelError, "panic in handler",
					slog.String("path", r.URL.Path), slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
				s.writeError(w, r, oautherr.Server(fmt.Errorf("panic: %v", v)))
			}
		}()
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError renders an error as RFC 6749 §5.2 JSON. Internal failures are
// logged with their cause and shown as a generic server_error, or as 503
// temporarily_unavailable when the store could not be reached (asError).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	s.logFailure(r, "request failed", e)
	noStore(w)
	setRetryAfter(w, e)
	if e.Code == oautherr.InvalidClient {
		// RFC 6749 §5.2: a 401 names the scheme the client may use.
		w.Header().Set("WWW-Authenticate", `Basic realm="tollgate", charset="UTF-8"`)
	}
	writeJSON(w, e.Status, errorBody{Error: e.Code, Description: e.Description})
}

// bearerProtected marks an endpoint protected by a bearer access token
// (userinfo): every client error carries a Bearer challenge (RFC 6750 §3),
// with no error code when the request carried no token at all (§3.1).
func bearerProtected(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		// A DPoP refusal carries its own challenge (dpopChallenge).
		if e := oautherr.As(err); err != nil && e.Status < 500 && w.Header().Get("WWW-Authenticate") == "" {
			challenge := `Bearer realm="tollgate"`
			if e != errNoBearer {
				challenge += fmt.Sprintf(`, error=%q, error_description=%q`, e.Code, strings.ReplaceAll(e.Description, `"`, "'"))
			}
			w.Header().Set("WWW-Authenticate", challenge)
		}
		return err
	}
}
