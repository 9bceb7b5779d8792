// Package proxy decides who sent a request that may have come through
// reverse proxies, trusting X-Forwarded-For and X-Forwarded-Proto only from
// proxies the operator listed (config trusted_proxies).
//
// Anyone can send an X-Forwarded-For header, so a header is evidence only
// of what the proxy that appended to it saw. ClientIP therefore starts at
// the TCP peer: if the peer is not a trusted proxy, the peer is the client
// and every forwarded header is ignored. If it is, the header is walked
// from the right (the entries the trusted proxies appended) past every
// trusted address, and the first address that is not trusted is the
// client. Entries to its left were written by the client itself and are
// never read: a client cannot spoof its address by prepending one.
//
// With no trusted proxies (the default) forwarded headers are ignored
// altogether. The RFC 7239 Forwarded header is not read.
package proxy
