package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestUserinfoDPoPChallenges: a client that sends its access token with
// the DPoP scheme is answered in that scheme (RFC 9449 §7.1): an expired
// or unknown token is a 401 with WWW-Authenticate: DPoP, so a DPoP client
// library sees the challenge it parses; and a required nonce is asked for
// with use_dpop_nonce and a DPoP-Nonce header (§9).
func TestUserinfoDPoPChallenges(t *testing.T) {
	e := startWith(t, func(c *config.Config) { c.DPoP.Nonce = true })
	k := newDPoPKey(t, e)
	r := k.token(passwordForm(), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	at := r.str("access_token")
	ui := e.userinfoURL()

	// §9: no nonce in the proof: use_dpop_nonce, 401, with a nonce to use.
	saved := k.nonce
	k.nonce = ""
	res := e.userinfoWith("DPoP", at, k.proof("GET", ui, at))
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) || res.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("userinfo without a nonce: %d %q %q", res.Status, res.Header.Get("WWW-Authenticate"), res.Header.Get("DPoP-Nonce"))
	}
	k.nonce = saved
	if res = e.userinfoWith("DPoP", at, k.proof("GET", ui, at)); res.Status != 200 {
		t.Fatalf("userinfo with the nonce: %d %s", res.Status, res.Raw)
	}

	// An unknown token in the DPoP scheme: a DPoP challenge, invalid_token.
	res = e.userinfoWith("DPoP", at+"x", k.proof("GET", ui, at+"x"))
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("unknown token as DPoP: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	// An expired one too: the client refreshes on this answer.
	e.clk.Add(2 * time.Hour)
	k.nonce = ""
	res = e.userinfoWith("DPoP", at, k.proof("GET", ui, at))
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired token as DPoP: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	// A bearer client still gets its Bearer challenge.
	res = e.userinfoWith("Bearer", "not-a-token")
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("unknown token as Bearer: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
}

func (e *env) userinfoURL() string { return e.issuer + "/connect/userinfo" }
