package refresh_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// inRequest runs fn inside a request from remote with user agent ua, as
// the server's access wrapper hands it to an endpoint.
func inRequest(t *testing.T, remote, ua string, fn func(ctx context.Context)) {
	t.Helper()
	h := reqlog.NewAccess(slog.New(slog.DiscardHandler), nil, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn(r.Context())
	}))
	r := httptest.NewRequest(http.MethodPost, "/token", nil)
	r.RemoteAddr, r.Header["User-Agent"] = remote, []string{ua}
	h.ServeHTTP(httptest.NewRecorder(), r)
}

// TestLineageRecordedOnIssueAndRotation: each token records the node, the
// client's address and its User-Agent of the request that issued it, and
// a rotation from elsewhere records where it came from.
func TestLineageRecordedOnIssueAndRotation(t *testing.T) {
	f := newFixture(t)
	f.svc.SetNode("node-a")
	var first refresh.Issued
	inRequest(t, "192.0.2.10:5555", "app/1.0", func(ctx context.Context) {
		var err error
		first, err = f.svc.Issue(ctx, store.Grant{ClientID: "app", Subject: "alice", AuthTime: f.clk.Now()}, refresh.Proof{}, oneTime)
		if err != nil {
			t.Fatal(err)
		}
	})
	f.svc.SetNode("node-b")
	inRequest(t, "198.51.100.20:6666", "app/2.0\x07", func(ctx context.Context) {
		if _, err := f.svc.Refresh(ctx, first.Token, "app", refresh.Proof{}, oneTime, nil); err != nil {
			t.Fatal(err)
		}
	})
	_, ts, err := f.st.GrantLineage(f.ctx, first.Grant.ID)
	if err != nil || len(ts) != 2 {
		t.Fatalf("lineage: %d tokens, %v", len(ts), err)
	}
	want := [][3]string{{"node-a", "192.0.2.10", "app/1.0"}, {"node-b", "198.51.100.20", "app/2.0"}}
	for i, tok := range ts {
		if got := [3]string{tok.Node, tok.RemoteAddr, tok.UserAgent}; got != want[i] {
			t.Errorf("generation %d lineage %q, want %q", tok.Generation, got, want[i])
		}
	}
}

// TestGrantOf: an operator's token value finds its grant whoever holds it,
// also once consumed two rotations back (its row gone); anything else is
// ErrUnknown.
func TestGrantOf(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	second, err := f.refresh(first.Token, oneTime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.refresh(second.Token, oneTime); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{first.Token, second.Token} {
		g, err := f.svc.GrantOf(f.ctx, tok)
		if err != nil || g.ID != first.Grant.ID {
			t.Errorf("GrantOf: %q, %v; want %q", g.ID, err, first.Grant.ID)
		}
	}
	for _, bad := range []string{"", "not-a-token", first.Token + "x"} {
		if _, err := f.svc.GrantOf(f.ctx, bad); !errors.Is(err, refresh.ErrUnknown) {
			t.Errorf("GrantOf(%q): %v, want ErrUnknown", bad, err)
		}
	}
}
