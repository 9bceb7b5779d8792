package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound: no record has that key.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a conditional write lost (the record was already consumed,
	// revoked or present).
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable: the store could not be reached, or did not answer
	// within its statement timeout, and nothing is known to have been
	// written. A backend wraps connection failures and timeouts in it, so
	// that an endpoint answers 503 temporarily_unavailable with Retry-After
	// (the client may retry with the same refresh token) rather than 500.
	ErrUnavailable = errors.New("store: unavailable")
)

// Unavailable reports whether err says the store could not be reached or
// did not answer in time: ErrUnavailable, or a deadline that ran out on
// the way (context.DeadlineExceeded), as opposed to a verdict about the
// data, a bug or a client's mistake. Every endpoint answers it 503 with
// Retry-After, so that one outage looks the same to every client.
func Unavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// Grant is one token family: everything issued from one sign-in. Revoking it
// makes every refresh token in it unusable at once.
type Grant struct {
	ID        string
	ClientID  string
	Subject   string
	Scopes    []string  // the scopes granted at sign-in; a refresh may narrow, never widen
	AuthTime  time.Time // when the user authenticated (OIDC Core auth_time)
	SessionID string    // browser session id (sid), empty for the password grant
	AMR       []string  // authentication methods references
	CreatedAt time.Time
	ExpiresAt time.Time // absolute cap (max_lifetime from sign-in); never extended
	RevokedAt time.Time // zero while live
	// DPoPJKT is the JWK SHA-256 thumbprint (RFC 7638) of the DPoP key the
	// grant's refresh tokens are bound to (RFC 9449 §5), fixed at sign-in;
	// "" when they are not bound.
	DPoPJKT string
	// Resources are the resource indicators (RFC 8707) granted at sign-in:
	// a refresh may ask for any one of them, never another.
	Resources []string
}

// Revoked reports whether the grant was revoked.
func (g Grant) Revoked() bool { return !g.RevokedAt.IsZero() }

// Revocation is what RevokeGrantOrTombstone did.
type Revocation int

const (
	// AlreadyRevoked: the grant (or its tombstone) was revoked before; nothing changed.
	AlreadyRevoked Revocation = iota
	// Revoked: a live grant was revoked.
	Revoked
	// Tombstoned: no grant had the id; a revoked tombstone now holds it.
	Tombstoned
)

// String names the outcome for log lines.
func (r Revocation) String() string {
	switch r {
	case Revoked:
		return "revoked"
	case Tombstoned:
		return "tombstoned"
	default:
		return "already_revoked"
	}
}

// RefreshToken is one generation of a grant's refresh token, known only by
// the hash of its value.
type RefreshToken struct {
	Hash          string // mint.HashToken of the token value
	GrantID       string
	Generation    int // 0 for the first token of a grant, +1 per rotation
	CreatedAt     time.Time
	ExpiresAt     time.Time // idle expiry, never later than the grant's ExpiresAt
	ConsumedAt    time.Time // zero while unconsumed
	SuccessorHash string    // set when consumed by rotation
	// ProofKey is the JWK SHA-256 thumbprint (RFC 7638) of the key the
	// client proved possession of in the request that issued this token:
	// its DPoP key if it sent a proof, else the key of its private_key_jwt
	// assertion; "" when it proved no key. A retry of the predecessor that
	// proves another key is theft, not a retry.
	ProofKey string
	// Lineage: where the request that issued this token came from. Node is
	// the name of the node that issued it, RemoteAddr the client's address
	// (trusted-proxy rules), UserAgent its User-Agent (cut to 256 bytes).
	// They are written on issue and on every rotation and read back by
	// GrantLineage and ListGrants (the operator's tools); the refresh
	// lookup (RefreshToken) leaves them empty: the hot path never needs them.
	Node, RemoteAddr, UserAgent string
}

// Consumed reports whether the token was consumed by a rotation.
func (t RefreshToken) Consumed() bool { return !t.ConsumedAt.IsZero() }

