package admin_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStoreClientAndUserNeverShareAnID: RFC 9068 §5 — a client's own
// access tokens carry its id as sub, so a store user may not take a store
// client's id as subject, nor a store client a store user's subject.
func TestStoreClientAndUserNeverShareAnID(t *testing.T) {
	c := newClientsAPI(t)
	c.do("POST", "/api/v1/clients", svcSettings, http.StatusCreated, nil)
	body := c.do("POST", "/api/v1/users", `{"username":"dora","subject":"svc","password":"a long enough passphrase"}`, http.StatusConflict, nil)
	if !strings.Contains(body, "RFC 9068") {
		t.Errorf("user with a client's id as subject: %s", body)
	}
	c.do("POST", "/api/v1/users", `{"username":"dora","subject":"sub-dora","password":"a long enough passphrase"}`, http.StatusCreated, nil)
	body = c.do("POST", "/api/v1/clients", `{"id":"sub-dora","grant_types":["client_credentials"],"scopes":["openid"]}`, http.StatusConflict, nil)
	if !strings.Contains(body, "RFC 9068") {
		t.Errorf("client with a user's subject as id: %s", body)
	}
}
