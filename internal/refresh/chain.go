package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A consumed token: a retry within the grace window gets the same
// successor, anything else is reuse or theft. The store keeps a consumed
// token's row only while it is the live token's predecessor (store.Store
// RotateRefreshToken); an older one is known by its name (mint: grant and
// generation under a tag only this server can make). Either way the same
// rules decide, so when the janitor ran makes no difference to the answer.
//
// The signals, in the order retry asks them (signal.go names each):
//
//	outside the grace window                    reuse   outside_grace
//	a bound grant, no proof / another DPoP key  theft   dpop_proof_missing / dpop_key_mismatch
//	a key other than the one proved before      theft   dpop_key_mismatch / client_key_mismatch / proof_key_missing
//	the successor is not the one recorded       reuse   successor_mismatch
//	the successor's row is gone                 reuse   successor_gone
//	the successor was used                      reuse   successor_used
//	the successor expired                       reuse   successor_expired
//	otherwise                                   retry:  the same successor again

// retry handles a consumed token. Within the grace window, while its
// successor is unused, the client gets that same successor again: the
// response to the first request was lost. At any other time a consumed token
// means two parties hold the family (RFC 9700 §4.14.2), so the whole grant is
// revoked; inside the window, so does a presentation that does not prove the
// keys the client proved a moment before (keySignal): that is a thief racing
// the client, not the client retrying. check runs only for a genuine retry:
// reuse and theft are answered first. gone says that tok was rebuilt from
// the token's name and its successor's row, because its own row is gone.
func (s *Service) retry(ctx context.Context, pt presentation, tok store.RefreshToken, g store.Grant, proof Proof, p Policy, now time.Time, check func(store.Grant) error, gone bool) (Issued, error) {
	since := slog.Duration("since_consumed", now.Sub(tok.ConsumedAt))
	rowGone := slog.Bool("row_gone", gone)
	if !p.withinGrace(tok.ConsumedAt, now) {
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, SignalOutsideGrace, since, rowGone)
	}
	// A bound grant's key is known without a read: ask it first.
	if sig := bindingSignal(g, proof); sig != "" {
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, sig, since, rowGone)
	}
	succ, err := s.successorOf(pt, tok, g)
	if err != nil {
		return Issued{}, err
	}
	if mint.HashToken(succ) != tok.SuccessorHash {
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, SignalSuccessorMismatch, since, rowGone)
	}
	next, _, err := s.store.RefreshToken(ctx, g.ID, tok.SuccessorHash)
	if errors.Is(err, store.ErrNotFound) {
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, SignalSuccessorGone, since, rowGone)
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: read successor: %w", err)
	}
	// The successor records the key the first presentation proved.
	if sig := keySignal(g, proof, next.ProofKey); sig != "" {
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, sig, since, rowGone)
	}
	switch {
	case next.Consumed():
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, SignalSuccessorUsed, since, rowGone)
	case !now.Before(next.ExpiresAt):
		return Issued{}, s.revokeFor(ctx, g, tok.Generation, now, SignalSuccessorExpired, since, rowGone)
	}
	if check != nil {
		if err := check(g); err != nil {
			return Issued{}, err
		}
	}
	// A retry is not an attack, but an operator telling theft from a
	// flaky network needs to see how often it happens.
	s.audit.LogAttrs(ctx, slog.LevelInfo, "refresh token retried within grace; same successor",
		slog.String("event", "refresh_token_retry"),
		slog.String("grant_id", g.ID),
		slog.String("client_id", g.ClientID),
		slog.Int("generation", tok.Generation),
		since, rowGone)
	return Issued{Token: succ, Grant: g, ExpiresAt: next.ExpiresAt, Retried: true}, nil
}

// successorOf recomputes the successor a rotation of tok handed out. A
// rotation by a build from before named tokens handed out DeriveSuccessor's
// legacy shape; a retry of it, landing on this build, gets that again.
func (s *Service) successorOf(pt presentation, tok store.RefreshToken, g store.Grant) (string, error) {
	succ, err := s.keys.Successor(g.ID, tok.Generation+1, pt.value)
	if err != nil {
		return "", fmt.Errorf("refresh: successor: %w", err)
	}
	if mint.HashToken(succ) != tok.SuccessorHash && pt.form == mint.LegacyRefresh {
		if legacy, err := s.keys.LegacySuccessor(g.ID, tok.Generation+1, pt.value); err == nil && mint.HashToken(legacy) == tok.SuccessorHash {
			return legacy, nil
		}
	}
	return succ, nil
}

