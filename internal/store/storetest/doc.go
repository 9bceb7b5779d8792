// Package storetest is the one conformance suite every store.Store backend
// must pass (the pattern of Dex's storage/conformance). A backend's test file
// is a few lines:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
//	}
//
// Each behaviour the contract in package store promises in its doc comments
// is a subtest here, so SQLite, PostgreSQL and the in-memory store cannot
// drift apart. Where the contract is silent the suite pins one answer, so
// every backend gives the same one:
//
//   - Times round-trip to at least millisecond precision; the suite compares
//     them after truncating to the millisecond, in any time zone.
//   - A zero expiry (ExpiresAt, or UseJTI's expiresAt) means "never expires":
//     DeleteExpired keeps the row.
//   - A zero event time (RotateRefreshToken's consumedAt, RevokeGrant's and
//     RevokeGrants' and RevokeGrantOrTombstone's at, ConsumeAuthCode's and ConsumeAuthRequest's at) is an
//     error, because zero means "not yet" in the record and writing it would
//     record nothing.
//   - DeleteExpired removes rows whose expiry is strictly before `before`,
//     whatever their state (a consumed request goes too), and parked
//     requests consumed before `before` even if still live; deleting a
//     session frees its ID and SID for reuse.
//   - SaveConsent replaces the whole record (scopes, CreatedAt, ExpiresAt),
//     not just the scopes.
//   - Slices (lists, AuthRequest.Params) are copied both ways; nil and empty
//     are the same.
//   - CreateGrant requires first.GrantID == g.ID, and RotateRefreshToken
//     requires next.GrantID to be the old token's grant: a token must never
//     be moved into another family.
//   - UseJTI takes the caller's clock: a stored id counts as expired when
//     its expiresAt is strictly before the new call's now, never by
//     time.Now(). A zero now is an error (and records nothing): it is a
//     caller's bug, which would otherwise silently keep every id taken.
//   - ConsumeAuthCode records the grantID it is given as passed, an empty
//     one included; only the first redemption's is ever stored.
//   - A tombstone (RevokeGrantOrTombstone with no grant of that id) is a
//     grant row revoked at once, with no token; Grant returns it, bulk
//     revocations skip it, DeleteExpired removes it after its ExpiresAt.
//   - An empty GrantFilter is an error, never "revoke everything".
//   - A call with a cancelled context fails with an error that wraps
//     context.Canceled and writes nothing.
package storetest