// AuthCode is an authorization code (RFC 6749 §4.1), known only by its hash.
type AuthCode struct {
	Hash                string
	ClientID            string
	RedirectURI         string
	CodeChallenge       string
	CodeChallengeMethod string
	Subject             string
	Scopes              []string
	Nonce               string
	SessionID           string
	AMR                 []string
	AuthTime            time.Time
	CreatedAt           time.Time
	ExpiresAt           time.Time
	ConsumedAt          time.Time // zero until redeemed
	GrantID             string    // the grant issued when it was redeemed, if any
	// DPoPJKT binds the code to a DPoP key (RFC 9449 §10, dpop_jkt): only
	// a proof by that key redeems it. "" when unbound.
	DPoPJKT string
	// Resources are the resource indicators (RFC 8707) the user granted.
	Resources []string
}

// SigningKey is a private signing key sealed (encrypted) with the system
// secret; the store never sees it in the clear.
type SigningKey struct {
	ID        string // the JWK kid
	Algorithm string // RS256, ES256, ...
	Sealed    []byte
	CreatedAt time.Time
	// ActivatesAt is when the key may start signing, decided once by the
	// node that creates it (package keys: created, then published for the
	// JWKS cache lifetime, then signing). Zero means at CreatedAt: keys
	// stored before rotation existed, and each algorithm's first key.
	ActivatesAt time.Time
}

// GrantFilter selects grants for bulk revocation. Empty fields match
// anything, but at least one field must be set.
type GrantFilter struct {
	ClientID  string
	Subject   string
	SessionID string // the browser session (sid) the grant was issued in
}

// GrantColumn is one set field of a GrantFilter: the grants column it
// matches, and the value.
type GrantColumn struct{ Column, Value string }

// Columns returns the fields f sets, the most selective first: a browser
// session, then a subject, then a client. A SQL backend that walks the
// matches in batches leads the walk with the first, so signing one session
// out of a client with a million grants reads one session's rows. An empty
// filter has none.
func (f GrantFilter) Columns() []GrantColumn {
	var cs []GrantColumn
	for _, c := range [...]GrantColumn{{"session_id", f.SessionID}, {"subject", f.Subject}, {"client_id", f.ClientID}} {
		if c.Value != "" {
			cs = append(cs, c)
		}
	}
	return cs
}

// AuthRequest is a validated authorization request parked server-side:
// pushed by a client (RFC 9126 PAR), or waiting while the user signs in and
// consents. Params is opaque to the store (JSON of the request).
type AuthRequest struct {
	ID         string // hash of the handle given out (request_uri or interaction id)
	ClientID   string
	Params     []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt time.Time // zero until used up
}

