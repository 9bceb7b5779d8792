// Package clientauth answers one question for the token, revocation and
// introspection endpoints: which registered client is calling? It knows the
// four methods of RFC 7591 §2 — client_secret_basic and client_secret_post
// (RFC 6749 §2.3.1), private_key_jwt (RFC 7523 §2.2, §3; OIDC Core §9) and
// none (a public client that only names itself) — and nothing about grants:
// what the client may do once identified is decided elsewhere.
//
// Use it in two steps: FromRequest reads the credentials out of a parsed
// request (refusing requests that use more than one method, RFC 6749
// §2.3), and Authenticator.Authenticate checks them against the
// configuration. A client must authenticate with the one method it is
// registered for, so a stolen secret is useless to a private_key_jwt client
// and a public client cannot upgrade itself by inventing a secret.
//
// A private_key_jwt client's keys are inline (jwks) or fetched from its
// jwks_uri (JWKSFetcher: cached per node, refetched for an unknown kid at
// a bounded rate). AuthenticateKey also names the key that verified the
// assertion (RFC 7638 thumbprint), and ClientKeys serves the same keys to
// the verification of signed request objects (internal/requestobject).
//
// Every failure is an *oautherr.Error with code invalid_client (401) or
// invalid_request (400) and a description the client developer can act on;
// descriptions never say how close a wrong secret was. When the client tried
// HTTP Basic (Credentials.Method == client_secret_basic), RFC 6749 §5.2
// requires the 401 to carry a WWW-Authenticate header: the caller adds it.
package clientauth
