package keys

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Set is a node's signing keys: the snapshot loaded last from the store,
// swapped whole (one atomic pointer) when a reload finds keys another node
// added. Readers never lock and never see half a reload: each call reads
// one snapshot, and a snapshot never changes. Safe for concurrent use.
type Set struct {
	cur atomic.Pointer[snapshot]

	st     Store
	sealer sealer
	now    func() time.Time
	gap    time.Duration // least time between two reloads a miss may start
	log    *slog.Logger

	mu       sync.Mutex    // guards the two fields below
	inflight chan struct{} // closed when the running reload ends; nil when none runs
	lastTry  time.Time     // when the last reload started
}

// snapshot is one immutable view of the stored keys.
type snapshot struct {
	byID     map[string]*entry
	current  map[string]*entry // alg -> the newest key, which signs
	jwks     jose.JSONWebKeySet
	jwksJSON []byte
}

type entry struct {
	private   jose.JSONWebKey
	public    jose.JSONWebKey
	createdAt time.Time
	key       *signingKey

	// signers maps a "typ" to this key's JWSSigner for it, its protected
	// header encoded once. Copy on write: readers load the map without a
	// lock; a miss builds the signer under mu and stores a new map.
	signers atomic.Pointer[map[string]*JWSSigner]
	mu      sync.Mutex
}

// openSet unseals rows and builds the published JWK Set.
func openSet(rows []store.SigningKey, s sealer) (*snapshot, error) {
	set := &snapshot{byID: make(map[string]*entry, len(rows)), current: make(map[string]*entry)}
	for _, row := range rows {
		jwk, err := openKey(row, s)
		if err != nil {
			return nil, err
		}
		key, err := newSigningKey(jwk)
		if err != nil {
			return nil, fmt.Errorf("keys: signing key %q: %w", row.ID, err)
		}
		pub := jwk.Public()
		pub.Use = "sig" // RFC 7517 §4.2: these keys only sign.
		e := &entry{private: jwk, public: pub, createdAt: row.CreatedAt, key: key}
		set.byID[row.ID] = e
		set.jwks.Keys = append(set.jwks.Keys, pub)
		// "Newest key per alg signs." Ties on CreatedAt go to the larger
		// kid so that every node picks the same key.
		if cur, ok := set.current[row.Algorithm]; !ok || newer(e, cur) {
			set.current[row.Algorithm] = e
		}
	}
	b, err := json.Marshal(set.jwks)
	if err != nil {
		return nil, fmt.Errorf("keys: encoding the JWK Set: %w", err)
	}
	set.jwksJSON = b
	return set, nil
}

func newer(a, b *entry) bool {
	if !a.createdAt.Equal(b.createdAt) {
		return a.createdAt.After(b.createdAt)
	}
	return a.private.KeyID > b.private.KeyID
}

// missing lists the Algorithms that have no key yet.
func (s *snapshot) missing() []string {
	var out []string
	for _, alg := range Algorithms {
		if _, ok := s.current[alg]; !ok {
			out = append(out, alg)
		}
	}
	return out
}

// Ready reports whether a key of every one of Algorithms is loaded, so
// that the node can sign whatever a client is configured for (readiness).
func (s *Set) Ready() bool {
	snap := s.cur.Load()
	return snap != nil && len(snap.missing()) == 0
}

// JWKS returns the public keys (RFC 7517 §5), each with kid, alg and use
// "sig", including older keys so tokens they signed still verify.
func (s *Set) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), s.cur.Load().jwks.Keys...)}
}

// JWKSJSON returns JWKS encoded once per load, for the jwks_uri endpoint
// (OIDC Discovery §3). Callers must not modify it.
func (s *Set) JWKSJSON() []byte { return s.cur.Load().jwksJSON }

// JWSSigner returns the signer of the newest key for alg, whose protected
// header holds "alg", "kid" and, unless typ is empty, "typ" (RFC 7515
// §4.1.9), such as "at+jwt" for access tokens (RFC 9068 §2.1) or "JWT".
// Signers are built once per key and typ, and cached in the snapshot: a
// reload that brings a newer key makes the next call sign with it. typ is
// the caller's constant, never request input: each distinct value stays
// cached for the snapshot's life.
func (s *Set) JWSSigner(alg, typ string) (*JWSSigner, error) {
	e, ok := s.cur.Load().current[alg]
	if !ok {
		return nil, fmt.Errorf("keys: no signing key for %q", alg)
	}
	return e.signer(typ)
}

func (e *entry) signer(typ string) (*JWSSigner, error) {
	if m := e.signers.Load(); m != nil {
		if j, ok := (*m)[typ]; ok {
			return j, nil
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.signers.Load()
	if old != nil {
		if j, ok := (*old)[typ]; ok {
			return j, nil
		}
	}
	j, err := newJWSSigner(e.key, e.private.KeyID, typ)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*JWSSigner, 1)
	if old != nil {
		maps.Copy(m, *old)
	}
	m[typ] = j
	e.signers.Store(&m)
	return j, nil
}

// PublicKey returns the public key with this kid, for verifying tokens. A
// kid this node does not know may be a key another node added since the
// last reload, so a miss reloads the set from the store first (paced: see
// reload) and looks again.
func (s *Set) PublicKey(kid string) (jose.JSONWebKey, bool) {
	if e, ok := s.cur.Load().byID[kid]; ok {
		return e.public, true
	}
	if !plausibleKID(kid) {
		return jose.JSONWebKey{}, false
	}
	s.reloadOnMiss()
	if e, ok := s.cur.Load().byID[kid]; ok {
		return e.public, true
	}
	return jose.JSONWebKey{}, false
}

// plausibleKID: a kid worth a trip to the store. Ours are short base64url;
// an empty or absurdly long one cannot be any node's, stored or not.
func plausibleKID(kid string) bool { return kid != "" && len(kid) <= 128 }