// Session is a browser session at the authorization server (the user is
// signed in). ID is the hash of the cookie value; SID is the public session
// id put in ID tokens (OIDC Front/Back-Channel Logout "sid").
type Session struct {
	ID        string
	SID       string
	Subject   string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Consent is what a user allowed a client: the scopes consented to, remembered.
type Consent struct {
	Subject   string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: until withdrawn
}

// Store is the storage contract. Every method takes the request's context.
type Store interface {
	UserStore     // users.go
	ClientStore   // clients.go: clients registered at run time
	GrantLister   // grantlist.go: the operator's listing of grants
	AuditLog      // the audit trail (audit.go)
	ConsentLister // consents.go: a person's consents, listed and forgotten
	SessionLister // sessions.go: a person's live browser sessions, for the console
	// CreateGrant writes a grant and its first refresh token in one transaction.
	CreateGrant(ctx context.Context, g Grant, first RefreshToken, ev Event) error
	// GrantChain returns a grant by id and the generation of its newest
	// refresh token (-1 when it has none, as a tombstone), or ErrNotFound.
	// It serves the cold paths: a token that is well-formed and carries a
	// valid MAC but whose row is gone (package refresh decides what that
	// means from the grant and the generation), and the operator's tools.
	GrantChain(ctx context.Context, id string) (Grant, int, error)
	// RefreshToken returns the refresh token with this hash in grant
	// grantID, with its grant, or ErrNotFound (also when the hash is that
	// of another grant's token).
	//
	// A token is keyed by its grant and its hash, not by its hash alone: a
	// named token (mint) says its grant, so a lookup and a rotation touch
	// only that grant's rows, and a store needs no index over every hash
	// (on SQLite such an index made each rotation write two pages at
	// random, which at a million grants was most of the cost:
	// docs/performance.md). Hashes are unique within a grant; across
	// grants they are unique by construction, since a named token's value
	// contains its grant id.
	//
	// grantID "" is for a token in the format before named tokens
	// (mint.LegacyRefresh), which says no grant: it is looked up by hash
	// alone. A store need find only tokens it held before it keyed tokens
	// by grant that way (the SQLite store: those in its database when
	// migration 11 ran); every token issued since is named.
	RefreshToken(ctx context.Context, grantID, hash string) (RefreshToken, Grant, error)
	// RotateRefreshToken atomically marks the token oldHash of grant
	// next.GrantID consumed at consumedAt with next.Hash as its successor,
	// and inserts next. It returns ErrConflict (and changes nothing) if the
	// old token is already consumed, its grant is revoked or the grant
	// already holds a token with next's hash, and ErrNotFound if the grant
	// holds no token oldHash.
	//
	// In the same atomic write it deletes the old token's own predecessor
	// (the token of the grant whose successor was oldHash), so a grant holds
	// at most two tokens: the live one and the one it replaced, kept for a
	// retry within the grace window. Older generations are recognised as
	// reuse by their MAC (mint), not by a row: the store grows with live
	// grants, not with refreshes.
	//
	// Exactly one of any number of concurrent rotations of one token wins,
	// on every node: each backend says in its doc.go why its SQL makes it so.
	RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next RefreshToken) error
	// ExtendRefreshToken moves the idle expiry of the unconsumed token hash
	// of grant grantID (reuse rotation); ErrConflict if it is consumed or
	// its grant revoked, ErrNotFound if the grant holds no such token.
	ExtendRefreshToken(ctx context.Context, grantID, hash string, expiresAt time.Time) error
	// RevokeGrant marks one grant revoked at `at`. It reports false if the
	// grant was already revoked, and ErrNotFound if there is no such grant.
	RevokeGrant(ctx context.Context, id string, at time.Time, ev Event) (bool, error)
	// RevokeGrants revokes every live grant matching f and returns how many.
	// A backend may go in batches, each its own short transaction, so that
	// revoking a client with millions of grants neither outlives a
	// statement timeout nor stalls refreshes; if it fails part way, the
	// grants revoked so far stay revoked, the count says how many, and
	// calling it again finishes the job.
	RevokeGrants(ctx context.Context, f GrantFilter, at time.Time, ev Event) (int, error)
	// RevokeGrantOrTombstone revokes the grant tomb.ID at `at` and, when no
	// grant has that id yet, writes a tombstone in its place, in the same
	// transaction: tomb itself, stored as a grant revoked at `at` (with no
	// refresh token), kept until tomb.ExpiresAt. A later CreateGrant of that
	// id then fails with ErrConflict, so the grant never becomes usable.
	//
	// This closes the window of a code replay (RFC 6749 §4.1.2): the first
	// redemption records its grant id when it consumes the code, and creates
	// the grant only afterwards. A replay landing in between finds no grant
	// to revoke; the tombstone makes the first redemption's CreateGrant
	// fail, so nothing is issued from the code. Either the grant is created
	// first (and this revokes it) or the tombstone is (and CreateGrant trips
	// on it): each is one transaction, and there is no third order.
	RevokeGrantOrTombstone(ctx context.Context, tomb Grant, at time.Time, ev Event) (Revocation, error)

	// CreateAuthCode stores a new authorization code; ErrConflict on a duplicate hash.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// AuthCode returns a code as stored (also when expired or consumed: the
	// caller decides), or ErrNotFound. It changes nothing, so the token
	// endpoint can check the client, redirect_uri and PKCE before it
	// consumes the code, and a request that fails them cannot burn it.
	AuthCode(ctx context.Context, hash string) (AuthCode, error)
	// ConsumeAuthCode marks a code redeemed at `at` and, in the same atomic
	// write, records grantID as the grant issued from it ("" when none will
	// be); it returns the code as stored. A code already redeemed is left
	// unchanged and returned with ErrConflict, carrying the first
	// redemption's GrantID, so the caller can revoke what was issued from it
	// (RFC 6749 §4.1.2) with RevokeGrantOrTombstone: a replay never sees the
	// code consumed but not yet tied to its grant id. Exactly one of
	// concurrent redemptions wins. Unknown: ErrNotFound. The caller checks
	// the code (AuthCode) before it consumes it.
	ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (AuthCode, error)

	// UseJTI records a client assertion id (RFC 7523 §3 item 7) until
	// expiresAt; ErrConflict if the same client used it before and it has
	// not expired. A stored id is expired (and may be used again) when its
	// expiresAt is before now, the caller's clock; a zero expiresAt never
	// expires.
	UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error

	// CreateAuthRequest parks an authorization request; ErrConflict on a duplicate id.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// AuthRequest returns a parked request (also when expired or consumed:
	// the caller decides), or ErrNotFound.
	AuthRequest(ctx context.Context, id string) (AuthRequest, error)
	// ConsumeAuthRequest marks a request used at `at` and returns it;
	// ErrConflict (with the stored request) if already consumed, ErrNotFound
	// if unknown. Exactly one of concurrent consumers wins.
	ConsumeAuthRequest(ctx context.Context, id string, at time.Time) (AuthRequest, error)

	// CreateSession stores a browser session; ErrConflict on a duplicate ID or SID.
	CreateSession(ctx context.Context, s Session, ev Event) error
	// Session returns a session by ID (also when expired), or ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// DeleteSession removes a session; deleting an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error

	// SaveConsent stores (replaces) the consent of a subject for a client.
	SaveConsent(ctx context.Context, c Consent) error
	// Consent returns the consent of a subject for a client, or ErrNotFound.
	Consent(ctx context.Context, subject, clientID string) (Consent, error)

	// SigningKeys returns every stored signing key, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores a key; ErrConflict if the id exists.
	AddSigningKey(ctx context.Context, k SigningKey, ev Event) error
	// DeleteSigningKey removes a key for good (package keys: only once it
	// is gone, when no token it signed can still be valid), with its event
	// in the same transaction; ErrNotFound if there is no such key.
	DeleteSigningKey(ctx context.Context, id string, ev Event) error

	// DeleteExpired removes refresh tokens, grants, codes, assertion ids,
	// parked requests, sessions and consents whose expiry is before
	// `before`, and returns how many rows went. A parked request that was
	// consumed before `before` goes too, live or not: a used-up handle or
	// request_uri is refused whether its row exists or not, so it need not
	// hold space until it expires. A store that keeps hashes of tokens
	// from before it keyed tokens by grant (RefreshToken) also removes,
	// a few batches per call (LegacyPrune), those whose token is gone.
	//
	// It deletes in small batches, each its own short transaction, so it
	// never holds a lock that stalls a refresh for long.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)

	// TakeLease takes or renews the named lease for holder until now+ttl,
	// and reports whether holder holds it now. It succeeds when nobody holds
	// the lease, when the holder's lease ended before now, or when holder
	// already holds it. One row per name: the janitor uses it so that one
	// node at a time sweeps. Clocks are the callers': nodes whose clocks
	// differ by more than ttl may overlap, which costs a duplicate sweep,
	// never correctness.
	TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)

	// CountLiveGrants returns how many grants are live at now: not revoked
	// (a tombstone is revoked) and not past their absolute expiry. It is
	// the live-grants gauge of /metrics, read on scrape (and cached there),
	// so it is one counting statement, never a row walk in Go.
	CountLiveGrants(ctx context.Context, now time.Time) (int, error)

	// Ping reports whether the store answers (readiness checks).
	Ping(ctx context.Context) error

	Close() error
}
