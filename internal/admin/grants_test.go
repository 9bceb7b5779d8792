package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// grantsAPI serves the grants and keys routes over a memstore holding two
// grants of client "app" (one issued through the refresh service, whose
// token value it returns) and one of "web".
func grantsAPI(t *testing.T) (http.Handler, string) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := memstore.New()
	sys := []byte("0123456789abcdef0123456789abcdef")
	rs := refresh.New(st, mint.NewRefreshKeys(sys), clock, nil)
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	iss, err := rs.Issue(ctx, store.Grant{ClientID: "app", Subject: "alice"}, refresh.Proof{}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"app", "web"} {
		if _, err := rs.Issue(ctx, store.Grant{ClientID: c, Subject: "bob", SessionID: "s-" + c}, refresh.Proof{}, p); err != nil {
			t.Fatal(err)
		}
	}
	ks, err := keys.Open(ctx, st, sys, keys.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.Trusted{Who: admin.Caller{Kind: admin.CallerOperator, ID: "t"}}}})
	if err != nil {
		t.Fatal(err)
	}
	(&admin.API{Store: st, Now: clock, Refresh: rs, Keys: ks}).Register(srv)
	return srv, iss.Token
}

func call(h http.Handler, method, path, body string) (int, map[string]any, string) {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m, w.Body.String()
}

// TestGrantsBadInput: each mistake is a 400 (or a 404 for what does not
// exist) with a description that says what to change; none is a 500.
func TestGrantsBadInput(t *testing.T) {
	h, _ := grantsAPI(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		says               string
	}{
		{"GET", "/api/v1/grants?limit=0", "", 400, "limit"},
		{"GET", "/api/v1/grants?limit=abc", "", 400, "limit"},
		{"GET", "/api/v1/grants?live=yes", "", 400, "live"},
		{"GET", "/api/v1/grants?after=%25%25", "", 400, "cursor"},
		{"GET", "/api/v1/grants/nope", "", 404, "nope"},
		{"POST", "/api/v1/grants/nope/revoke", "", 404, "nope"},
		{"POST", "/api/v1/grants/revoke", "{}", 400, "client, subject or session"},
		{"POST", "/api/v1/grants/revoke", "", 400, "JSON body"},
		{"POST", "/api/v1/grants/revoke", `{"clientid":"app"}`, 400, "clientid"},
		{"POST", "/api/v1/grants/revoke", `{"client":"app"`, 400, "not valid"},
		{"POST", "/api/v1/tokens/revoke", `{}`, 400, "token is required"},
		{"POST", "/api/v1/tokens/revoke", `{"token":"x.y.z"}`, 404, "no grant holds"},
		{"POST", "/api/v1/keys/rotate", `{"alg":"HS256"}`, 400, "HS256"},
		{"POST", "/api/v1/keys/rotate", `{"algorithm":"ES256"}`, 400, "algorithm"},
	} {
		code, m, raw := call(h, tc.method, tc.path, tc.body)
		desc, _ := m["error_description"].(string)
		if code != tc.status || !strings.Contains(desc, tc.says) {
			t.Errorf("%s %s %s: %d %s; want %d saying %q", tc.method, tc.path, tc.body, code, raw, tc.status, tc.says)
		}
	}
}

// TestGrantsRoutes: the listing filters and pages, a grant shows its
// lineage without a hash, revocations say what they did.
func TestGrantsRoutes(t *testing.T) {
	h, token := grantsAPI(t)
	code, m, raw := call(h, "GET", "/api/v1/grants?client=app&limit=1", "")
	if items, _ := m["items"].([]any); code != 200 || len(items) != 1 || m["next"] == "" {
		t.Fatalf("first page: %d %s", code, raw)
	}
	_, m2, raw2 := call(h, "GET", "/api/v1/grants?client=app&limit=1&after="+m["next"].(string), "")
	if items, _ := m2["items"].([]any); len(items) != 1 || m2["next"] != "" || raw2 == raw {
		t.Fatalf("second page: %s", raw2)
	}
	id := m["items"].([]any)[0].(map[string]any)["id"].(string)
	code, _, raw = call(h, "GET", "/api/v1/grants/"+id, "")
	if code != 200 || !strings.Contains(raw, `"tokens"`) || strings.Contains(raw, "hash") {
		t.Fatalf("show: %d %s", code, raw)
	}
	if code, m, raw := call(h, "POST", "/api/v1/tokens/revoke", `{"token":"`+token+`"}`); code != 200 || m["revoked"] != true {
		t.Fatalf("revoke by token: %d %s", code, raw)
	} else if strings.Contains(raw, token) {
		t.Fatal("the answer echoes the token value")
	}
	if code, m, raw := call(h, "POST", "/api/v1/grants/revoke", `{"session":"s-web"}`); code != 200 || m["revoked"] != float64(1) {
		t.Fatalf("revoke by session: %d %s", code, raw)
	}
	if _, m, raw := call(h, "GET", "/api/v1/grants?live=true", ""); len(m["items"].([]any)) != 1 {
		t.Fatalf("live after two revocations: %s", raw)
	}
	if code, _, raw := call(h, "POST", "/api/v1/keys/rotate", `{"alg":"ES256"}`); code != 201 || !strings.Contains(raw, `"state": "next"`) {
		t.Fatalf("rotate: %d %s", code, raw)
	}
	if code, _, raw := call(h, "POST", "/api/v1/keys/rotate", `{"alg":"ES256"}`); code != 409 {
		t.Fatalf("rotate while a next key waits: %d %s, want 409", code, raw)
	}
	// Every algorithm while one waits: refused before anything is added,
	// so RS256 is not rotated behind a 409.
	if code, _, raw := call(h, "POST", "/api/v1/keys/rotate", ``); code != 409 || !strings.Contains(raw, "nothing rotated") {
		t.Fatalf("rotate every algorithm while ES256 waits: %d %s, want 409", code, raw)
	}
	if code, _, raw := call(h, "GET", "/api/v1/keys", ""); code != 200 || strings.Count(raw, `"kid"`) != 3 {
		t.Fatalf("keys: %d %s", code, raw)
	}
}
