package main

// The refresh-token rules the tool checks on every answer. Each returns the
// name of the broken rule, or "" when the answer keeps it.

// Names of broken rules, as printed and in -json.
const (
	ruleSameToken      = "one_time refresh returned the presented token"
	ruleNoToken        = "one_time refresh returned no refresh token"
	ruleRetryDifferent = "retry answered with a different token"
	ruleRetryRefused   = "retry within the grace window refused"
	ruleRevokedOK      = "revoked token accepted"
	ruleRevokedOther   = "revoked token answered other than invalid_grant"
	ruleLiveTokens     = "grant with other than one live refresh token in the store"
	ruleNotDPoP        = "refresh with a DPoP proof answered a token_type other than DPoP"
)

// checkRotation: under one_time rotation a successful refresh hands out a
// new refresh token and consumes the presented one (RFC 9700 §4.14.2;
// RFC 6749 §6: "the client MUST discard the old refresh token").
func checkRotation(presented string, a answer, oneTime bool) string {
	switch {
	case !oneTime:
		return ""
	case a.refresh == "":
		return ruleNoToken
	case a.refresh == presented:
		return ruleSameToken
	}
	return ""
}

// checkDPoP: a token issued with a DPoP proof is a DPoP token, and the
// answer says so (RFC 9449 §5: token_type DPoP), so the client sends its
// proof with it.
func checkDPoP(a answer, proved bool) string {
	if proved && a.tokenType != "DPoP" {
		return ruleNotDPoP
	}
	return ""
}

// checkRetry: a retry of a refresh (the same token, sent again because the
// answer was lost) within the grace window gets the same successor as the
// first answer, so the client ends up holding the chain's one live token.
func checkRetry(first, retry answer) string {
	switch {
	case retry.status != 200 || retry.err != nil:
		return ruleRetryRefused
	case retry.refresh != first.refresh:
		return ruleRetryDifferent
	}
	return ""
}

// checkRevoked: after its grant was revoked, a refresh token is refused
// with invalid_grant (RFC 7009 §2.1, RFC 6749 §5.2).
func checkRevoked(a answer) string {
	switch {
	case a.status == 200:
		return ruleRevokedOK
	case a.status != 400 || a.errCode != "invalid_grant":
		return ruleRevokedOther
	}
	return ""
}
