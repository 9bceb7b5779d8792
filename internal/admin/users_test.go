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
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

type usersFixture struct {
	t   *testing.T
	srv *admin.Server
	st  *memstore.Store
}

func newUsersFixture(t *testing.T) *usersFixture {
	t.Helper()
	cfg := config.Default()
	cfg.Users = []config.User{{Username: "alice", Subject: "sub-alice", PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		Claims: map[string]any{"name": "Alice"}}}
	cfg.Clients = []config.Client{{ID: "ops-bot", Secret: "ops-bot-demo-secret-0123456789-abcdef", GrantTypes: []string{"client_credentials"}}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	srv, err := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.Trusted{Who: admin.Caller{Kind: admin.CallerOperator, ID: "op"}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	(&admin.API{Store: st, Config: cfg, Now: now, Refresh: refresh.New(st, mint.NewRefreshKeys(make([]byte, 32)), now, nil)}).Register(srv)
	return &usersFixture{t: t, srv: srv, st: st}
}

// do sends one request and returns the status and the body; no answer may
// ever carry a password or a hash.
func (f *usersFixture) do(method, path, body string) (int, string) {
	f.t.Helper()
	r := httptest.NewRequest(method, admin.PathAPI+path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	out := w.Body.String()
	for _, secretish := range []string{"argon2", "password_hash", "correct horse", "c2FsdHNhbHQ"} {
		if strings.Contains(out, secretish) {
			f.t.Fatalf("%s %s answered with %q in it: %s", method, path, secretish, out)
		}
	}
	return w.Code, out
}

func (f *usersFixture) want(method, path, body string, status int, has ...string) string {
	f.t.Helper()
	code, out := f.do(method, path, body)
	if code != status {
		f.t.Fatalf("%s %s: %d %s, want %d", method, path, code, out, status)
	}
	for _, h := range has {
		if !strings.Contains(out, h) {
			f.t.Errorf("%s %s: %s lacks %q", method, path, out, h)
		}
	}
	return out
}

// TestUsersAPICreateShowList: a store user is created (its password kept
// only as an argon2id hash that verifies), shown, and listed with the
// file's users in username order, each marked with its source, in pages.
func TestUsersAPICreateShowList(t *testing.T) {
	f := newUsersFixture(t)
	f.want("POST", "/users", `{"username":"bob","password":"correct horse battery","claims":{"name":"Bob","email":"bob@example.test"}}`,
		http.StatusCreated, `"source": "store"`, `"name": "Bob"`, `"has_password": true`)
	su, err := f.st.UserByUsername(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := secret.VerifyPassword(su.PasswordHash, "correct horse battery"); !ok || err != nil || !strings.HasPrefix(su.PasswordHash, "$argon2id$") {
		t.Errorf("stored hash %q does not verify the password: %v %v", su.PasswordHash, ok, err)
	}
	if len(su.Subject) < 20 {
		t.Errorf("generated subject %q is not a random one", su.Subject)
	}
	f.want("POST", "/users", `{"username":"carol","subject":"sub-carol"}`, http.StatusCreated, `"has_password": false`, `"sub-carol"`)
	f.want("GET", "/users/bob", "", http.StatusOK, `"username": "bob"`, su.Subject)
	f.want("GET", "/users/alice", "", http.StatusOK, `"source": "config"`, `"name": "Alice"`)
	f.want("GET", "/users/nobody", "", http.StatusNotFound, "not_found")

	var names []string
	after := ""
	for range 5 {
		var page struct {
			Items []admin.UserView `json:"items"`
			Next  string           `json:"next"`
		}
		_, out := f.do("GET", "/users?limit=2&after="+after, "")
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("listing: %v %s", err, out)
		}
		for _, u := range page.Items {
			names = append(names, u.Username+"/"+u.Source)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if got := strings.Join(names, " "); got != "alice/config bob/store carol/store" {
		t.Errorf("listed %s", got)
	}
}

// TestUsersAPIRefusals: what the configuration refuses, and more, with a
// description that says what to do; nothing half-done is left behind.
func TestUsersAPIRefusals(t *testing.T) {
	f := newUsersFixture(t)
	f.want("POST", "/users", `{"username":"bob","password":"short"}`, http.StatusBadRequest, "at least 12 characters")
	for _, name := range []string{".", "..", "a/b"} { // path segments the router would clean or split
		f.want("POST", "/users", `{"username":"`+name+`"}`, http.StatusBadRequest, "cannot be managed through the admin API")
	}
	f.want("POST", "/users", `{"username":"bob","claims":{"sub":"someone-else"}}`, http.StatusBadRequest, "claims.sub", "reserved")
	f.want("POST", "/users", `{"username":"bob","claims":{"cnf":{}}}`, http.StatusBadRequest, "claims.cnf")
	f.want("POST", "/users", `{"username":"bob","claims":["a"]}`, http.StatusBadRequest, "JSON object")
	f.want("POST", "/users", `{"username":"bob","passwrd":"correct horse battery"}`, http.StatusBadRequest, "passwrd")
	f.want("POST", "/users", `{"username":" bob"}`, http.StatusBadRequest, "space")
	f.want("POST", "/users", `{"username":""}`, http.StatusBadRequest, "username")
	f.want("POST", "/users", `{"username":"bob","subject":"has space"}`, http.StatusBadRequest, "printable ASCII")
	f.want("POST", "/users", `{"username":"alice"}`, http.StatusConflict, "configuration file")
	f.want("POST", "/users", `{"username":"bob","subject":"sub-alice"}`, http.StatusConflict, "configuration file")
	f.want("POST", "/users", `{"username":"bob","subject":"ops-bot"}`, http.StatusConflict, "id of a client")
	if _, err := f.st.UserByUsername(context.Background(), "bob"); err == nil {
		t.Fatal("a refused create left bob behind")
	}
	f.want("POST", "/users", `{"username":"bob","subject":"sub-bob"}`, http.StatusCreated)
	f.want("POST", "/users", `{"username":"bob"}`, http.StatusConflict, "exists already")
	f.want("POST", "/users", `{"username":"bob2","subject":"sub-bob"}`, http.StatusConflict, "exists already")
	f.want("PUT", "/users/bob/password", `{"password":"short"}`, http.StatusBadRequest, "at least 12 characters")
	f.want("PUT", "/users/bob/claims", `{"claims":{"auth_time":1}}`, http.StatusBadRequest, "claims.auth_time")
	f.want("PUT", "/users/bob/claims", `{}`, http.StatusBadRequest, "claims is missing")
	f.want("POST", "/users/bob/disable?revoke_grants=yes", "", http.StatusBadRequest, "revoke_grants")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/users/alice/disable", ""},
		{"POST", "/users/alice/enable", ""},
		{"PUT", "/users/alice/password", `{"password":"correct horse battery"}`},
		{"PUT", "/users/alice/claims", `{"claims":{}}`},
	} {
		f.want(c.method, c.path, c.body, http.StatusConflict, "defined in the configuration file")
		f.want(c.method, strings.Replace(c.path, "alice", "nobody", 1), c.body, http.StatusNotFound, `no user is named \"nobody\"`)
	}
}

// TestUsersAPIChanges: disable (revoking the subject's grants when asked),
// enable, a new password that verifies while the old does not, new claims.
func TestUsersAPIChanges(t *testing.T) {
	f := newUsersFixture(t)
	ctx := context.Background()
	f.want("POST", "/users", `{"username":"bob","subject":"sub-bob","password":"correct horse battery"}`, http.StatusCreated)
	now := time.Now()
	for _, id := range []string{"g1", "g2"} {
		g := store.Grant{ID: id, ClientID: "ops-bot", Subject: "sub-bob", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := f.st.CreateGrant(ctx, g, store.RefreshToken{Hash: "h-" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	f.want("POST", "/users/bob/disable", "", http.StatusOK, `"disabled": true`)
	if g, _, _ := f.st.GrantChain(ctx, "g1"); g.Revoked() {
		t.Fatal("a disable without revoke_grants revoked a grant")
	}
	f.want("POST", "/users/bob/disable?revoke_grants=true", "", http.StatusOK, `"grants_revoked": 2`)
	if g, _, _ := f.st.GrantChain(ctx, "g2"); !g.Revoked() {
		t.Error("revoke_grants=true left a grant live")
	}
	f.want("POST", "/users/bob/enable", "", http.StatusOK, `"disabled": false`)
	f.want("PUT", "/users/bob/password", `{"password":"a new long passphrase"}`, http.StatusOK)
	su, _ := f.st.UserByUsername(ctx, "bob")
	if ok, _ := secret.VerifyPassword(su.PasswordHash, "a new long passphrase"); !ok {
		t.Error("the new password does not verify")
	}
	if ok, _ := secret.VerifyPassword(su.PasswordHash, "correct horse battery"); ok {
		t.Error("the old password still verifies")
	}
	f.want("PUT", "/users/bob/claims", `{"claims":{"email":"bob@example.test"}}`, http.StatusOK, `"email": "bob@example.test"`)
	if su, _ = f.st.UserByUsername(ctx, "bob"); su.Disabled || string(su.Claims) != `{"email":"bob@example.test"}` {
		t.Errorf("stored after the changes: %+v", su)
	}
}
