package keys

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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

	st           Store
	sealer       sealer
	now          func() time.Time
	gap          time.Duration // least time between two reloads a miss may start
	log          *slog.Logger
	policy       Policy
	cacheControl string
	node         string // for the audit trail (Options.Node)

	mu       sync.Mutex    // guards the two fields below
	inflight chan struct{} // closed when the running reload ends; nil when none runs
	lastTry  time.Time     // when the last reload started
}

// snapshot is one immutable view of the stored keys at one instant: which
// key of each algorithm signs and which are published. It is rebuilt from
// the same entries (nothing is unsealed again) when the clock passes
// changesAt, and from the store on a reload.
type snapshot struct {
	all      map[string]*entry // every stored key, whatever its state
	byID     map[string]*entry // the published keys: next, active, retired
	current  map[string]*entry // alg -> the active key, which signs
	jwks     jose.JSONWebKeySet
	jwksJSON []byte
	infos    []Info

	at        time.Time // the instant the states were computed for
	changesAt time.Time // the next instant a key changes state; zero: none will
}

type entry struct {
	private     jose.JSONWebKey
	public      jose.JSONWebKey
	createdAt   time.Time
	activatesAt time.Time // effective: CreatedAt when the row has none
	key         *signingKey

	// signers maps a "typ" to this key's JWSSigner for it, its protected
	// header encoded once. Copy on write: readers load the map without a
	// lock; a miss builds the signer under mu and stores a new map.
	signers atomic.Pointer[map[string]*JWSSigner]
	mu      sync.Mutex
}

// openSet unseals rows and places them at now (see view).
func openSet(rows []store.SigningKey, s sealer, now time.Time, retention time.Duration) (*snapshot, error) {
	all := make(map[string]*entry, len(rows))
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
		all[row.ID] = &entry{private: jwk, public: pub, createdAt: row.CreatedAt,
			activatesAt: effectiveActivation(row.CreatedAt, row.ActivatesAt), key: key}
	}
	return view(all, now, retention)
}

// view builds the snapshot of the entries all at now: the active key of
// each algorithm signs; next, active and retired keys are published (RFC
// 7517 §5), in the timeline's order; gone keys are neither.
func view(all map[string]*entry, now time.Time, retention time.Duration) (*snapshot, error) {
	times := make([]keyTimes, 0, len(all))
	for kid, e := range all {
		times = append(times, keyTimes{kid: kid, alg: e.private.Algorithm, createdAt: e.createdAt, activatesAt: e.activatesAt})
	}
	infos, changesAt := timeline(times, now, retention)
	set := &snapshot{all: all, byID: make(map[string]*entry, len(all)), current: make(map[string]*entry),
		infos: infos, at: now, changesAt: changesAt}
	set.jwks.Keys = []jose.JSONWebKey{}
	for _, in := range infos {
		e := all[in.KID]
		switch in.State {
		case StateGone:
			continue
		case StateActive:
			set.current[in.Algorithm] = e
		}
		set.byID[in.KID] = e
		set.jwks.Keys = append(set.jwks.Keys, e.public)
	}
	b, err := json.Marshal(set.jwks)
	if err != nil {
		return nil, fmt.Errorf("keys: encoding the JWK Set: %w", err)
	}
	set.jwksJSON = b
	return set, nil
}

// missing lists the Algorithms that have no key yet, in any state.
func (s *snapshot) missing() []string {
	var out []string
	for _, alg := range Algorithms {
		if !slices.ContainsFunc(s.infos, func(in Info) bool { return in.Algorithm == alg }) {
			out = append(out, alg)
		}
	}
	return out
}

// view returns the snapshot in use, placed at the current time: when the
// clock has reached the instant a key changes state (a next key activates,
// a retired one goes), or went back before the snapshot's instant, the
// same entries are placed again and the result swapped in. The common case
// costs a clock read and two comparisons, and allocates nothing.
func (s *Set) view() *snapshot {
	snap := s.cur.Load()
	now := s.now()
	if !now.Before(snap.at) && (snap.changesAt.IsZero() || now.Before(snap.changesAt)) {
		return snap
	}
	next, err := view(snap.all, now, s.policy.Retention())
	if err != nil {
		// Only JSON encoding of keys that encoded before can fail here.
		s.log.Error("placing signing keys in time failed; keeping the view before", "error", err)
		return snap
	}
	s.cur.CompareAndSwap(snap, next)
	return next
}

// Ready reports whether a key of every one of Algorithms is loaded, so
// that the node can sign whatever a client is configured for (readiness).
func (s *Set) Ready() bool {
	if s.cur.Load() == nil {
		return false
	}
	cur := s.view().current
	for _, alg := range Algorithms {
		if cur[alg] == nil {
			return false
		}
	}
	return true
}

// JWKS returns the public keys (RFC 7517 §5), each with kid, alg and use
// "sig", including older keys so tokens they signed still verify.
func (s *Set) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), s.view().jwks.Keys...)}
}

// JWKSJSON returns JWKS encoded once per load, for the jwks_uri endpoint
// (OIDC Discovery §3). Callers must not modify it.
func (s *Set) JWKSJSON() []byte { return s.view().jwksJSON }

// CacheControl is the Cache-Control value of the JWKS answer: public, for
// the policy's JWKSMaxAge. A key is published that long (and more) before
// it signs (Policy.PublishDelay).
func (s *Set) CacheControl() string { return s.cacheControl }

// List places every stored key, gone ones too, at the current time.
func (s *Set) List() []Info { return slices.Clone(s.view().infos) }

// JWSSigner returns the signer of the active key for alg (never a key
// before its activation time, whichever node created it), whose protected
// header holds "alg", "kid" and, unless typ is empty, "typ" (RFC 7515
// §4.1.9), such as "at+jwt" for access tokens (RFC 9068 §2.1) or "JWT".
// Signers are built once per key and typ, and cached in the snapshot: a
// reload that brings a newer key makes the next call sign with it. typ is
// the caller's constant, never request input: each distinct value stays
// cached for the snapshot's life.
func (s *Set) JWSSigner(alg, typ string) (*JWSSigner, error) {
	e, ok := s.view().current[alg]
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
	if e, ok := s.view().byID[kid]; ok {
		return e.public, true
	}
	if !plausibleKID(kid) {
		return jose.JSONWebKey{}, false
	}
	s.reloadOnMiss()
	if e, ok := s.view().byID[kid]; ok {
		return e.public, true
	}
	return jose.JSONWebKey{}, false
}

// plausibleKID: a kid worth a trip to the store. Ours are short base64url;
// an empty or absurdly long one cannot be any node's, stored or not.
func plausibleKID(kid string) bool { return kid != "" && len(kid) <= 128 }
