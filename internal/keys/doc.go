// Package keys owns Tollgate's signing keys: it creates them, keeps them in
// the store sealed with the system secret, loads them at start-up, and
// publishes the public halves as a JWK Set (RFC 7517 §5).
//
// A private key never reaches the store in the clear: each one is the
// private JWK JSON (RFC 7517 §4) sealed with AES-256-GCM under a key derived
// from the system secret by HKDF-SHA256 (RFC 5869), with the key id bound in
// as additional data so that sealed blobs cannot be swapped between rows. A
// copy of the database alone therefore yields no usable signing key.
//
// Every node of a cluster calls Load at start-up. The first key of each
// algorithm gets a key id derived from the system secret, so nodes that race
// to create it choose the same id: one insert wins, the others see
// store.ErrConflict, reload, and sign with the winner's key.
//
// Several nodes share one store, and a key one node adds must be known to
// all: a Set reloads from the store on a schedule (Run, every ReloadEvery),
// and at once when it meets a kid it does not know (PublicKey) or serves
// its JWKS (Refresh), at most once per DefaultReloadGap so that junk kids
// cannot hammer the store. A reload builds a new immutable snapshot and
// swaps it in with one atomic pointer store, so readers never lock and
// never see half a set; a reload that fails, or that finds fewer keys than
// are in use, changes nothing.
//
// Rotation (timeline.go, policy.go, rotate.go): a key is next (published,
// not signing), then active (signing), then retired (published), then gone.
// Rotate stores a new key with its activation time, creation plus
// Policy.PublishDelay (the JWKS cache lifetime, a reload interval and the
// clock skew), so every node switches at the same stored instant, and none
// before it: the snapshot in use is placed again in time whenever the
// clock passes the next change (a clock read and two comparisons per
// signature otherwise). A retired key stays published for
// Policy.Retention, the longest token lifetime plus skew.
//
// Signing (jws.go) is Tollgate's own compact JWS serialization (RFC 7515
// §7.1) over the standard library's primitives: the protected header is
// encoded once per key and "typ" and cached in the snapshot, and a token is
// built in one buffer. ECDSA signatures are converted from DER to the
// fixed-width R||S of RFC 7518 §3.4. go-jose stays for what it does well
// here: JWK (un)marshalling and the published JWK Set; verification of
// tokens (package mint) uses it too. A JWSSigner keeps no per-call state,
// so one per key and typ serves every goroutine.
package keys
