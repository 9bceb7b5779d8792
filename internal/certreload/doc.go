// Package certreload serves a TLS certificate from a PEM certificate chain
// and key file pair, and picks up a renewed pair without a restart.
//
// The files are looked at, at most once per check interval, from the TLS
// handshake itself (tls.Config.GetCertificate): when either file's
// modification time or size has changed, the pair is loaded again. A pair
// that fails to load (half written, key and certificate not matching) is
// logged and the certificate already in use is kept, so a botched renewal
// never takes the server off the air; the next change is tried again.
//
// TLSConfig requires TLS 1.2 or later (RFC 8996 deprecates TLS 1.0 and
// 1.1); Go's defaults choose the cipher suites.
package certreload
