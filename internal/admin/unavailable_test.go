package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// downStore is a store whose grant listing fails with err.
type downStore struct {
	*memstore.Store
	err error
}

func (s downStore) ListGrants(context.Context, store.GrantQuery) ([]store.GrantSummary, string, error) {
	return nil, "", s.err
}

// A store that cannot answer is 503 temporarily_unavailable with
// Retry-After on the admin API, as on the token endpoint: whether it said
// so (ErrUnavailable) or its deadline ran out on the way.
func TestStoreUnavailableIs503(t *testing.T) {
	for name, err := range map[string]error{
		"unavailable":       fmt.Errorf("pg: list: %w", store.ErrUnavailable),
		"deadline exceeded": fmt.Errorf("sqlite: list: %w", context.DeadlineExceeded),
	} {
		srv, e := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.Trusted{Who: admin.Caller{Kind: admin.CallerOperator, ID: "t"}}}})
		if e != nil {
			t.Fatal(e)
		}
		(&admin.API{Store: downStore{memstore.New(), err}}).Register(srv)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/grants", nil))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: %d, Retry-After %q; want 503 with Retry-After", name, w.Code, w.Header().Get("Retry-After"))
		}
	}
}
