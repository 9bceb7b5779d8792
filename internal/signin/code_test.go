package signin_test

import (
	"slices"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authcode"
	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/mint"
)

// The code that completes a request is stored by hash only, bound to
// everything the token endpoint checks, and lives authcode.TTL.
func TestCodeBindsTheRequest(t *testing.T) {
	f := newFixture(t)
	sess, _, _ := f.svc.Start(f.ctx, "", f.alice, []string{"pwd"})
	req := authorize.Request{ClientID: "app", RedirectURI: "https://app.example/cb", CodeChallenge: "ch", CodeChallengeMethod: "S256",
		Scopes: []string{"openid"}, Nonce: "n-1", Resources: []string{"https://api.example"}, DPoPJKT: "jkt"}
	code, err := f.svc.Code(f.ctx, req, offlineClient, &sess, f.alice)
	if err != nil || !mint.WellFormed(mint.CodePrefix, code) {
		t.Fatalf("%q %v", code, err)
	}
	got, err := authcode.Find(f.ctx, f.st, code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != mint.HashToken(code) || got.ClientID != "app" || got.RedirectURI != req.RedirectURI ||
		got.CodeChallenge != "ch" || got.CodeChallengeMethod != "S256" || got.Subject != f.alice.Subject ||
		got.Nonce != "n-1" || got.SessionID != sess.SID || !got.AuthTime.Equal(sess.AuthTime) || got.DPoPJKT != "jkt" ||
		!slices.Equal(got.Resources, req.Resources) || !slices.Equal(got.AMR, []string{"pwd"}) ||
		!got.ExpiresAt.Equal(f.clk.Now().Add(authcode.TTL)) {
		t.Errorf("code %+v", got)
	}
}
