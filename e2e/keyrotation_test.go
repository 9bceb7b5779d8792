package e2e

import (
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// cachedJWKS is what a relying party that honours Cache-Control holds: the
// key set it fetched, good until fetched + max-age, never refetched before.
type cachedJWKS struct {
	kids    map[string]bool
	verify  *oidc.IDTokenVerifier
	expires time.Time
}

func fetchJWKS(t *testing.T, e *env) cachedJWKS {
	t.Helper()
	res, err := http.Get(e.issuer + "/.well-known/openid-configuration/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	cc := res.Header.Get("Cache-Control")
	maxAge, ok := strings.CutPrefix(cc, "public, max-age=")
	d, err := time.ParseDuration(maxAge + "s")
	if !ok || err != nil || d <= 0 {
		t.Fatalf("JWKS Cache-Control %q: want public with a max-age", cc)
	}
	c := cachedJWKS{kids: map[string]bool{}, expires: e.clk.Now().Add(d)}
	var pubs []crypto.PublicKey
	for _, k := range set.Keys {
		c.kids[k.KeyID] = true
		pubs = append(pubs, k.Key)
	}
	c.verify = oidc.NewVerifier(e.issuer, &oidc.StaticKeySet{PublicKeys: pubs},
		&oidc.Config{SkipClientIDCheck: true, Now: e.clk.Now, SupportedSigningAlgs: keys.Algorithms})
	return c
}

// tokens are one password grant's access and ID token, and when they expire.
type tokens struct{ access, id string }

func issue(t *testing.T, e *env) tokens {
	t.Helper()
	r := e.passwordGrant("app", secretApp, "openid offline_access")
	wantOK(t, r)
	return tokens{access: r.str("access_token"), id: r.str("id_token")}
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

// TestKeyRotationNoUnverifiableToken rotates both keys on a running
// server and checks, with go-oidc, that no relying party ever holds a token
// it cannot verify:
//   - one that cached the JWKS before the rotation (go-oidc's remote key
//     set, which refetches on an unknown kid) verifies every later token;
//   - one that honours Cache-Control and never refetches early, having
//     fetched at the last instant its cache still covers the activation,
//     already holds the new key;
//   - tokens signed by the old key verify, at a relying party that fetches
//     the JWKS only then, until they expire; after that the key is gone.
func TestKeyRotationNoUnverifiableToken(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	rp := p.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: e.clk.Now, SupportedSigningAlgs: keys.Algorithms})
	verifyAll := func(what string, v *oidc.IDTokenVerifier, tk tokens) {
		t.Helper()
		for name, tok := range map[string]string{"access token": tk.access, "ID token": tk.id} {
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatalf("%s: %s (kid %s) does not verify: %v", what, name, kidOf(t, tok), err)
			}
		}
	}
	before := issue(t, e)
	verifyAll("before the rotation", rp, before) // rp now caches the JWKS
	oldKids := map[string]bool{kidOf(t, before.access): true, kidOf(t, before.id): true}

	pre := fetchJWKS(t, e) // a strict relying party's copy, fetched at the rotation's instant
	maxAge := pre.expires.Sub(e.clk.Now())
	var next []keys.Info
	for _, alg := range keys.Algorithms {
		in, err := e.app.Keys.Rotate(ctx, alg)
		if err != nil {
			t.Fatal(err)
		}
		next = append(next, in)
	}
	activation := next[0].ActivatesAt
	if got := fetchJWKS(t, e); !got.kids[next[0].KID] || !got.kids[next[1].KID] {
		t.Fatal("the next keys are not published at once")
	}

	// The strict relying party whose copy is the oldest one still fresh at
	// the activation fetched it max-age before (or, had the key been
	// published for less than max-age, at the rotation: pre).
	strict := pre
	if f := activation.Add(-maxAge + time.Second); f.After(e.clk.Now()) {
		e.clk.Add(f.Sub(e.clk.Now()))
		strict = fetchJWKS(t, e)
	}

	// Until the activation the old keys sign.
	e.clk.Add(activation.Sub(e.clk.Now()) - time.Second)
	last := issue(t, e)
	if !oldKids[kidOf(t, last.access)] || !oldKids[kidOf(t, last.id)] {
		t.Fatal("a next key signed before its activation time")
	}
	verifyAll("the last token of the old keys", rp, last)

	e.clk.Add(time.Second)
	after := issue(t, e)
	if oldKids[kidOf(t, after.access)] || oldKids[kidOf(t, after.id)] {
		t.Fatal("the old keys still sign after the activation time")
	}
	if !e.clk.Now().Before(strict.expires) {
		t.Fatal("the strict copy expired before the activation: the test shows nothing")
	}
	verifyAll("after the rotation, with a JWKS copy fetched max-age before", strict.verify, after)
	verifyAll("after the rotation, with go-oidc's remote key set cached before it", rp, after)

	// The old keys' last tokens verify until they expire, at a relying
	// party that fetches the JWKS only then.
	idt, err := rp.Verify(ctx, last.id)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(idt.Expiry.Sub(e.clk.Now()) - time.Second)
	late, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifyAll("a token of a retired key, just before it expires", late.Verifier(&oidc.Config{
		SkipClientIDCheck: true, Now: e.clk.Now, SupportedSigningAlgs: keys.Algorithms}), last)

	// Once the retention has passed, the old keys leave the JWKS, and the
	// new ones go on.
	var gone time.Time
	for _, in := range e.app.Keys.List() {
		if oldKids[in.KID] {
			gone = in.GoneAt
		}
	}
	e.clk.Add(gone.Sub(e.clk.Now()))
	final := fetchJWKS(t, e)
	for kid := range oldKids {
		if final.kids[kid] {
			t.Errorf("retired key %s still published after its retention", kid)
		}
	}
	verifyAll("after the old keys are gone", final.verify, issue(t, e))
}
