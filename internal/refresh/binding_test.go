package refresh_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A grant bound to a DPoP key (RFC 9449 §5) is refreshed only with a proof
// by that key. A presentation without it, or with another key, is refused
// and changes nothing: the token stays live and unconsumed, the grant
// unrevoked, and the client carries on with its own key.
func TestBoundGrantNeedsItsKey(t *testing.T) {
	for _, p := range []refresh.Policy{oneTime, reusePolicy()} {
		f := newFixture(t)
		first, err := f.svc.Issue(f.ctx, store.Grant{ClientID: "app", Subject: "alice", DPoPJKT: "jkt-a"},
			refresh.Proof{DPoPJKT: "jkt-a"}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			proof refresh.Proof
			want  error
		}{
			{refresh.Proof{}, refresh.ErrProofRequired},
			{refresh.Proof{ClientKey: "jkt-a"}, refresh.ErrProofRequired}, // an assertion key is not a DPoP proof
			{refresh.Proof{DPoPJKT: "jkt-b"}, refresh.ErrWrongKey},
		} {
			_, err := f.svc.Refresh(f.ctx, first.Token, "app", tc.proof, p, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%s: proof %+v: %v, want %v", p.Rotation, tc.proof, err, tc.want)
			}
		}
		tok, g, err := f.st.RefreshToken(f.ctx, mint.ClaimedGrantID(first.Token), mint.HashToken(first.Token))
		if err != nil || tok.Consumed() || g.Revoked() {
			t.Fatalf("%s: after refusals: consumed %v revoked %v err %v", p.Rotation, tok.Consumed(), g.Revoked(), err)
		}
		if !strings.Contains(f.logs.String(), "event=refresh_token_dpop_mismatch") {
			t.Errorf("%s: no audit event for the refusal", p.Rotation)
		}
		next, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{DPoPJKT: "jkt-a"}, p, nil)
		if err != nil || next.Retried {
			t.Fatalf("%s: the rightful client: %+v %v", p.Rotation, next, err)
		}
		if next.Grant.DPoPJKT != "jkt-a" {
			t.Fatalf("%s: the successor's grant lost its binding", p.Rotation)
		}
	}
}

// An unbound grant takes a proof (the access token gets bound, the refresh
// token does not) and no proof alike.
func TestUnboundGrantTakesAnyProof(t *testing.T) {
	f := newFixture(t)
	it := f.issue(t, oneTime)
	next, err := f.svc.Refresh(f.ctx, it.Token, "app", refresh.Proof{DPoPJKT: "jkt-x"}, oneTime, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Refresh(f.ctx, next.Token, "app", refresh.Proof{}, oneTime, nil); err != nil {
		t.Fatalf("unbound grant refreshed without a proof after one with: %v", err)
	}
}

func reusePolicy() refresh.Policy {
	p := oneTime
	p.Rotation = config.RotationReuse
	return p
}
