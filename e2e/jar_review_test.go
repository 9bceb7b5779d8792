package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestRequestObjectForAnotherClientIsAPage: a request object signed by
// client hi whose client_id claim names another client (app) was verified
// with hi's keys, so only hi's word is in it. Its error must not be
// redirected to app's registered redirect URI (RFC 9101 §5: the client_id
// inside and outside must be identical; RFC 6749 §4.1.2.1: without a
// redirect URI the client can be trusted with, the error is a page), or
// any client with keys could make the server send errors, with a state of
// its choice, to every other client's callback.
func TestRequestObjectForAnotherClientIsAPage(t *testing.T) {
	h := newHiClient(t)
	e := startWith(t, h.register)
	b := e.browser()
	_, challenge := pkce()
	ro := h.requestObject(t, e, map[string]any{"client_id": "app", "response_type": "code",
		"redirect_uri": "https://app.example/cb", "scope": "openid", "state": "planted",
		"code_challenge": challenge, "code_challenge_method": "S256"})
	pg := b.do("GET", "/connect/authorize?client_id=hi&request="+url.QueryEscape(ro), nil)
	if pg.Location != "" || pg.Status != 400 || !strings.Contains(pg.Body, "invalid_request_object") {
		t.Fatalf("request object of hi naming client app: %d, redirected to %q", pg.Status, pg.Location)
	}
}
