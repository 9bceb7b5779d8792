package oauth

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Reading a form body (postForm) in two allocations or so instead of
// Request.ParseForm's fifteen: the body is read into a pooled buffer and
// copied out once as a string, and the values are substrings of it
// wherever they need no unescaping.

// bodyBufs holds read buffers for form bodies; a buffer grown past 8 KiB
// by a large body is not kept.
var bodyBufs = newWipedBufs(2<<10, 8<<10)

// errFormTooLarge is what a body over the limit gives, as
// http.MaxBytesReader would give it.
func errFormTooLarge(limit int64) error { return &http.MaxBytesError{Limit: limit} }

// readForm reads body, at most limit bytes, and parses it as
// application/x-www-form-urlencoded (parseForm).
func readForm(body io.Reader, limit int64) (url.Values, error) {
	if body == nil {
		return nil, errors.New("missing form body")
	}
	bp := bodyBufs.get()
	defer bodyBufs.put(bp)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			// Grow, and wipe the smaller buffer: it held part of the body.
			nb := make([]byte, len(b), 2*cap(b))
			copy(nb, b)
			clear(b)
			b = nb
			*bp = b
		}
		// One byte past the limit tells a body over it.
		n, err := body.Read(b[len(b):min(int64(cap(b)), limit+1)])
		b = b[:len(b)+n]
		*bp = b // so put clears what was read
		if int64(len(b)) > limit {
			return nil, errFormTooLarge(limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return parseForm(string(b))
}

// maxFastParams: a body with more parameters than this (no token request
// has) is left to url.ParseQuery, with its limit on their number.
const maxFastParams = 32

// parseForm is url.ParseQuery for a form body, with the same values and
// the same failures (FuzzParseForm holds it to that), in fewer
// allocations: one map and one backing array for every parameter's value
// slice. Values that need no unescaping are substrings of body.
func parseForm(body string) (url.Values, error) {
	n := strings.Count(body, "&") + 1
	if n > maxFastParams {
		return url.ParseQuery(body)
	}
	form := make(url.Values, n)
	vals := make([]string, 0, n)
	var err error
	for body != "" {
		var seg string
		seg, body, _ = strings.Cut(body, "&")
		if strings.Contains(seg, ";") {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k, err1 := url.QueryUnescape(k)
		if err1 == nil {
			v, err1 = url.QueryUnescape(v)
		}
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		if old, ok := form[k]; ok {
			// Capacity 1: append copies, and no other key's value moves.
			form[k] = append(old, v)
			continue
		}
		vals = append(vals, v)
		form[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return form, err
}
