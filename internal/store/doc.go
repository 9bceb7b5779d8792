// Package store is the one storage contract every backend implements. It
// holds records and the atomic steps on them (rotate a refresh token, consume
// a code, record a client-assertion id); it holds no business rules: what is
// expired, what counts as reuse and what to revoke is decided in
// internal/refresh and internal/grant.
//
// Every token-like value (refresh tokens, authorization codes) is stored only
// as a hash; signing keys are stored sealed with the system secret, so a copy
// of the database alone never yields a usable token.
//
// The behaviour every backend must show is a test in store/storetest.
package store
