package refresh

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A Signal names what decided that a consumed refresh token's presentation
// was not a retry. The audit log carries it as "signal"; the notifier gets
// it with the revocation. Signals are never token values.
type Signal string

// The signals, in the order the lifecycle asks them (chain.go retry).
const (
	// Reuse: the consumed token came back when no retry was possible.
	SignalOutsideGrace      Signal = "outside_grace"      // after reuse_grace (or with none configured)
	SignalSuccessorUsed     Signal = "successor_used"     // its successor was itself used already
	SignalSuccessorExpired  Signal = "successor_expired"  // its successor expired unused
	SignalSuccessorGone     Signal = "successor_gone"     // its successor's row is gone (rotated on, or swept)
	SignalSuccessorMismatch Signal = "successor_mismatch" // the successor it derives is not the one recorded

	// Theft: inside the grace window, the presentation proved a key other
	// than the one the grant is bound to or the one the first
	// presentation proved a moment before (RFC 9449 §5, RFC 7523).
	SignalDPoPProofMissing  Signal = "dpop_proof_missing"  // a DPoP-bound grant, and no proof
	SignalDPoPKeyMismatch   Signal = "dpop_key_mismatch"   // a DPoP proof by another key
	SignalClientKeyMismatch Signal = "client_key_mismatch" // private_key_jwt by another key
	SignalProofKeyMissing   Signal = "proof_key_missing"   // a key was proved before, none now
)

// Theft reports whether the signal says the presenter lacks the holder's
// key (ErrStolen), as opposed to plain reuse (ErrReused).
func (s Signal) Theft() bool {
	switch s {
	case SignalDPoPProofMissing, SignalDPoPKeyMismatch, SignalClientKeyMismatch, SignalProofKeyMissing:
		return true
	}
	return false
}

// bindingSignal: a DPoP-bound grant (g.DPoPJKT != "") is used only with a
// proof by the key it is bound to (RFC 9449 §5), a retry included. Another
// key, or none, is theft; "" when the proof holds or the grant is unbound.
func bindingSignal(g store.Grant, proof Proof) Signal {
	switch {
	case g.DPoPJKT == "" || proof.DPoPJKT == g.DPoPJKT:
		return ""
	case proof.DPoPJKT == "":
		return SignalDPoPProofMissing
	default:
		return SignalDPoPKeyMismatch
	}
}

// keySignal decides whether a presentation of a consumed token inside the
// grace window proved the keys a retry by the same client would prove, and
// names the first one it did not; "" when it did.
//
// Besides the grant's binding (bindingSignal), firstKey is the key the
// first presentation proved a moment before, as recorded on the successor
// it was handed (store.RefreshToken ProofKey, Proof.Key). A retry is the
// same request sent again, so it proves the same key: another key (a DPoP
// key, or a private_key_jwt key, RFC 7523 §3) is theft, and so is none
// where one was proved. When no key was proved the first time, nothing
// tells a retry from a theft and the grace rule alone decides, as before
// keys were recorded: a successor issued by an earlier build (ProofKey "")
// is then still retried during a rolling upgrade, whatever the retry proves.
//
// The signal names the key this presentation proved: its DPoP key
// (dpop_key_mismatch), else its client-assertion key (client_key_mismatch:
// another assertion key, or the first presentation proved a DPoP key),
// else none (proof_key_missing).
func keySignal(g store.Grant, proof Proof, firstKey string) Signal {
	if sig := bindingSignal(g, proof); sig != "" {
		return sig
	}
	now := proof.Key()
	switch {
	case firstKey == "" || now == firstKey:
		return ""
	case proof.DPoPJKT != "":
		return SignalDPoPKeyMismatch
	case proof.ClientKey != "":
		return SignalClientKeyMismatch
	default:
		return SignalProofKeyMissing
	}
}

// Revocation is a grant the lifecycle revoked because one of its consumed
// tokens came back outside a retry: what a Notifier is told.
type Revocation struct {
	Grant  store.Grant // the grant as it was read, before the revocation
	Signal Signal      // what decided
	At     time.Time   // when it was revoked
}

// Theft reports whether the grant was revoked for theft rather than reuse.
func (r Revocation) Theft() bool { return r.Signal.Theft() }

// Notifier hears of a grant revoked for theft or reuse, after the
// revocation committed and only when this request revoked it (a grant
// already revoked is not told twice). GrantRevoked runs on the request's
// goroutine: it must return at once (queue, never deliver), and must not
// keep ctx beyond the call. internal/notify implements it.
type Notifier interface {
	GrantRevoked(ctx context.Context, r Revocation)
}

// SetNotifier makes n hear of every grant revoked for theft or reuse. Call
// it before the service serves requests; nil turns notification off.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }
