package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Backend is what a backend's test hands the suite.
type Backend struct {
	// New returns a fresh, empty store. Required.
	New func(t *testing.T) store.Store
	// Reopen returns a second, independent handle on the same database as s
	// (its own connections), as another node would have. Optional: the
	// cases that race several handles are skipped without it. The suite
	// closes what Reopen returns.
	Reopen func(t *testing.T, s store.Store) store.Store
	// TokenRows counts the refresh-token rows the backend keeps for a
	// grant, consumed ones included. Optional: the case that bounds rows
	// per grant is skipped without it.
	TokenRows func(t *testing.T, s store.Store, grantID string) int
}

// Run runs every conformance test against a fresh store from newStore, which
// must return an empty store. Run closes each store when its subtest ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	RunBackend(t, Backend{New: newStore})
}

// RunBackend is Run with the optional hooks of b.
func RunBackend(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GrantRoundTrip", testGrantRoundTrip},
		{"NotFound", testNotFound},
		{"CreateGrantConflict", testCreateGrantConflict},
		{"Rotate", testRotate},
		{"RotateTwice", testRotateTwice},
		{"RotateRevoked", testRotateRevoked},
		{"RotateUnknown", testRotateUnknown},
		{"RotateDuplicateSuccessor", testRotateDuplicateSuccessor},
		{"RotateOtherGrant", testRotateOtherGrant},
		{"RotateConcurrent", testRotateConcurrent},
		{"GrantChain", testGrantChain},
		{"RotateDeletesPredecessor", testRotateDeletesPredecessor},
		{"RotateConcurrentDeletes", testRotateConcurrentDeletes},
		{"Extend", testExtend},
		{"RevokeGrant", testRevokeGrant},
		{"RevokeGrants", testRevokeGrants},
		{"RevokeGrantsMany", testRevokeGrantsMany},
		{"CountLiveGrants", testCountLiveGrants},
		{"AuthCode", testAuthCode},
		{"AuthCodeConcurrent", testAuthCodeConcurrent},
		{"AuthCodeRead", testAuthCodeRead},
		{"ReplayBeforeGrantExists", testReplayBeforeGrantExists},
		{"ReplayAfterGrantExists", testReplayAfterGrantExists},
		{"ReplayRace", testReplayRace},
		{"UseJTI", testUseJTI},
		{"UseJTIConcurrent", testUseJTIConcurrent},
		{"SigningKeys", testSigningKeys},
		{"DeleteExpired", testDeleteExpired},
		{"DeleteExpiredMany", testDeleteExpiredMany},
		{"AuthRequest", testAuthRequest},
		{"AuthRequestConcurrent", testAuthRequestConcurrent},
		{"Session", testSession},
		{"ListSessions", testListSessions},                           // signin.go
		{"Consent", testConsent}, {"ListConsents", testListConsents}, // consents.go
		{"RevokeGrantsBySession", testRevokeGrantsBySession},
		{"DeleteExpiredSignIn", testDeleteExpiredSignIn},
		{"ZeroEventTime", testZeroEventTime},
		{"TakeLease", testTakeLease},
		{"CancelledContext", testCancelledContext},
		{"Users", testUsers},
		{"Clients", testClients}, {"ListClients", testListClients}, // clients.go
		{"GrantLineage", testGrantLineage}, {"ListGrants", testListGrants}, {"ListGrantsPaging", testListGrantsPaging},
		{"Audit", testAudit},
		{"DeleteSigningKey", testDeleteSigningKey}, // keydelete.go
		{"BatchCounts", testBatchCounts},           // batches.go
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := b.New(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
	for _, tc := range backendTests {
		t.Run(tc.name, func(t *testing.T) {
			s := b.New(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, b, s)
		})
	}
}

// backendTests are the cases that need the Backend's optional hooks; each
// skips itself when its hook is missing.
var backendTests = []struct {
	name string
	fn   func(t *testing.T, b Backend, s store.Store)
}{
	{"RotateRaceHandles", testRotateRaceHandles},
	{"ChainRows", testChainRows},
	{"OtherHandleSeenAtOnce", testOtherHandleSeenAtOnce},
	{"UpdateClientConcurrent", testUpdateClientConcurrent}, // clients.go
}

// t0 is the fixtures' reference time: now, in a zone other than UTC (a
// backend must not depend on the zone it is handed), with a sub-millisecond
// part well away from a millisecond boundary so a backend that rounds to the
// microsecond (as PostgreSQL does) compares equal after truncation.
var t0 = time.Now().Truncate(time.Second).Add(123_456_789).In(time.FixedZone("UTC+5", 5*3600))

func at(d time.Duration) time.Time { return t0.Add(d) }

// newGrant returns a grant with every field set, and its first token.
func newGrant(id, clientID, subject string) (store.Grant, store.RefreshToken) {
	g := store.Grant{
		ID:        id,
		ClientID:  clientID,
		Subject:   subject,
		Scopes:    []string{"openid", "profile", "offline_access"},
		AuthTime:  at(-time.Minute),
		SessionID: "sid-" + id,
		AMR:       []string{"pwd", "otp"},
		CreatedAt: at(0),
		ExpiresAt: at(30 * 24 * time.Hour),
		DPoPJKT:   "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		Resources: []string{"https://api.example/fhir", "urn:example:journal"},
	}
	return g, newToken("rt0-"+id, id, 0)
}

func newToken(hash, grantID string, gen int) store.RefreshToken {
	return store.RefreshToken{
		Hash:       hash,
		GrantID:    grantID,
		Generation: gen,
		CreatedAt:  at(time.Duration(gen) * time.Minute),
		ExpiresAt:  at(time.Duration(gen)*time.Minute + 24*time.Hour),
		ProofKey:   fmt.Sprintf("jkt-%s-%d", grantID, gen),
		Node:       fmt.Sprintf("node-%d", gen%2),
		RemoteAddr: fmt.Sprintf("192.0.2.%d", gen+1),
		UserAgent:  fmt.Sprintf("storetest/%d (%s)", gen, grantID),
	}
}

func newCode(hash string) store.AuthCode {
	return store.AuthCode{
		Hash:                hash,
		ClientID:            "client-a",
		RedirectURI:         "https://app.example/cb?x=1",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Subject:             "alice",
		Scopes:              []string{"openid", "email"},
		Nonce:               "n-0S6_WzA2Mj",
		SessionID:           "sid-1",
		AMR:                 []string{"pwd"},
		AuthTime:            at(-time.Second),
		CreatedAt:           at(0),
		ExpiresAt:           at(time.Minute),
		DPoPJKT:             "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		Resources:           []string{"https://api.example/fhir"},
	}
}

// newAuthRequest returns a parked request with every field but ConsumedAt
// set. Params is opaque to the store, so it holds bytes JSON never would.
func newAuthRequest(id string) store.AuthRequest {
	return store.AuthRequest{
		ID:        id,
		ClientID:  "client-a",
		Params:    []byte(`{"response_type":"code","scope":"openid email","state":"x\u00e9"}` + "\x00\xff\x80"),
		CreatedAt: at(0),
		ExpiresAt: at(10 * time.Minute),
	}
}

// newSession returns a browser session with every field set.
func newSession(id, sid string) store.Session {
	return store.Session{
		ID:        id,
		SID:       sid,
		Subject:   "alice",
		AuthTime:  at(-time.Second),
		AMR:       []string{"pwd", "otp"},
		CreatedAt: at(0),
		ExpiresAt: at(8 * time.Hour),
	}
}

// newConsent returns a consent with every field set.
func newConsent(subject, clientID string) store.Consent {
	return store.Consent{
		Subject:   subject,
		ClientID:  clientID,
		Scopes:    []string{"openid", "profile", "email"},
		CreatedAt: at(0),
		ExpiresAt: at(365 * 24 * time.Hour),
	}
}

func mustCreateGrant(t *testing.T, s store.Store, g store.Grant, rt store.RefreshToken) {
	t.Helper()
	if err := s.CreateGrant(context.Background(), g, rt, store.Event{}); err != nil {
		t.Fatalf("CreateGrant(%s): %v", g.ID, err)
	}
}

func mustToken(t *testing.T, s store.Store, grantID, hash string) (store.RefreshToken, store.Grant) {
	t.Helper()
	rt, g, err := s.RefreshToken(context.Background(), grantID, hash)
	if err != nil {
		t.Fatalf("RefreshToken(%s): %v", hash, err)
	}
	return rt, g
}

func mustGrant(t *testing.T, s store.Store, id string) store.Grant {
	t.Helper()
	g, _, err := s.GrantChain(context.Background(), id)
	if err != nil {
		t.Fatalf("Grant(%s): %v", id, err)
	}
	return g
}

// wantErr fails unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// wantGone fails unless the refresh token hash does not exist.
// wantSessionGone fails unless the session id does not exist.
func wantSessionGone(t *testing.T, s store.Store, id string) {
	t.Helper()
	_, err := s.Session(context.Background(), id)
	wantErr(t, "Session("+id+")", err, store.ErrNotFound)
}

func wantGone(t *testing.T, s store.Store, grantID, hash string) {
	t.Helper()
	_, _, err := s.RefreshToken(context.Background(), grantID, hash)
	wantErr(t, "RefreshToken("+hash+")", err, store.ErrNotFound)
}

// wantUnconsumed fails unless the token exists and is not consumed.
func wantUnconsumed(t *testing.T, s store.Store, grantID, hash string) {
	t.Helper()
	rt, _ := mustToken(t, s, grantID, hash)
	if rt.Consumed() || rt.SuccessorHash != "" {
		t.Errorf("token %s: consumed at %v, successor %q; want untouched", hash, rt.ConsumedAt, rt.SuccessorHash)
	}
}

func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

// diff collects field mismatches so one failure names every wrong field.
type diff []string

func (d *diff) str(name, got, want string) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q", name, got, want))
	}
}

