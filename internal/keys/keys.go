package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Store is the part of store.Store that keys needs.
type Store interface {
	// SigningKeys returns every stored signing key, oldest first.
	SigningKeys(ctx context.Context) ([]store.SigningKey, error)
	// AddSigningKey stores a key; store.ErrConflict if the id exists.
	AddSigningKey(ctx context.Context, k store.SigningKey, ev store.Event) error
	// DeleteSigningKey removes a key; store.ErrNotFound if there is none.
	DeleteSigningKey(ctx context.Context, id string, ev store.Event) error
}

var _ Store = store.Store(nil)

// Algorithms are the JWS algorithms (RFC 7518 §3.1) Load makes sure a key
// exists for. RS256 is the one OIDC Core §15.1 requires every OP to
// support; ES256 signs twenty times faster (see shared/bench/LIMITS.md).
var Algorithms = []string{string(jose.RS256), string(jose.ES256)}

// rsaBits: RFC 7518 §3.3 requires at least 2048 bits for RS256.
const rsaBits = 2048

// loadAttempts bounds the reload loop when other nodes create keys at the
// same moment; each round either finds every key or adds the missing ones.
const loadAttempts = 3

// Options tune Open; the zero value is what production uses.
type Options struct {
	// Now stamps the CreatedAt of new keys and paces reloads; time.Now when nil.
	Now func() time.Time
	// ReloadGap is the least time between two reloads that a miss (an
	// unknown kid, a JWKS request) may start; DefaultReloadGap when 0.
	ReloadGap time.Duration
	// Log receives reload failures and successes; discarded when nil.
	Log *slog.Logger
	// Policy fixes how long a new key is published before it signs and a
	// retired one after (policy.go); each zero field takes its default.
	Policy Policy
	// Node names this node in the audit trail's key_changed events.
	Node string
}

// Load is Open with now stamping new keys, and the wall clock pacing reloads.
func Load(ctx context.Context, st Store, systemSecret []byte, now time.Time) (*Set, error) {
	return open(ctx, st, systemSecret, now, Options{})
}

// Open opens every stored signing key with the system secret and makes
// sure each of Algorithms has one, creating and storing (sealed) any that
// is missing. Several nodes may call Open at once: a lost insert
// (store.ErrConflict) means another node created that key first, and Open
// reloads to use it. The Set keeps st to reload from (see Reload, Run,
// PublicKey).
func Open(ctx context.Context, st Store, systemSecret []byte, o Options) (*Set, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	return open(ctx, st, systemSecret, o.Now(), o)
}

func open(ctx context.Context, st Store, systemSecret []byte, now time.Time, o Options) (*Set, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ReloadGap <= 0 {
		o.ReloadGap = DefaultReloadGap
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Policy = o.Policy.withDefaults()
	if len(systemSecret) < MinSecretLen {
		return nil, fmt.Errorf("keys: the system secret must be at least %d bytes, got %d", MinSecretLen, len(systemSecret))
	}
	s, err := newSealer(systemSecret)
	if err != nil {
		return nil, err
	}
	for range loadAttempts {
		rows, err := st.SigningKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("keys: reading signing keys: %w", err)
		}
		snap, err := openSet(rows, s, o.Now(), o.Policy.Retention())
		if err != nil {
			return nil, err
		}
		missing := snap.missing()
		if len(missing) == 0 {
			set := &Set{st: st, sealer: s, now: o.Now, gap: o.ReloadGap, log: o.Log,
				policy: o.Policy, cacheControl: o.Policy.cacheControl(), node: o.Node}
			set.cur.Store(snap)
			return set, nil
		}
		for _, alg := range missing {
			kid, err := firstKeyID(systemSecret, alg)
			if err != nil {
				return nil, err
			}
			row, err := newKey(alg, kid, s, now)
			if err != nil {
				return nil, err
			}
			err = st.AddSigningKey(ctx, row, keyEvent(ctx, now, o.Node, "created", kid, alg))
			if err != nil && !errors.Is(err, store.ErrConflict) {
				return nil, fmt.Errorf("keys: storing a new %s key: %w", alg, err)
			}
			// On ErrConflict another node stored this kid first; the
			// next round loads its key instead of ours.
		}
	}
	return nil, fmt.Errorf("keys: signing keys still missing after %d attempts", loadAttempts)
}

// firstKeyID is the kid of an algorithm's first key. It is derived from the
// system secret rather than drawn at random so that every node racing to
// create the key picks the same id and the store's unique key id lets
// exactly one of them win. It is an HKDF output, so it reveals nothing
// about the secret, and it differs between deployments.
func firstKeyID(systemSecret []byte, alg string) (string, error) {
	b, err := hkdf.Key(sha256.New, systemSecret, nil, kidInfo+" "+alg+" 1", 16)
	if err != nil {
		return "", fmt.Errorf("keys: deriving a key id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newKey generates a private key for alg and returns it sealed as a store
// row, created at now, with no activation time (active from creation).
func newKey(alg, kid string, s sealer, now time.Time) (store.SigningKey, error) {
	var priv any
	var err error
	switch alg {
	case string(jose.RS256):
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case string(jose.ES256):
		// RFC 7518 §3.4: ES256 is ECDSA on P-256 with SHA-256.
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return store.SigningKey{}, fmt.Errorf("keys: cannot generate a key for %q", alg)
	}
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("keys: generating a %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: alg, Use: "sig"}
	plain, err := jwk.MarshalJSON()
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("keys: encoding a %s key: %w", alg, err)
	}
	return store.SigningKey{ID: kid, Algorithm: alg, Sealed: s.seal(kid, plain), CreatedAt: now}, nil
}

// openKey unseals one row and checks that what came out is the private key
// the row claims to hold.
func openKey(row store.SigningKey, s sealer) (jose.JSONWebKey, error) {
	plain, err := s.open(row.ID, row.Sealed)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(plain); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("keys: signing key %q: decoding: %w", row.ID, err)
	}
	// The GCM tag already binds the kid; checking the JWK's own kid and alg
	// also catches a row whose Algorithm column was edited.
	if jwk.KeyID != row.ID || jwk.Algorithm != row.Algorithm {
		return jose.JSONWebKey{}, fmt.Errorf("keys: signing key %q: sealed key is %q/%q, row says %q/%q",
			row.ID, jwk.KeyID, jwk.Algorithm, row.ID, row.Algorithm)
	}
	if jwk.IsPublic() || !jwk.Valid() {
		return jose.JSONWebKey{}, fmt.Errorf("keys: signing key %q is not a valid private key", row.ID)
	}
	return jwk, nil
}
