package config

import (
	"net/url"
	"strings"
)

// checkNotify checks where a client is told of a revoked grant
// (internal/notify): each endpoint is an absolute https URL, or http to a
// loopback host (a receiver on the same machine); never a fragment.
// Back-Channel Logout 1.0 §2.2: the backchannel_logout_uri "MAY contain
// port, path, and query parameter components" and "MUST NOT include any
// fragment component"; RFC 8935 §2 pushes SETs over TLS.
func (cl *Client) checkNotify(ck *checker, path string) {
	for _, e := range []struct{ field, raw string }{
		{"security_event_push_uri", cl.SecurityEventPushURI},
		{"backchannel_logout_uri", cl.BackchannelLogoutURI},
	} {
		if e.raw == "" {
			continue
		}
		if reason := checkPushURI(e.raw); reason != "" {
			ck.add(path+"."+e.field, "%q %s", e.raw, reason)
		}
	}
	if cl.BackchannelLogoutSessionRequired && cl.BackchannelLogoutURI == "" {
		ck.add(path+".backchannel_logout_session_required", "needs backchannel_logout_uri: it says what the logout tokens sent there must hold")
	}
}

// checkPushURI returns why raw cannot receive a server-to-server POST, or "".
func checkPushURI(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an https URL"
	case u.Host == "":
		return "has no host"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment (OIDC Back-Channel Logout 1.0 §2.2)"
	case u.User != nil:
		return "must not carry credentials in the URL"
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "uses http on a non-loopback host; signed tokens would cross the network unencrypted: use https, or http to 127.0.0.1, [::1] or localhost"
	}
	return ""
}
