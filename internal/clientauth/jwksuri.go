package clientauth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Bounds of a jwks_uri fetch. A client's key set is a few keys: 64 KiB is
// room for dozens of RSA keys and small enough that a hostile host cannot
// make us buffer much.
const (
	DefaultJWKSMaxBytes   = 64 << 10
	DefaultJWKSTimeout    = 5 * time.Second
	DefaultJWKSTTL        = 5 * time.Minute // without Cache-Control max-age
	DefaultJWKSMinTTL     = 1 * time.Minute // max-age below (and no-cache) count as this
	DefaultJWKSMaxTTL     = 24 * time.Hour  // max-age above counts as this
	DefaultJWKSRefetchGap = 30 * time.Second
)

// JWKSFetcher fetches and caches the key sets clients publish at their
// jwks_uri (RFC 7591 §2). Every node keeps its own cache: nothing is
// stored. A set is kept for its Cache-Control max-age (bounded by MinTTL
// and MaxTTL, DefaultTTL without one) and fetched again when it expires or
// when a JWT names a kid the set does not have, the way a client rotates
// its keys. Fetches of one URI are at least RefetchGap apart, so a flood of
// assertions with made-up kids makes the server fetch once per gap, not
// once per request. A failed fetch keeps the keys fetched before.
//
// The zero value is usable; the fields tune it.
type JWKSFetcher struct {
	HTTP       *http.Client // nil: a client with Timeout that follows no redirects
	Now        func() time.Time
	MaxBytes   int64
	Timeout    time.Duration
	DefaultTTL time.Duration
	MinTTL     time.Duration
	MaxTTL     time.Duration
	RefetchGap time.Duration

	once    sync.Once
	mu      sync.Mutex
	entries map[string]*jwksEntry
}

// jwksEntry is the cache of one URI; mu serialises its fetches, so a burst
// of requests waits for one fetch instead of making one each.
type jwksEntry struct {
	mu        sync.Mutex
	keys      *jose.JSONWebKeySet
	expires   time.Time
	attempted time.Time // last fetch, successful or not
	err       error     // of the last fetch, while no keys are known
}

func (f *JWKSFetcher) init() {
	f.once.Do(func() {
		def := func(d *time.Duration, v time.Duration) {
			if *d <= 0 {
				*d = v
			}
		}
		def(&f.Timeout, DefaultJWKSTimeout)
		def(&f.DefaultTTL, DefaultJWKSTTL)
		def(&f.MinTTL, DefaultJWKSMinTTL)
		def(&f.MaxTTL, DefaultJWKSMaxTTL)
		def(&f.RefetchGap, DefaultJWKSRefetchGap)
		if f.MaxBytes <= 0 {
			f.MaxBytes = DefaultJWKSMaxBytes
		}
		if f.HTTP == nil {
			f.HTTP = &http.Client{
				Timeout: f.Timeout,
				// A redirect could lead the server anywhere the client's
				// host likes: the registered URI is the one fetched.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
		}
		if f.Now == nil {
			f.Now = time.Now
		}
		f.entries = map[string]*jwksEntry{}
	})
}

func (f *JWKSFetcher) entry(uri string) *jwksEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[uri]
	if !ok {
		e = &jwksEntry{}
		f.entries[uri] = e
	}
	return e
}

// Keys returns the key set at uri. kid is the key id the JWT to verify
// names ("" for none): a kid the cached set lacks triggers a fetch, at most
// once per RefetchGap. An error comes only while no keys are known; it is
// one a client developer can read: the caller wraps it in its error code.
func (f *JWKSFetcher) Keys(ctx context.Context, uri, kid string) (*jose.JSONWebKeySet, error) {
	f.init()
	e := f.entry(uri)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := f.Now()
	fresh := e.keys != nil && now.Before(e.expires)
	if fresh && (kid == "" || len(e.keys.Key(kid)) > 0) {
		return e.keys, nil
	}
	if !e.attempted.IsZero() && now.Sub(e.attempted) < f.RefetchGap {
		// Fetched a moment ago: answer from what that fetch left.
		if e.keys != nil {
			return e.keys, nil
		}
		return nil, e.err
	}
	e.attempted = now
	keys, ttl, err := f.fetch(ctx, uri)
	if err != nil {
		if e.keys != nil {
			return e.keys, nil // keep serving the keys we have
		}
		e.err = fmt.Errorf("the client's keys could not be fetched from its jwks_uri %s: %v", uri, err)
		return nil, e.err
	}
	e.keys, e.expires, e.err = keys, now.Add(ttl), nil
	return keys, nil
}

// fetch GETs one key set and says how long it may be kept.
func (f *JWKSFetcher) fetch(ctx context.Context, uri string) (*jose.JSONWebKeySet, time.Duration, error) {
	if err := fetchable(uri); err != nil {
		return nil, 0, err
	}
	// The fetch serves every request waiting on the entry, and its result
	// (a failure included) is kept for RefetchGap: the request that
	// happened to start it must not cancel it by going away. Timeout
	// bounds it instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, 0, errors.New("not a valid URL")
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return nil, 0, fmt.Errorf("no answer within %v", f.Timeout)
		}
		return nil, 0, errors.New("the request failed (connection refused, DNS or TLS)")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("it answered HTTP %d, not 200", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.MaxBytes+1))
	if err != nil {
		return nil, 0, errors.New("reading the answer failed")
	}
	if int64(len(body)) > f.MaxBytes {
		return nil, 0, fmt.Errorf("the key set is larger than %d bytes", f.MaxBytes)
	}
	keys, err := parseKeySet(body)
	if err != nil {
		return nil, 0, err
	}
	return keys, f.ttl(resp.Header.Values("Cache-Control")), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fetchable: https, or http to a loopback host (config checks the same;
// this keeps a fetch from going anywhere else whatever the caller passes).
func fetchable(uri string) error {
	u, err := url.Parse(uri)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return errors.New("only https URLs are fetched (http only on a loopback host)")
}

// ttl reads Cache-Control max-age (RFC 9111 §5.2.2.1), bounded: no-store
// and no-cache are honoured as the shortest time we keep a set, since
// fetching on every request would let clients' traffic hammer their host.
func (f *JWKSFetcher) ttl(cc []string) time.Duration {
	ttl := f.DefaultTTL
	for _, h := range cc {
		for _, d := range strings.Split(h, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			switch {
			case d == "no-store" || d == "no-cache":
				return f.MinTTL
			case strings.HasPrefix(d, "max-age="):
				if n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64); err == nil && n >= 0 {
					ttl = time.Duration(min(n, int64(f.MaxTTL/time.Second))) * time.Second
				}
			}
		}
	}
	return min(max(ttl, f.MinTTL), f.MaxTTL)
}

// parseKeySet reads a JWK Set (RFC 7517 §5) and keeps the keys that can
// verify a signature. A private or symmetric key refuses the whole set: it
// means the client published what it must keep.
func parseKeySet(body []byte) (*jose.JSONWebKeySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("the answer is not a JSON JWK Set")
	}
	set := &jose.JSONWebKeySet{}
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			continue // RFC 7517 §5: ignore keys we do not understand
		}
		if !k.IsPublic() {
			return nil, fmt.Errorf("keys[%d] is a private or symmetric key; publish only public keys", i)
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if rk, ok := k.Key.(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
			continue // too weak to trust, as config refuses in jwks
		}
		set.Keys = append(set.Keys, k)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("the JWK Set holds no public signature key")
	}
	return set, nil
}