func (d *diff) num(name string, got, want int) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %d, want %d", name, got, want))
	}
}

func (d *diff) time(name string, got, want time.Time) {
	if !sameTime(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %v, want %v", name, got, want))
	}
}

// list treats nil and empty as equal: backends need not keep that difference.
func (d *diff) list(name string, got, want []string) {
	if !slices.Equal(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q", name, got, want))
	}
}

func (d *diff) bytes(name string, got, want []byte) {
	if !bytes.Equal(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %x, want %x", name, got, want))
	}
}

func (d diff) report(t *testing.T, what string) {
	t.Helper()
	for _, m := range d {
		t.Errorf("%s: %s", what, m)
	}
}

func checkGrant(t *testing.T, what string, got, want store.Grant) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.str("Subject", got.Subject, want.Subject)
	d.list("Scopes", got.Scopes, want.Scopes)
	d.time("AuthTime", got.AuthTime, want.AuthTime)
	d.str("SessionID", got.SessionID, want.SessionID)
	d.list("AMR", got.AMR, want.AMR)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.time("RevokedAt", got.RevokedAt, want.RevokedAt)
	d.str("DPoPJKT", got.DPoPJKT, want.DPoPJKT)
	d.list("Resources", got.Resources, want.Resources)
	d.report(t, what)
}

