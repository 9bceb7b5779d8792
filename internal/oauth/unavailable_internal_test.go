package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestAsError: only an internal failure caused by the store's absence
// becomes 503; a client's mistake keeps its status even when the store
// trouble is somewhere in its chain, and other failures stay 500.
func TestAsError(t *testing.T) {
	down := fmt.Errorf("pg: %w", store.ErrUnavailable)
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"bare store error", down, 503, oautherr.TemporarilyUnavailable},
		{"wrapped in server_error", oautherr.Server(fmt.Errorf("refresh: rotate: %w", down)), 503, oautherr.TemporarilyUnavailable},
		{"statement timeout", oautherr.Server(fmt.Errorf("lookup: %w", context.DeadlineExceeded)), 503, oautherr.TemporarilyUnavailable},
		{"client mistake", &oautherr.Error{Code: oautherr.InvalidGrant, Status: 400, Description: "x", Cause: down}, 400, oautherr.InvalidGrant},
		{"a bug", oautherr.Server(errors.New("nil map")), 500, oautherr.ServerError},
		{"client gone", oautherr.Server(context.Canceled), 500, oautherr.ServerError},
	} {
		e := asError(tc.err)
		if e.Status != tc.status || e.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, e.Status, e.Code, tc.status, tc.code)
		}
		if e.Status == http.StatusServiceUnavailable && (e.RetryAfter <= 0 || !errors.Is(e, store.ErrUnavailable) && !errors.Is(e, context.DeadlineExceeded)) {
			t.Errorf("%s: Retry-After %d, cause kept %v", tc.name, e.RetryAfter, e.Cause)
		}
	}
}
