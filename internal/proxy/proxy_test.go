package proxy

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func mustNew(t *testing.T, entries ...string) *Trusted {
	t.Helper()
	tr, err := New(entries)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestParseEntry(t *testing.T) {
	good := map[string]string{
		"192.0.2.10":         "192.0.2.10/32",
		" 10.0.0.0/8 ":       "10.0.0.0/8",
		"::1":                "::1/128",
		"fd00::/8":           "fd00::/8",
		"::ffff:192.0.2.1":   "192.0.2.1/32", // IPv4-mapped is the IPv4 address
		"0.0.0.0/0":          "0.0.0.0/0",
		"2001:db8::/32":      "2001:db8::/32",
		"172.16.0.0/12":      "172.16.0.0/12",
		"192.168.1.255":      "192.168.1.255/32",
		"2001:db8::1":        "2001:db8::1/128",
		"100.64.0.0/10":      "100.64.0.0/10",
		"198.51.100.0/24":    "198.51.100.0/24",
		"203.0.113.7/32":     "203.0.113.7/32",
		"2001:db8:1::/48":    "2001:db8:1::/48",
		"127.0.0.1":          "127.0.0.1/32",
		"::":                 "::/128",
		"169.254.169.254/32": "169.254.169.254/32",
	}
	for in, want := range good {
		p, err := ParseEntry(in)
		if err != nil || p.String() != want {
			t.Errorf("ParseEntry(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "localhost", "10.0.0.0/33", "10.1.2.3/8", "192.0.2.1:80", "fe80::1%eth0", "10.0.0.0/", "*", "10.0.0.0/8,10.1.0.0/16"} {
		if p, err := ParseEntry(in); err == nil {
			t.Errorf("ParseEntry(%q) = %v, want an error", in, p)
		}
	}
	if _, err := ParseEntry("10.1.2.3/8"); err == nil || !strings.Contains(err.Error(), "did you mean 10.0.0.0/8") {
		t.Errorf("host bits: %v", err)
	}
}

// TestClientIP walks X-Forwarded-For as a proxy chain, including the ways a
// client tries to pass itself off as someone else.
func TestClientIP(t *testing.T) {
	proxies := mustNew(t, "10.0.0.0/8", "192.0.2.10", "2001:db8:ffff::/48")
	none := mustNew(t)
	cases := []struct {
		name   string
		tr     *Trusted
		remote string
		h      http.Header
		want   string
	}{
		{"no proxies configured: peer, header ignored", none, "203.0.113.5:4000", hdr("X-Forwarded-For", "198.51.100.1"), "203.0.113.5"},
		{"nil Trusted ignores headers", nil, "203.0.113.5:4000", hdr("X-Forwarded-For", "198.51.100.1"), "203.0.113.5"},
		{"untrusted peer: header ignored", proxies, "203.0.113.5:4000", hdr("X-Forwarded-For", "198.51.100.1"), "203.0.113.5"},
		{"untrusted peer claiming to be a proxy's client", proxies, "203.0.113.5:4000", hdr("X-Forwarded-For", "10.0.0.1"), "203.0.113.5"},
		{"trusted peer, one hop", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "198.51.100.1"), "198.51.100.1"},
		{"trusted peer, no header", proxies, "10.0.0.2:4000", hdr(), "10.0.0.2"},
		{"two trusted hops", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "198.51.100.1, 192.0.2.10"), "198.51.100.1"},
		{"client prepends a fake address", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "1.1.1.1, 198.51.100.1"), "198.51.100.1"},
		{"client prepends a trusted address", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "10.9.9.9, 198.51.100.1"), "198.51.100.1"},
		{"client prepends garbage", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "<script>, 198.51.100.1"), "198.51.100.1"},
		{"client sends its own header line first", proxies, "10.0.0.2:4000",
			hdr("X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "198.51.100.1"), "198.51.100.1"},
		{"every hop trusted: the leftmost", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "10.1.1.1, 10.2.2.2"), "10.1.1.1"},
		{"garbage where a proxy wrote: the last good hop", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "198.51.100.1, nonsense, 10.3.3.3"), "10.3.3.3"},
		{"empty entry stops the walk", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "198.51.100.1,,"), "10.0.0.2"},
		{"entry with a port", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "198.51.100.1:5555"), "198.51.100.1"},
		{"IPv6 client", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "2001:db8::7"), "2001:db8::7"},
		{"bracketed IPv6 with port", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "[2001:db8::7]:443"), "2001:db8::7"},
		{"IPv6 proxy peer", proxies, "[2001:db8:ffff::1]:4000", hdr("X-Forwarded-For", "198.51.100.1"), "198.51.100.1"},
		{"IPv4-mapped peer matches the IPv4 range", proxies, "[::ffff:10.0.0.2]:4000", hdr("X-Forwarded-For", "198.51.100.1"), "198.51.100.1"},
		{"IPv4-mapped client is reported as IPv4", proxies, "10.0.0.2:4000", hdr("X-Forwarded-For", "::ffff:198.51.100.1"), "198.51.100.1"},
		{"zone dropped", none, "[fe80::1%eth0]:4000", hdr(), "fe80::1"},
		{"peer without a port", proxies, "10.0.0.2", hdr("X-Forwarded-For", "198.51.100.1"), "198.51.100.1"},
		{"peer not an address", proxies, "@", hdr("X-Forwarded-For", "198.51.100.1"), "@"},
		{"header name in any case", proxies, "10.0.0.2:4000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"Forwarded (RFC 7239) is not read", proxies, "10.0.0.2:4000", hdr("Forwarded", "for=198.51.100.1"), "10.0.0.2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tr.ClientIP(tc.remote, tc.h); got != tc.want {
				t.Errorf("ClientIP(%q, %v) = %q, want %q", tc.remote, tc.h, got, tc.want)
			}
		})
	}
}