func checkToken(t *testing.T, what string, got, want store.RefreshToken) {
	t.Helper()
	var d diff
	d.str("Hash", got.Hash, want.Hash)
	d.str("GrantID", got.GrantID, want.GrantID)
	d.num("Generation", got.Generation, want.Generation)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.time("ConsumedAt", got.ConsumedAt, want.ConsumedAt)
	d.str("SuccessorHash", got.SuccessorHash, want.SuccessorHash)
	d.str("ProofKey", got.ProofKey, want.ProofKey)
	d.report(t, what)
}

func checkCode(t *testing.T, what string, got, want store.AuthCode) {
	t.Helper()
	var d diff
	d.str("Hash", got.Hash, want.Hash)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.str("RedirectURI", got.RedirectURI, want.RedirectURI)
	d.str("CodeChallenge", got.CodeChallenge, want.CodeChallenge)
	d.str("CodeChallengeMethod", got.CodeChallengeMethod, want.CodeChallengeMethod)
	d.str("Subject", got.Subject, want.Subject)
	d.list("Scopes", got.Scopes, want.Scopes)
	d.str("Nonce", got.Nonce, want.Nonce)
	d.str("SessionID", got.SessionID, want.SessionID)
	d.list("AMR", got.AMR, want.AMR)
	d.time("AuthTime", got.AuthTime, want.AuthTime)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.time("ConsumedAt", got.ConsumedAt, want.ConsumedAt)
	d.str("GrantID", got.GrantID, want.GrantID)
	d.str("DPoPJKT", got.DPoPJKT, want.DPoPJKT)
	d.list("Resources", got.Resources, want.Resources)
	d.report(t, what)
}

func checkKey(t *testing.T, what string, got, want store.SigningKey) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("Algorithm", got.Algorithm, want.Algorithm)
	d.bytes("Sealed", got.Sealed, want.Sealed)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ActivatesAt", got.ActivatesAt, want.ActivatesAt)
	d.report(t, what)
}

func checkAuthRequest(t *testing.T, what string, got, want store.AuthRequest) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.bytes("Params", got.Params, want.Params)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.time("ConsumedAt", got.ConsumedAt, want.ConsumedAt)
	d.report(t, what)
}

func checkSession(t *testing.T, what string, got, want store.Session) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("SID", got.SID, want.SID)
	d.str("Subject", got.Subject, want.Subject)
	d.time("AuthTime", got.AuthTime, want.AuthTime)
	d.list("AMR", got.AMR, want.AMR)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.report(t, what)
}

func checkConsent(t *testing.T, what string, got, want store.Consent) {
	t.Helper()
	var d diff
	d.str("Subject", got.Subject, want.Subject)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.list("Scopes", got.Scopes, want.Scopes)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.report(t, what)
}

// raceOnce starts n goroutines at once, each running try(i), and checks
// that exactly one succeeds and every other gets ErrConflict. It returns
// the index of the winner. what names an attempt in messages.
func raceOnce(t *testing.T, n int, what string, try func(i int) error) int {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = try(i)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("%s %d and %d both succeeded", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("%s %d: err = %v, want ErrConflict", what, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no %s succeeded", what)
	}
	return winner
}
