package keys

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Set is the loaded signing keys. It never changes after Load and is safe
// for concurrent use.
type Set struct {
	byID     map[string]*entry
	current  map[string]*entry // alg -> the newest key, which signs
	jwks     jose.JSONWebKeySet
	jwksJSON []byte
	typed    sync.Map // typedKey -> jose.Signer, built on first use
}

type entry struct {
	private   jose.JSONWebKey
	public    jose.JSONWebKey
	createdAt time.Time
	signer    jose.Signer // no "typ" header
}

type typedKey struct{ alg, typ string }

// openSet unseals rows and builds the published JWK Set.
func openSet(rows []store.SigningKey, s sealer) (*Set, error) {
	set := &Set{byID: make(map[string]*entry, len(rows)), current: make(map[string]*entry)}
	for _, row := range rows {
		jwk, err := openKey(row, s)
		if err != nil {
			return nil, err
		}
		signer, err := newSigner(jwk, "")
		if err != nil {
			return nil, fmt.Errorf("keys: signing key %q: %w", row.ID, err)
		}
		pub := jwk.Public()
		pub.Use = "sig" // RFC 7517 §4.2: these keys only sign.
		e := &entry{private: jwk, public: pub, createdAt: row.CreatedAt, signer: signer}
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

func newSigner(jwk jose.JSONWebKey, typ string) (jose.Signer, error) {
	// Signing with the JWK (not its bare Key) makes go-jose put its "kid"
	// in the protected header (RFC 7515 §4.1.4).
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	k := jwk
	return jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(jwk.Algorithm), Key: &k}, opts)
}

// missing lists the Algorithms that have no key yet.
func (s *Set) missing() []string {
	var out []string
	for _, alg := range Algorithms {
		if _, ok := s.current[alg]; !ok {
			out = append(out, alg)
		}
	}
	return out
}

// JWKS returns the public keys (RFC 7517 §5), each with kid, alg and use
// "sig", including older keys so tokens they signed still verify.
func (s *Set) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), s.jwks.Keys...)}
}

// JWKSJSON returns JWKS encoded once at Load, for the jwks_uri endpoint
// (OIDC Discovery §3). Callers must not modify it.
func (s *Set) JWKSJSON() []byte { return s.jwksJSON }

// Signer returns the signer of the newest key for alg and that key's kid.
// The signer puts alg and kid in the protected header and nothing else.
// go-jose signers hold no per-call state, so it is safe to share.
func (s *Set) Signer(alg string) (jose.Signer, string, error) {
	e, ok := s.current[alg]
	if !ok {
		return nil, "", fmt.Errorf("keys: no signing key for %q", alg)
	}
	return e.signer, e.private.KeyID, nil
}

// TypedSigner is Signer with a "typ" header parameter (RFC 7515 §4.1.9),
// such as "at+jwt" for access tokens (RFC 9068 §2.1) or "JWT". Signers are
// built once per (alg, typ) and cached.
func (s *Set) TypedSigner(alg, typ string) (jose.Signer, string, error) {
	if typ == "" {
		return s.Signer(alg)
	}
	e, ok := s.current[alg]
	if !ok {
		return nil, "", fmt.Errorf("keys: no signing key for %q", alg)
	}
	k := typedKey{alg, typ}
	if v, ok := s.typed.Load(k); ok {
		return v.(jose.Signer), e.private.KeyID, nil
	}
	signer, err := newSigner(e.private, typ)
	if err != nil {
		return nil, "", fmt.Errorf("keys: signing key %q: %w", e.private.KeyID, err)
	}
	v, _ := s.typed.LoadOrStore(k, signer)
	return v.(jose.Signer), e.private.KeyID, nil
}

// PublicKey returns the public key with this kid, for verifying tokens.
func (s *Set) PublicKey(kid string) (jose.JSONWebKey, bool) {
	e, ok := s.byID[kid]
	if !ok {
		return jose.JSONWebKey{}, false
	}
	return e.public, true
}