// rowGone decides about a named token whose row the store no longer holds
// (Open verified its tag, so this server minted it): a rotation deleted
// it, two generations on, or the janitor did, after its idle expiry. Its
// name says which grant it belongs to and which generation it was.
func (s *Service) rowGone(ctx context.Context, pt presentation, clientID string, proof Proof, p Policy, check func(store.Grant) error) (Issued, error) {
	g, newest, err := s.store.GrantChain(ctx, pt.name.GrantID)
	if errors.Is(err, store.ErrNotFound) {
		return Issued{}, ErrUnknown // the grant itself expired and was swept
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: read grant chain: %w", err)
	}
	if g.ClientID != clientID {
		return Issued{}, s.wrongClient(ctx, g, clientID)
	}
	now := s.now()
	if err := live(g, now); err != nil {
		return Issued{}, err
	}
	gen := pt.name.Generation
	switch {
	case newest < 0:
		// Every token of the grant expired unused and was swept: the
		// chain ended, and nobody holds a live token to protect.
		return Issued{}, errExpiredIdle
	case gen >= newest:
		// Not a generation this chain has passed. This server minted it,
		// so the store has lost rotations: it was restored from a backup.
		// Refuse the token; revoking would punish the client for that.
		s.audit.LogAttrs(ctx, slog.LevelWarn, "refresh token newer than its grant's chain in the store (restored from a backup?)",
			slog.String("event", "refresh_token_ahead_of_store"),
			slog.String("grant_id", g.ID),
			slog.String("client_id", g.ClientID),
			slog.Int("generation", gen),
			slog.Int("newest_generation", newest))
		return Issued{}, ErrUnknown
	}
	// The janitor may have swept a consumed token whose idle expiry fell
	// inside the grace window while its successor lives on: rebuild the
	// consumed row from that successor (created when it was consumed) and
	// let retry decide, as it would with the row.
	succ, err := s.keys.Successor(g.ID, gen+1, pt.value)
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: successor: %w", err)
	}
	next, _, err := s.store.RefreshToken(ctx, g.ID, mint.HashToken(succ))
	switch {
	case err == nil: // found in g, the grant it was asked in
		tok := store.RefreshToken{Hash: pt.hash, GrantID: g.ID, Generation: gen,
			ConsumedAt: next.CreatedAt, SuccessorHash: next.Hash}
		return s.retry(ctx, pt, tok, g, proof, p, now, check, true)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return Issued{}, fmt.Errorf("refresh: read successor: %w", err)
	}
	// Its successor's row is gone too: the chain has rotated past it (a
	// rotation deletes the consumed token's predecessor), so it was used.
	// No row keeps when this token was consumed, nor which key its
	// successor's request proved: reuse, whatever the presentation proves.
	return Issued{}, s.revokeFor(ctx, g, gen, now, SignalSuccessorUsed, slog.Int("newest_generation", newest), slog.Bool("row_gone", true))
}

// revokeFor revokes a grant one of whose consumed tokens came back outside
// a retry (RFC 9700 §4.14.2: the server cannot tell the legitimate client
// from an attacker, so the whole family goes), logs it once with the signal
// that decided, tells the notifier once the revocation is committed, and
// returns ErrStolen for a theft signal, ErrReused for the others, or the
// store's error.
func (s *Service) revokeFor(ctx context.Context, g store.Grant, generation int, now time.Time, sig Signal, extra ...slog.Attr) error {
	verdict, event, msg := ErrReused, "refresh_token_reuse", "refresh token reuse detected; grant revoked"
	if sig.Theft() {
		verdict, event, msg = ErrStolen, "refresh_token_theft", "refresh token presented without its holder's key; grant revoked"
	}
	// The trail's reuse_detected: Tollgate itself acted, on the signal.
	ev := audit.Event(ctx, now, s.node, store.EventReuseDetected)
	ev.Reason, ev.Actor, ev.ActorID = string(sig), audit.ActorSystem, ""
	revoked, err := s.store.RevokeGrant(ctx, g.ID, now, ev)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("refresh: revoke grant (%s): %w", sig, err)
	}
	if revoked {
		if sig.Theft() {
			s.revoked(ByTheft, 1)
		} else {
			s.revoked(ByReuse, 1)
		}
		attrs := append([]slog.Attr{
			slog.String("event", event),
			slog.String("signal", string(sig)),
			slog.String("grant_id", g.ID),
			slog.String("client_id", g.ClientID),
			slog.String("subject", g.Subject),
			slog.Int("generation", generation),
		}, extra...)
		s.audit.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
		if s.notifier != nil {
			s.notifier.GrantRevoked(ctx, Revocation{Grant: g, Signal: sig, At: now})
		}
	}
	return verdict
}
