package config

import "slices"

// The rules a user must meet, shared by the configuration file (users:)
// and the users managed at runtime (the admin API), so both refuse the
// same things with the same words.

// ProtectedClaim reports whether a claim is set by the server and may not
// be given as a user's claim (sub, iss, aud, ..., cnf).
func ProtectedClaim(name string) bool { return slices.Contains(protectedClaims, name) }

// ProtectedClaims lists them, for an error message.
func ProtectedClaims() []string { return slices.Clone(protectedClaims) }

// ValidSubject reports whether s may be a user's subject: at most 255
// printable ASCII characters without spaces (OIDC Core §2: sub is at most
// 255 ASCII characters).
func ValidSubject(s string) bool { return s != "" && len(s) <= 255 && isPrintableASCII(s) }
