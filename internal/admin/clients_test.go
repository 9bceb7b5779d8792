package admin_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

type clientsAPI struct {
	t    *testing.T
	srv  *admin.Server
	st   *memstore.Store
	dir  *directory.Clients
	seen []string // every answer body, to check no secret leaks
}

func newClientsAPI(t *testing.T) *clientsAPI {
	t.Helper()
	cfg := config.Default()
	cfg.Issuer = "https://login.example.com"
	cfg.Clients = []config.Client{{ID: "file-svc", Secret: secret.Generate(), GrantTypes: []string{config.GrantClientCredentials}}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	dir := directory.NewClients(cfg, st, nil, nil)
	srv, err := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.Trusted{Who: admin.Caller{Kind: admin.CallerOperator, ID: "tester"}}}})
	if err != nil {
		t.Fatal(err)
	}
	(&admin.API{Store: st, Config: cfg, Clients: dir, Refresh: refresh.New(st, mint.NewRefreshKeys(make([]byte, 32)), time.Now, nil)}).Register(srv)
	return &clientsAPI{t: t, srv: srv, st: st, dir: dir}
}

// do sends a request and decodes the answer into out (when not nil).
func (c *clientsAPI) do(method, path, body string, wantStatus int, out any) string {
	c.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	c.srv.ServeHTTP(w, r)
	c.seen = append(c.seen, w.Body.String())
	if w.Code != wantStatus {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, w.Code, w.Body.String(), wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return w.Body.String()
}

const svcSettings = `{"id":"svc","grant_types":["client_credentials"],"scopes":["openid"]}`

func TestCreateClientGeneratesSecretOnce(t *testing.T) {
	c := newClientsAPI(t)
	var made admin.ClientChange
	c.do("POST", "/api/v1/clients", svcSettings, http.StatusCreated, &made)
	if made.Source != "store" || made.Version != 1 || len(made.ClientSecret) < secret.MinSecretLength {
		t.Fatalf("created: %+v", made)
	}
	cl, ok := c.dir.Client("svc")
	if !ok || !secret.VerifyClientSecret(cl.SecretHash, made.ClientSecret) {
		t.Fatal("the returned secret does not authenticate the client in force")
	}
	rec, _ := c.st.StoredClient(context.Background(), "svc")
	var got admin.ClientView
	c.do("GET", "/api/v1/clients/svc", "", http.StatusOK, &got)
	c.do("GET", "/api/v1/clients", "", http.StatusOK, nil)
	c.do("GET", "/api/v1/clients/file-svc", "", http.StatusOK, nil)
	for _, body := range c.seen[1:] {
		if strings.Contains(body, made.ClientSecret) || strings.Contains(body, rec.SecretHash) || strings.Contains(body, `"secret`) || strings.Contains(body, `"client_secret"`) {
			t.Errorf("an answer after the create shows a secret or its hash: %s", body)
		}
	}
	c.do("POST", "/api/v1/clients", svcSettings, http.StatusConflict, nil)
}

func TestCreateClientRefusesWhatTheFileRefuses(t *testing.T) {
	c := newClientsAPI(t)
	body := c.do("POST", "/api/v1/clients", `{"id":"web","redirect_uris":["http://app.example.com/cb"]}`, http.StatusBadRequest, nil)
	if !strings.Contains(body, "redirect_uris[0]") || !strings.Contains(body, "invalid_request") {
		t.Errorf("bad redirect URI: %s", body)
	}
	body = c.do("POST", "/api/v1/clients", `{"id":"spa","type":"public","redirect_uris":["https://a.example/cb"],"allow_offline_access":true}`, http.StatusBadRequest, nil)
	if !strings.Contains(body, "allow_offline_access") {
		t.Errorf("public offline client: %s", body)
	}
	for _, id := range []string{".", "..", "a/b"} { // path segments the router would clean or split
		body = c.do("POST", "/api/v1/clients", `{"id":"`+id+`","grant_types":["client_credentials"]}`, http.StatusBadRequest, nil)
		if !strings.Contains(body, "cannot be managed through the admin API") {
			t.Errorf("client id %q: %s", id, body)
		}
	}
	body = c.do("POST", "/api/v1/clients", `{"id":"file-svc","grant_types":["client_credentials"]}`, http.StatusConflict, nil)
	if !strings.Contains(body, "configuration file") {
		t.Errorf("file client id: %s", body)
	}
	if all, _ := c.st.AllClients(context.Background()); len(all) != 0 {
		t.Errorf("refused creates left %d clients", len(all))
	}
}

func TestFileClientsReadOnly(t *testing.T) {
	c := newClientsAPI(t)
	for _, rq := range []struct{ method, path, body string }{
		{"PUT", "/api/v1/clients/file-svc", `{"version":1,"settings":{}}`},
		{"POST", "/api/v1/clients/file-svc/disable", ""},
		{"POST", "/api/v1/clients/file-svc/enable", ""},
		{"POST", "/api/v1/clients/file-svc/secret", ""},
		{"PUT", "/api/v1/clients/file-svc/jwks", `{"keys":[]}`},
	} {
		if body := c.do(rq.method, rq.path, rq.body, http.StatusConflict, nil); !strings.Contains(body, "defined in the configuration file") {
			t.Errorf("%s %s: %s", rq.method, rq.path, body)
		}
	}
	var v admin.ClientView
	c.do("GET", "/api/v1/clients/file-svc", "", http.StatusOK, &v)
	if v.Source != "config" {
		t.Errorf("file client source %q", v.Source)
	}
}

func TestUpdateClientOnVersionRead(t *testing.T) {
	c := newClientsAPI(t)
	c.do("POST", "/api/v1/clients", svcSettings, http.StatusCreated, nil)
	var up admin.ClientChange
	c.do("PUT", "/api/v1/clients/svc", `{"version":1,"settings":{"grant_types":["client_credentials"],"scopes":["openid","profile"]}}`, http.StatusOK, &up)
	if up.Version != 2 || up.ClientSecret != "" {
		t.Errorf("update: %+v (the secret is kept, not regenerated)", up)
	}
	if cl, _ := c.dir.Client("svc"); !cl.AllowsScope("profile") {
		t.Error("the update is not in force on this node at once")
	}
	body := c.do("PUT", "/api/v1/clients/svc", `{"version":1,"settings":{"grant_types":["client_credentials"]}}`, http.StatusConflict, nil)
	if !strings.Contains(body, "version 1") {
		t.Errorf("stale version: %s", body)
	}
	c.do("PUT", "/api/v1/clients/svc", `{"version":2,"settings":{"id":"other","grant_types":["client_credentials"]}}`, http.StatusBadRequest, nil)
	c.do("PUT", "/api/v1/clients/nobody", `{"version":1,"settings":{}}`, http.StatusNotFound, nil)
}

func TestDisableRotateAndKeys(t *testing.T) {
	c := newClientsAPI(t)
	ctx := context.Background()
	var made admin.ClientChange
	c.do("POST", "/api/v1/clients", svcSettings, http.StatusCreated, &made)
	now := time.Now()
	g := store.Grant{ID: "g1", ClientID: "svc", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := c.st.CreateGrant(ctx, g, store.RefreshToken{Hash: "h1", GrantID: "g1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, store.Event{}); err != nil {
		t.Fatal(err)
	}

	var rot admin.ClientChange
	c.do("POST", "/api/v1/clients/svc/secret", "", http.StatusOK, &rot)
	cl, _ := c.dir.Client("svc")
	if rot.ClientSecret == "" || secret.VerifyClientSecret(cl.SecretHash, made.ClientSecret) || !secret.VerifyClientSecret(cl.SecretHash, rot.ClientSecret) {
		t.Error("after rotation the old secret still works here, or the new one does not")
	}

	var off admin.ClientChange
	c.do("POST", "/api/v1/clients/svc/disable?revoke_grants=true", "", http.StatusOK, &off)
	if !off.Disabled || off.GrantsRevoked == nil || *off.GrantsRevoked != 1 {
		t.Errorf("disable: %+v", off)
	}
	if _, ok := c.dir.Client("svc"); ok {
		t.Error("a disabled client is still served on the node that disabled it")
	}
	if got, _, _ := c.st.GrantChain(ctx, "g1"); !got.Revoked() {
		t.Error("revoke_grants=true left the client's grant live")
	}
	c.do("POST", "/api/v1/clients/svc/enable", "", http.StatusOK, nil)
	if _, ok := c.dir.Client("svc"); !ok {
		t.Error("an enabled client is refused")
	}

	// Keys: only for private_key_jwt, and never a private key.
	c.do("PUT", "/api/v1/clients/svc/jwks", `{"keys":[]}`, http.StatusBadRequest, nil)
}

func TestReplaceClientKeys(t *testing.T) {
	c := newClientsAPI(t)
	jwk := func(k any) string {
		b, err := jose.JSONWebKey{Key: k, Algorithm: "ES256", Use: "sig"}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return `{"keys":[` + string(b) + `]}`
	}
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c.do("POST", "/api/v1/clients", `{"id":"jwt","auth_method":"private_key_jwt","grant_types":["client_credentials"],"jwks":`+jwk(&k1.PublicKey)+`}`, http.StatusCreated, nil)
	body := c.do("PUT", "/api/v1/clients/jwt/jwks", jwk(k2), http.StatusBadRequest, nil)
	if !strings.Contains(body, "jwks") || !strings.Contains(body, "private") {
		t.Errorf("a private key: %s", body)
	}
	var ch admin.ClientChange
	c.do("PUT", "/api/v1/clients/jwt/jwks", jwk(&k2.PublicKey), http.StatusOK, &ch)
	cl, _ := c.dir.Client("jwt")
	if ch.Version != 2 || len(cl.Keys().Keys) != 1 || !cl.Keys().Keys[0].Key.(*ecdsa.PublicKey).Equal(&k2.PublicKey) {
		t.Errorf("keys not replaced: %+v", ch)
	}
}
