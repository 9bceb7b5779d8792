package proxy

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted is the set of proxies whose forwarded headers are believed. The
// zero value and nil trust no one.
type Trusted struct {
	prefixes []netip.Prefix
}

// ParseEntry reads one trusted_proxies entry: an IP address ("192.0.2.10",
// "::1") or a CIDR prefix ("10.0.0.0/8", "fd00::/8"). A prefix with host
// bits set ("10.1.2.3/8") is refused: it is most likely a typo for a
// narrower range.
func ParseEntry(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("%q has bits set past the /%d prefix; did you mean %s?", s, p.Bits(), p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// New parses every entry (see ParseEntry).
func New(entries []string) (*Trusted, error) {
	t := &Trusted{}
	for _, e := range entries {
		p, err := ParseEntry(e)
		if err != nil {
			return nil, err
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

// Empty reports whether no proxy is trusted.
func (t *Trusted) Empty() bool { return t == nil || len(t.prefixes) == 0 }

// Contains reports whether a is a trusted proxy.
func (t *Trusted) Contains(a netip.Addr) bool {
	if t == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the party that sent a request whose TCP
// peer is remoteAddr (http.Request.RemoteAddr) and whose headers are h.
// Forwarded headers count only when the peer is a trusted proxy; then the
// rightmost X-Forwarded-For address that is not a trusted proxy is the
// client. If every address is trusted, the leftmost is returned. An
// entry that is not an address stops the walk: the last address known
// good (a trusted proxy) is returned rather than anything a client wrote.
func (t *Trusted) ClientIP(remoteAddr string, h http.Header) string {
	peer, ok := parseHost(remoteAddr)
	if !ok {
		return remoteAddr // not an IP peer (a unix socket, a test): nothing to walk
	}
	if !t.Contains(peer) {
		return peer.String()
	}
	last := peer
	entries := forwardedFor(h)
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseHost(entries[i])
		if !ok {
			break
		}
		if !t.Contains(a) {
			return a.String()
		}
		last = a
	}
	return last.String()
}

// Scheme returns "https" or "http": the scheme the client used, as the
// nearest trusted proxy reports it in X-Forwarded-Proto, or the scheme of
// the connection itself (tls) when the peer is not trusted or the header
// says nothing usable.
func (t *Trusted) Scheme(remoteAddr string, h http.Header, tls bool) string {
	own := "http"
	if tls {
		own = "https"
	}
	peer, ok := parseHost(remoteAddr)
	if !ok || !t.Contains(peer) {
		return own
	}
	vals := h.Values("X-Forwarded-Proto")
	if len(vals) == 0 {
		return own
	}
	// The nearest proxy's word is the last one it appended.
	v := vals[len(vals)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "https":
		return "https"
	case "http":
		return "http"
	}
	return own
}

// forwardedFor splits every X-Forwarded-For header, in order, into entries.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, v := range h.Values("X-Forwarded-For") {
		for e := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// parseHost reads "ip", "ip:port", "[ipv6]" or "[ipv6]:port", dropping the
// port and any zone, with IPv4-mapped IPv6 addresses as IPv4.
func parseHost(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