func TestScheme(t *testing.T) {
	proxies := mustNew(t, "10.0.0.0/8")
	cases := []struct {
		name   string
		remote string
		h      http.Header
		tls    bool
		want   string
	}{
		{"plain, no header", "203.0.113.5:1", hdr(), false, "http"},
		{"TLS, no header", "203.0.113.5:1", hdr(), true, "https"},
		{"untrusted peer cannot claim https", "203.0.113.5:1", hdr("X-Forwarded-Proto", "https"), false, "http"},
		{"untrusted peer cannot claim http either", "203.0.113.5:1", hdr("X-Forwarded-Proto", "http"), true, "https"},
		{"trusted proxy says https", "10.0.0.2:1", hdr("X-Forwarded-Proto", "https"), false, "https"},
		{"trusted proxy says http", "10.0.0.2:1", hdr("X-Forwarded-Proto", "HTTP"), true, "http"},
		{"nearest proxy's value wins", "10.0.0.2:1", hdr("X-Forwarded-Proto", "https, http"), false, "http"},
		{"nearest header line wins", "10.0.0.2:1", hdr("X-Forwarded-Proto", "http", "X-Forwarded-Proto", "https"), false, "https"},
		{"nonsense ignored", "10.0.0.2:1", hdr("X-Forwarded-Proto", "gopher"), true, "https"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := proxies.Scheme(tc.remote, tc.h, tc.tls); got != tc.want {
				t.Errorf("Scheme = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestContainsAndEmpty(t *testing.T) {
	var nilT *Trusted
	if !nilT.Empty() || !mustNew(t).Empty() || mustNew(t, "::1").Empty() {
		t.Error("Empty")
	}
	tr := mustNew(t, "::1")
	if !tr.Contains(netip.MustParseAddr("::1")) || tr.Contains(netip.MustParseAddr("127.0.0.1")) || tr.Contains(netip.Addr{}) {
		t.Error("Contains")
	}
	if _, err := New([]string{"10.0.0.0/8", "bad"}); err == nil {
		t.Error("New accepted a bad entry")
	}
}
