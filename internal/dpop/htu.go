package dpop

import (
	"net/url"
	"path"
	"strings"
)

// SameURI reports whether a proof's htu names the endpoint want, as RFC
// 9449 §4.3 step 9 compares them: query and fragment ignored, after
// syntax-based and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3):
// scheme and host compared case-insensitively, a default port the same as
// none, an empty path the same as "/", percent-encoding decoded and dot
// segments removed.
func SameURI(htu, want string) bool {
	a, ok := normalURI(htu)
	if !ok {
		return false
	}
	b, ok := normalURI(want)
	return ok && a == b
}

func normalURI(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	p := u.Path // decoded: %2F and "/" alike, as the server's router sees them
	if p == "" {
		p = "/"
	}
	trailing := strings.HasSuffix(p, "/") && p != "/"
	p = path.Clean(p)
	if trailing {
		p += "/"
	}
	return scheme + "://" + host + p, true
}
