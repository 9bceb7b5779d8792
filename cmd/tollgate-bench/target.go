package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
)

// target is the server under load: its endpoints and the client the tool
// authenticates as.
type target struct {
	tokenURL, revokeURL string
	clientID, secret    string
	formAuth            bool      // client_secret_post instead of client_secret_basic
	assert              *asserter // -auth private_key_jwt: an assertion in every request instead
	http                *http.Client
	lean                bool    // workers post over a leanConn each, not http
	dpop                *prover // -dpop: every token request carries a proof
}

// newHTTPClient keeps an idle connection per worker, so a run measures
// refreshes, not TCP handshakes.
func newHTTPClient(conns int, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns + 16
	tr.MaxIdleConnsPerHost = conns + 16
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: timeout}
}

// resolve finds the token and revocation endpoints from u: a token endpoint
// itself (…/connect/token), or an issuer whose discovery document names
// them. Without allowRemote every endpoint must be on loopback.
func resolve(ctx context.Context, c *http.Client, u string, allowRemote bool) (tokenURL, revokeURL string, err error) {
	if err := checkHost(u, allowRemote); err != nil {
		return "", "", err
	}
	base := strings.TrimSuffix(u, "/")
	if strings.HasSuffix(base, "/connect/token") {
		return base, strings.TrimSuffix(base, "/token") + "/revocation", nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/.well-known/openid-configuration", nil)
	if err != nil {
		return "", "", fmt.Errorf("-url %q: %w", u, err)
	}
	res, err := c.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("reading the discovery document of %s: %w (is the server running?)", base, err)
	}
	defer res.Body.Close()
	var d struct {
		Token  string `json:"token_endpoint"`
		Revoke string `json:"revocation_endpoint"`
	}
	if res.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("discovery document of %s: HTTP %d; give the token endpoint itself as -url", base, res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&d); err != nil || d.Token == "" {
		return "", "", fmt.Errorf("discovery document of %s names no token_endpoint; give it as -url", base)
	}
	for _, e := range []string{d.Token, d.Revoke} {
		if e == "" {
			continue
		}
		if err := checkHost(e, allowRemote); err != nil {
			return "", "", fmt.Errorf("discovery: %w", err)
		}
	}
	return d.Token, d.Revoke, nil
}

// checkHost refuses a URL whose host is not a loopback address unless
// allowRemote: load aimed at someone else's server by a typo is an attack.
func checkHost(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if allowRemote {
		return nil
	}
	h := u.Hostname()
	if h == "localhost" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address; pass -allow-remote to load a server elsewhere (only one you run)", h)
}

// answer is a token endpoint's response, as far as the tool reads it.
type answer struct {
	status    int
	refresh   string // refresh_token of a 200
	tokenType string // token_type of a 200: DPoP when the proof bound it (RFC 9449 §5)
	nonce     string // the DPoP-Nonce header (RFC 9449 §8), if any
	errCode   string // error of a 4xx/5xx (RFC 6749 §5.2)
	err       error  // transport error, or a 200 the tool could not read
}

// kind names a failed answer for the error table.
func (a answer) kind() string {
	switch {
	case a.err != nil && a.status == 0:
		return "transport: " + transportKind(a.err)
	case a.err != nil:
		return fmt.Sprintf("HTTP %d unreadable", a.status)
	case a.errCode != "":
		return fmt.Sprintf("HTTP %d %s", a.status, a.errCode)
	}
	return fmt.Sprintf("HTTP %d", a.status)
}

func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	return "other"
}

// post sends form to endpoint, authenticated as the client.
func (t *target) post(ctx context.Context, endpoint string, form url.Values, proof string) answer {
	reqBody, err := t.encode(endpoint, form)
	if err != nil {
		return answer{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(reqBody))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if t.basicAuth() {
		req.Header.Set("Authorization", t.basic())
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	res, err := t.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return answer{status: res.StatusCode, err: err}
	}
	a := decodeAnswer(res.StatusCode, body)
	a.nonce = res.Header.Get("DPoP-Nonce")
	return a
}

// decodeAnswer reads the parts of a token or revocation response the tool
// checks.
func decodeAnswer(status int, body []byte) answer {
	a := answer{status: status}
	var v struct {
		Refresh   string `json:"refresh_token"`
		TokenType string `json:"token_type"`
		Error     string `json:"error"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &v); err != nil && status == http.StatusOK {
			a.err = fmt.Errorf("response is not JSON: %w", err)
		}
	}
	a.refresh, a.tokenType, a.errCode = v.Refresh, v.TokenType, v.Error
	return a
}

// encode is form as a request body to endpoint, with the client's
// credentials in it under client_secret_post (RFC 6749 §2.3.1) or
// private_key_jwt (RFC 7523 §2.2, a new assertion each time).
func (t *target) encode(endpoint string, form url.Values) (string, error) {
	switch {
	case t.assert != nil:
		a, err := t.assert.assertion(endpoint, time.Now())
		if err != nil {
			return "", err
		}
		form.Set("client_id", t.clientID)
		form.Set("client_assertion_type", clientauth.AssertionType)
		form.Set("client_assertion", a)
	case t.formAuth:
		form.Set("client_id", t.clientID)
		form.Set("client_secret", t.secret)
	}
	return form.Encode(), nil
}

// basicAuth reports whether requests carry client_secret_basic's header.
func (t *target) basicAuth() bool { return !t.formAuth && t.assert == nil }

// basic is the Authorization header value of client_secret_basic: both
// parts form-urlencoded first (RFC 6749 §2.3.1).
func (t *target) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(t.clientID)+":"+url.QueryEscape(t.secret)))
}

// token posts form to the token endpoint through p, with a DPoP proof
// under -dpop carrying *nonce, the server's latest (RFC 9449 §8), which
// it keeps up to date from the answers. A client asked for a nonce
// (use_dpop_nonce) sends the request again once, with it.
func (t *target) token(ctx context.Context, p poster, form url.Values, nonce *string) answer {
	for try := 0; ; try++ {
		proof := ""
		if t.dpop != nil {
			var err error
			if proof, err = t.dpop.proof(t.tokenURL, *nonce, time.Now().Unix()); err != nil {
				return answer{err: err}
			}
		}
		a := p.post(ctx, t.tokenURL, form, proof)
		if a.nonce != "" {
			*nonce = a.nonce
		}
		if a.errCode != "use_dpop_nonce" || proof == "" || try > 0 {
			return a
		}
	}
}

// refresh is one refresh grant (RFC 6749 §6).
func (t *target) refresh(ctx context.Context, p poster, token string, nonce *string) answer {
	return t.token(ctx, p, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, nonce)
}

// revoke revokes a refresh token (RFC 7009 §2.1), and with it its grant.
func (t *target) revoke(ctx context.Context, p poster, token string) answer {
	return p.post(ctx, t.revokeURL, url.Values{"token": {token}, "token_type_hint": {"refresh_token"}}, "")
}
