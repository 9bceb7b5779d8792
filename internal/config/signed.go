package config

import (
	"net/url"
	"time"
)

// ClientAssertion holds the server's rules for client assertions
// (private_key_jwt, RFC 7523).
type ClientAssertion struct {
	// MaxLifetime bounds how far ahead of the server's time (and of its
	// own iat) an assertion's exp may lie. RFC 7523 §3 item 4 lets the
	// server refuse an exp "unreasonably far in the future"; the default
	// is the profile's 60 s. Some widely used clients sign for 10 minutes.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
}

// RequestObject holds the rules for signed authorization requests (RFC 9101).
type RequestObject struct {
	// MaxLifetime bounds how far ahead of the server's time a request
	// object's exp may lie (default 60 s).
	MaxLifetime time.Duration `yaml:"max_lifetime"`
}

// Defaults and bounds of the signed-JWT settings.
const (
	DefaultClientAssertionMaxLifetime = 60 * time.Second
	DefaultRequestObjectMaxLifetime   = 60 * time.Second
	// maxSignedLifetime: the jti of an assertion or request object is kept
	// until its exp, so an hour bounds the replay store too. FAPI 2.0
	// Message Signing §5.3.2 caps a request object at 60 minutes.
	maxSignedLifetime = time.Hour
)

func (c *Config) defaultSigned() {
	setDuration(&c.ClientAssertion.MaxLifetime, DefaultClientAssertionMaxLifetime)
	setDuration(&c.RequestObject.MaxLifetime, DefaultRequestObjectMaxLifetime)
}

func (c *Config) checkSigned(ck *checker) {
	for _, s := range []struct {
		path string
		d    time.Duration
	}{
		{"client_assertion.max_lifetime", c.ClientAssertion.MaxLifetime},
		{"request_object.max_lifetime", c.RequestObject.MaxLifetime},
	} {
		switch {
		case s.d <= 0:
			ck.add(s.path, "must be longer than 0s")
		case s.d > maxSignedLifetime:
			ck.add(s.path, "is %v; at most %v: a signed request is made for one use, and its jti is remembered until it expires", s.d, maxSignedLifetime)
		}
	}
}

// checkJWKSURI: the client's keys are fetched from it, so it must be an
// absolute https URL (http only on a loopback host, for tests and
// development), with no fragment and no credentials in it.
func checkJWKSURI(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "is not an absolute URL"
	case u.Fragment != "" || u.User != nil:
		return "must have no fragment and no user info"
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "uses http on a non-loopback host; the client's keys must come over https (http only on 127.0.0.1, [::1] or localhost)"
	default:
		return "must be an https URL"
	}
	return ""
}
