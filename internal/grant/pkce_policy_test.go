package grant

import (
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// RFC 7636 Appendix B: BASE64URL(SHA256(verifier)) = challenge.
const (
	polVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	polChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	// polNearMiss shares the first 27 characters with polChallenge; it is
	// well-formed but not the hash of polVerifier.
	polNearMiss = "E9Melhoa2OwvFrEMTJguCHaoeK1zCWo5KLiQ0p_vmqs"
)

func TestVerifyPKCEPolicy(t *testing.T) {
	s256 := store.AuthCode{CodeChallenge: polChallenge, CodeChallengeMethod: "S256"}
	ig := oautherr.InvalidGrant
	cases := []struct {
		name     string
		code     store.AuthCode
		verifier string
		want     string
	}{
		{"RFC 7636 Appendix B", s256, polVerifier, ""},
		{"no challenge, no verifier", store.AuthCode{}, "", ""},
		{"wrong verifier", s256, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", ig},
		{"verifier is the challenge", s256, polChallenge, ig},
		{"challenge differs in its tail", store.AuthCode{CodeChallenge: polNearMiss, CodeChallengeMethod: "S256"}, polVerifier, ig},
		{"short verifier (42)", s256, polVerifier[:42], ig},
		{"long verifier (129)", s256, strings.Repeat("a", 129), ig},
		{"longest verifier (128), wrong", s256, strings.Repeat("a", 128), ig},
		{"bad character", s256, polVerifier[:42] + "+", ig},
		{"padding", s256, polVerifier + "=", ig},
		{"space", s256, " " + polVerifier, ig},
		{"missing verifier", s256, "", ig},
		{"verifier without challenge", store.AuthCode{}, polVerifier, ig},
		{"plain method never accepted", store.AuthCode{CodeChallenge: polVerifier, CodeChallengeMethod: "plain"}, polVerifier, ig},
		{"empty method never accepted", store.AuthCode{CodeChallenge: polChallenge}, polVerifier, ig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			polWantErr(t, verifyPKCE(tc.code, tc.verifier), tc.want)
		})
	}
}

func TestValidVerifierPolicy(t *testing.T) {
	cases := []struct {
		v    string
		want bool
	}{
		{polVerifier, true},
		{strings.Repeat("A", 43), true},
		{strings.Repeat("z", 128), true},
		{strings.Repeat("-._~", 11), true}, // 44 unreserved characters
		{"0123456789" + strings.Repeat("x", 33), true},
		{"", false},
		{strings.Repeat("a", 42), false},
		{strings.Repeat("a", 129), false},
		{strings.Repeat("a", 42) + "/", false},
		{strings.Repeat("a", 42) + "=", false},
		{strings.Repeat("a", 42) + " ", false},
		{strings.Repeat("a", 41) + "é", false}, // 43 bytes, not ASCII
	}
	for _, tc := range cases {
		if got := validVerifier(tc.v); got != tc.want {
			t.Errorf("validVerifier(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
