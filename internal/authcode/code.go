package authcode

import (
	"context"
	"errors"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TTL is how long a code lives: RFC 6749 §4.1.2 "A maximum authorization
// code lifetime of 10 minutes is RECOMMENDED"; a browser redirect and the
// client's back-channel exchange take seconds, so one minute.
const TTL = 60 * time.Second

// Creator is the store write that issues a code.
type Creator interface {
	CreateAuthCode(ctx context.Context, c store.AuthCode) error
}

// Store is what redemption reads and writes.
type Store interface {
	AuthCode(ctx context.Context, hash string) (store.AuthCode, error)
	ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error)
}

var (
	// ErrUnknown: the value is not a code of ours, or no code has it (or
	// it was swept since). One error for both: a stranger learns nothing.
	ErrUnknown = errors.New("authcode: unknown")
	// ErrExpired: the code's lifetime ran out before it was redeemed.
	ErrExpired = errors.New("authcode: expired")
	// ErrReplayed: the code was redeemed before (or a concurrent
	// redemption won the race); RFC 6749 §4.1.2 asks for the revocation
	// of what was issued from it.
	ErrReplayed = errors.New("authcode: already redeemed")
)

// Issue mints a code for c (whose Hash, CreatedAt and ExpiresAt it fills
// in), stores only its hash, and returns the value for the redirect.
func Issue(ctx context.Context, st Creator, now time.Time, c store.AuthCode) (string, error) {
	value := mint.NewCode()
	c.Hash = mint.HashToken(value)
	c.CreatedAt, c.ExpiresAt = now, now.Add(TTL)
	if err := st.CreateAuthCode(ctx, c); err != nil {
		return "", err
	}
	return value, nil
}

// Find returns the stored code of a presented value, whatever its state
// (the caller checks who presents it before it asks Usable), ErrUnknown
// for a malformed or unknown value, or the store's error.
func Find(ctx context.Context, st Store, value string) (store.AuthCode, error) {
	if !mint.WellFormed(mint.CodePrefix, value) {
		return store.AuthCode{}, ErrUnknown
	}
	code, err := st.AuthCode(ctx, mint.HashToken(value))
	if errors.Is(err, store.ErrNotFound) {
		return code, ErrUnknown
	}
	return code, err
}

// Usable says whether a found code may still be redeemed at now:
// ErrReplayed once consumed, ErrExpired from ExpiresAt on (it lives until
// ExpiresAt, not at it), nil while live.
func Usable(code store.AuthCode, now time.Time) error {
	if !code.ConsumedAt.IsZero() {
		return ErrReplayed
	}
	if !now.Before(code.ExpiresAt) {
		return ErrExpired
	}
	return nil
}

// Consume uses a code up at now, recording the grant issued from it in the
// same atomic write (so a replay finds the family to revoke). Of two
// redemptions racing one wins; the other gets ErrReplayed with the code as
// the winner left it. ErrUnknown when it was swept since it was read.
func Consume(ctx context.Context, st Store, code store.AuthCode, now time.Time, grantID string) (store.AuthCode, error) {
	consumed, err := st.ConsumeAuthCode(ctx, code.Hash, now, grantID)
	switch {
	case errors.Is(err, store.ErrConflict):
		return consumed, ErrReplayed
	case errors.Is(err, store.ErrNotFound):
		return consumed, ErrUnknown
	}
	return consumed, err
}
