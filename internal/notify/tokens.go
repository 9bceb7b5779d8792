package notify

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// Media and token types.
const (
	// TypSET is the "typ" of a Security Event Token (RFC 8417 §2.3).
	TypSET = "secevent+jwt"
	// ContentTypeSET is how RFC 8935 §2 pushes one.
	ContentTypeSET = "application/secevent+jwt"
	// TypLogout is the "typ" of a logout token (Back-Channel Logout 1.0
	// §2.4: explicit typing, so it cannot pass for an ID token).
	TypLogout = "logout+jwt"
)

// EventSessionRevoked is the event a revoked grant is reported with: OpenID
// Continuous Access Evaluation Profile 1.0 §3.1 "Session Revoked". Why this
// one: a grant is the client's session with Tollgate (everything issued
// from one sign-in), and revoking it ends that session at once, which is
// what session-revoked says ("the session of the subject has been revoked")
// and what a receiver is expected to act on by ending its own session. The
// RISC events were weighed and left: RISC's sessions-revoked is deprecated
// in favour of this event, its tokens-revoked was dropped from the
// specification, and credential-compromise speaks of a user's credential,
// not of a refresh token family.
const EventSessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"

// EventBackchannelLogout is the member of a logout token's events claim
// (Back-Channel Logout 1.0 §2.4).
const EventBackchannelLogout = "http://schemas.openid.net/event/backchannel-logout"

// LogoutTokenLifetime is how long a logout token is valid after it is
// signed. Back-Channel Logout 1.0 §2.4 leaves exp to the OP; it is short,
// and each delivery attempt signs a fresh one (same jti), so a retry never
// sends an expired token.
const LogoutTokenLifetime = 2 * time.Minute

// subjectID is an RFC 9493 Subject Identifier.
type subjectID struct {
	Format  string     `json:"format"`
	Iss     string     `json:"iss,omitempty"`
	Sub     string     `json:"sub,omitempty"`
	ID      string     `json:"id,omitempty"`
	User    *subjectID `json:"user,omitempty"`
	Session *subjectID `json:"session,omitempty"`
}

// subjectOf names the grant's user as the client knows it (iss and sub of
// its ID tokens, RFC 9493 §3.2.5 iss_sub) and, for a browser sign-in, its
// session (the sid of its ID tokens, opaque) in a complex identifier
// (§3.3): no token value, nothing the client was not told at sign-in.
func subjectOf(issuer string, r refresh.Revocation) subjectID {
	user := subjectID{Format: "iss_sub", Iss: issuer, Sub: r.Grant.Subject}
	if r.Grant.SessionID == "" {
		return user
	}
	return subjectID{Format: "complex", User: &user, Session: &subjectID{Format: "opaque", ID: r.Grant.SessionID}}
}

// sessionRevoked is the CAEP 1.0 §3.1 event payload (§2: optional claims).
type sessionRevoked struct {
	InitiatingEntity string            `json:"initiating_entity"`
	ReasonAdmin      map[string]string `json:"reason_admin"`
	ReasonUser       map[string]string `json:"reason_user"`
	EventTimestamp   int64             `json:"event_timestamp"`
}

// setClaims is a SET (RFC 8417 §2.2) as SSF 1.0 shapes it: the subject in
// sub_id, no sub and no exp.
type setClaims struct {
	Iss    string                    `json:"iss"`
	Iat    int64                     `json:"iat"`
	Jti    string                    `json:"jti"`
	Aud    string                    `json:"aud"`
	Txn    string                    `json:"txn"`
	SubID  subjectID                 `json:"sub_id"`
	Events map[string]sessionRevoked `json:"events"`
}

// setPayload is the SET telling clientID that r's grant was revoked. txn
// (RFC 8417 §2.2) is the grant's id, the grant_id of the server's audit
// log, so the client's operator and Tollgate's can find the same event.
func setPayload(issuer, clientID, jti string, r refresh.Revocation) ([]byte, error) {
	why := "refresh token reuse detected (" + string(r.Signal) + "); every token of the grant was revoked"
	if r.Theft() {
		why = "refresh token presented without its holder's key (" + string(r.Signal) + "); every token of the grant was revoked"
	}
	return json.Marshal(setClaims{
		Iss: issuer, Iat: r.At.Unix(), Jti: jti, Aud: clientID, Txn: r.Grant.ID,
		SubID: subjectOf(issuer, r),
		Events: map[string]sessionRevoked{EventSessionRevoked: {
			// CAEP §2: "policy": the server's rules revoked it, not a
			// person.
			InitiatingEntity: "policy",
			ReasonAdmin:      map[string]string{"en": why},
			ReasonUser:       map[string]string{"en": "You were signed out because your session may have been copied. Please sign in again."},
			EventTimestamp:   r.At.Unix(),
		}},
	})
}

// logoutClaims is a logout token (Back-Channel Logout 1.0 §2.4): no nonce.
type logoutClaims struct {
	Iss    string              `json:"iss"`
	Sub    string              `json:"sub,omitempty"`
	Aud    string              `json:"aud"`
	Iat    int64               `json:"iat"`
	Exp    int64               `json:"exp"`
	Jti    string              `json:"jti"`
	Sid    string              `json:"sid,omitempty"`
	Events map[string]struct{} `json:"events"`
}

// logoutPayload is the logout token for subject's session sid at clientID,
// issued at now. §2.4: sub, sid or both; Tollgate always knows the subject
// and sends the sid whenever the session has one.
func logoutPayload(issuer, clientID, jti, subject, sid string, now time.Time) ([]byte, error) {
	return json.Marshal(logoutClaims{
		Iss: issuer, Sub: subject, Aud: clientID, Iat: now.Unix(), Exp: now.Add(LogoutTokenLifetime).Unix(),
		Jti: jti, Sid: sid, Events: map[string]struct{}{EventBackchannelLogout: {}},
	})
}

// Signers gives the server's signer for an algorithm and typ (keys.Set).
type Signers interface {
	JWSSigner(alg, typ string) (*keys.JWSSigner, error)
}

// sign signs payload as a compact JWS with the newest key of alg.
func sign(s Signers, alg, typ string, payload []byte) (string, error) {
	j, err := s.JWSSigner(alg, typ)
	if err != nil {
		return "", fmt.Errorf("notify: signer: %w", err)
	}
	return j.Sign(payload)
}

// newJTI is a fresh unique token id (RFC 8417 §2.2, Back-Channel §2.4).
func newJTI() string { return mint.NewID() }
