// Package requestobject verifies signed authorization requests (JAR, RFC
// 9101) and turns one into the authorization parameters it carries, for
// the authorization endpoint and the PAR endpoint (RFC 9126 §3). It knows
// no HTTP: the caller passes the request's parameters and the client they
// name, and gets the parameters to validate (internal/authorize) or an
// *oautherr.Error.
//
// A request object is a JWS signed with one of the client's registered
// keys (inline jwks or jwks_uri, through clientauth) with an asymmetric
// algorithm, typed oauth-authz-req+jwt when typed at all (RFC 9101 §10.8),
// issued by the client (iss = client_id) for this server (aud = issuer),
// short-lived (exp at most request_object.max_lifetime ahead; nbf present
// and at most 60 minutes old, FAPI 2.0 Message Signing §5.3.2), and used
// once (its jti goes through the store's UseJTI under "jar:"+client_id).
//
// Its claims are the request (RFC 9101 §5): parameters outside it are not
// used, except client_id, which must equal the object's.
package requestobject
