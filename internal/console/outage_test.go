package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A store that cannot answer shows the "store unavailable" page with a
// 503, whether it said so (ErrUnavailable) or its deadline ran out on the
// way, as every other endpoint answers it (store.Unavailable).
func TestStoreOutageIs503(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	g.signIn(b, "ana")
	for name, err := range map[string]error{
		"unavailable":       fmt.Errorf("pg: lineage: %w", store.ErrUnavailable),
		"deadline exceeded": fmt.Errorf("sqlite: lineage: %w", context.DeadlineExceeded),
	} {
		g.outage = err
		resp, page := g.do(b, "GET", "/admin/grants/some-grant", nil)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page, "Store unavailable") {
			t.Errorf("%s: %d, want 503 and the store page:\n%s", name, resp.StatusCode, page)
		}
	}
}
