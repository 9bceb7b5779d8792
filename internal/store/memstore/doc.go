// Package memstore is an in-memory store.Store: maps guarded by one mutex.
// It exists so policy code (internal/refresh, internal/grant) can be tested
// with no database at all, and it passes the same conformance suite
// (store/storetest) as the SQL backends, so a test that passes here means
// the same thing there.
//
// To behave like the SQL backends it copies every slice in and out (a caller
// cannot change a stored record through an alias), returns times in UTC at
// microsecond precision (what SQLite and PostgreSQL keep), and checks the
// context before every call. Nothing is persisted; the data go with the
// process.
package memstore
