package refresh_test

import (
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Every token records the key its request proved: the DPoP key when there
// is one (the key the token is bound to), else the client's assertion key.
// A retry that proves another key is then known for a theft.
func TestEveryTokenRecordsTheKeyItsRequestProved(t *testing.T) {
	f := newFixture(t)
	first, err := f.svc.Issue(f.ctx, store.Grant{ClientID: "app", Subject: "alice"},
		refresh.Proof{DPoPJKT: "jkt-a", ClientKey: "client-key"}, oneTime)
	if err != nil {
		t.Fatal(err)
	}
	next, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{ClientKey: "client-key-2"}, oneTime, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ token, want string }{{first.Token, "jkt-a"}, {next.Token, "client-key-2"}} {
		tok, _, err := f.st.RefreshToken(f.ctx, mint.ClaimedGrantID(c.token), mint.HashToken(c.token))
		if err != nil {
			t.Fatal(err)
		}
		if tok.ProofKey != c.want {
			t.Errorf("generation %d: ProofKey = %q, want %q", tok.Generation, tok.ProofKey, c.want)
		}
	}
}
