package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// answer is one answer through the load balancer, or the error of a
// request that got none. Its methods never fail the test, so goroutines
// may use them.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
	node   string // the node that served it
	took   time.Duration
	err    error
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (a answer) String() string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	return fmt.Sprintf("%d from node %s after %v: %s", a.status, a.node, a.took.Round(time.Millisecond), strings.TrimSpace(a.raw))
}

// oauthError reports whether a is the JSON error answer status/code.
func (a answer) oauthError(status int, code string) bool {
	return a.err == nil && a.status == status && a.str("error") == code
}

// send sends req through the load balancer, pinned to node unless node is "".
func (c *cluster) send(node string, req *http.Request) answer {
	if node != "" {
		req.Header.Set(headerPinNode, node)
	}
	t0 := time.Now()
	res, err := c.client.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(t0)}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw), node: res.Header.Get(headerServedBy),
		took: time.Since(t0), err: err}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// ownConnection returns a copy of c whose every request opens a connection
// of its own.
func (c *cluster) ownConnection() *cluster {
	cp := *c
	cp.client = &http.Client{Timeout: c.client.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	return &cp
}

func (c *cluster) get(node, path string) answer {
	req, _ := http.NewRequest(http.MethodGet, c.issuer+path, nil)
	return c.send(node, req)
}

// post sends a form with the client's credentials as HTTP Basic.
func (c *cluster) post(node, path string, form url.Values, user, pass string) answer {
	req, _ := http.NewRequest(http.MethodPost, c.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return c.send(node, req)
}

// password signs alice in with the password grant, asking for offline access.
func (c *cluster) password(node string) answer {
	return c.post(node, "/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {alicePW}, "scope": {"openid offline_access"}}, clusterClientID, clusterSecret)
}

// signIn is password with retries while the node sheds password checks (429).
func (c *cluster) signIn(node string) answer {
	for attempt := 0; ; attempt++ {
		a := c.password(node)
		if a.err == nil && a.status == http.StatusTooManyRequests && attempt < 50 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return a
	}
}

func (c *cluster) refresh(node, rt string) answer {
	return c.post(node, "/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		clusterClientID, clusterSecret)
}

// revoke revokes a refresh token (RFC 7009 §2.1).
func (c *cluster) revoke(node, rt string) answer {
	return c.post(node, "/connect/revocation", url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}},
		clusterClientID, clusterSecret)
}

// introspect asks about a refresh token (RFC 7662 §2.1).
func (c *cluster) introspect(node, rt string) answer {
	return c.post(node, "/connect/introspect", url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}},
		clusterClientID, clusterSecret)
}
