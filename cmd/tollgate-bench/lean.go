package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The -http choices.
const (
	httpLean = "lean"
	httpStd  = "net/http"
)

// httpClient names the client the workers' token requests go through:
// the lean one speaks plain http:// only, and leaves anything else to
// net/http.
func (t *target) httpClient() string {
	if t.lean && strings.HasPrefix(t.tokenURL, "http://") {
		return httpLean
	}
	return httpStd
}

// poster sends one form POST to an endpoint, authenticated as the client
// and with a DPoP proof when one is given, and reads the answer: *target
// over net/http, *leanConn over a connection of its own.
type poster interface {
	post(ctx context.Context, endpoint string, form url.Values, proof string) answer
}

// leanConn is one worker's HTTP/1.1 keep-alive connection, driven by the
// worker's own goroutine: it writes a request and reads its response in
// place. net/http's client hands every request to two goroutines of its
// own (a connection's read and write loops) and back; on a 2-core box
// beside the server, Go's client cost the tool about 135 µs of CPU per
// refresh, a third of it that scheduling, CPU the server under test then lacks (docs/performance.md, "A
// lean load generator"). It speaks only what the tool needs: plain http://
// (anything else goes through net/http), a Content-Length or chunked
// response, and Connection: close. It is not safe for concurrent use.
type leanConn struct {
	t       *target
	timeout time.Duration
	auth    string // t.basic(), worked out once
	c       net.Conn
	connTo  string // the host c is connected to
	br      *bufio.Reader
	req     []byte // the request being written, reused
	body    []byte // the response body being read, reused
	// The last endpoint's host and request target, parsed once: a worker
	// posts to the token endpoint, now and then to the revocation one.
	endpoint, host, path string
	plain                bool // endpoint is http://
}

func newLeanConn(t *target, timeout time.Duration) *leanConn {
	return &leanConn{t: t, timeout: timeout, auth: t.basic()}
}

// maxBody bounds a response body, as target.post does.
const maxBody = 1 << 20

func (l *leanConn) post(ctx context.Context, endpoint string, form url.Values, proof string) answer {
	if endpoint != l.endpoint {
		u, err := url.Parse(endpoint)
		if err != nil {
			return answer{err: err}
		}
		l.endpoint, l.host, l.path, l.plain = endpoint, u.Host, u.RequestURI(), u.Scheme == "http"
	}
	if !l.plain {
		return l.t.post(ctx, endpoint, form, proof)
	}
	if l.c != nil && l.connTo != l.host {
		l.close() // another host: dial it
	}
	body, err := l.t.encode(endpoint, form)
	if err != nil {
		return answer{err: err}
	}
	l.req = append(l.req[:0], "POST "...)
	l.req = append(l.req, l.path...)
	l.req = append(l.req, " HTTP/1.1\r\nHost: "...)
	l.req = append(l.req, l.host...)
	l.req = append(l.req, "\r\nUser-Agent: tollgate-bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "...)
	l.req = strconv.AppendInt(l.req, int64(len(body)), 10)
	if l.t.basicAuth() {
		l.req = append(l.req, "\r\nAuthorization: "...)
		l.req = append(l.req, l.auth...)
	}
	if proof != "" {
		l.req = append(l.req, "\r\nDPoP: "...)
		l.req = append(l.req, proof...)
	}
	l.req = append(l.req, "\r\n\r\n"...)
	l.req = append(l.req, body...)

	if l.c == nil {
		d := net.Dialer{Timeout: l.timeout}
		c, err := d.DialContext(ctx, "tcp", l.host)
		if err != nil {
			return answer{err: err}
		}
		l.c, l.connTo = c, l.host
		if l.br == nil {
			l.br = bufio.NewReaderSize(c, 16<<10)
		} else {
			l.br.Reset(c)
		}
	}
	deadline := time.Now().Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := l.c.SetDeadline(deadline); err != nil {
		l.close()
		return answer{err: err}
	}
	if _, err := l.c.Write(l.req); err != nil {
		l.close()
		return answer{err: err}
	}
	status, nonce, keep, err := l.readResponse()
	if err != nil {
		l.close()
		return answer{status: status, err: err} // status 0: nothing was read
	}
	if !keep {
		l.close()
	}
	a := decodeAnswer(status, l.body)
	a.nonce = nonce
	return a
}

// close drops the connection; the next post dials again.
func (l *leanConn) close() {
	if l.c != nil {
		l.c.Close()
		l.c = nil
	}
}

var errMalformed = errors.New("malformed HTTP/1.1 response")

// readResponse reads one response into l.body and returns its status, its
// DPoP-Nonce (RFC 9449 §8), and whether the connection may carry the next
// request.
func (l *leanConn) readResponse() (status int, nonce string, keep bool, err error) {
	line, err := l.line()
	if err != nil {
		return 0, "", false, err
	}
	// RFC 9112 §4: HTTP-version SP 3DIGIT SP reason-phrase.
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, "", false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, "", false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	length, chunked, keep := -1, false, line[7] == '1' // HTTP/1.1 keeps the connection unless told
	for {
		line, err := l.line()
		if err != nil {
			return status, nonce, false, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, nonce, false, fmt.Errorf("%w: header line %q", errMalformed, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 || length > maxBody {
				return status, nonce, false, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
			if !chunked {
				return status, nonce, false, fmt.Errorf("%w: Transfer-Encoding %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("DPoP-Nonce")):
			nonce = string(value)
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	l.body = l.body[:0]
	switch {
	case status == 204 || status == 304 || status < 200:
		return status, nonce, keep, nil
	case chunked:
		return status, nonce, keep, l.readChunked()
	case length >= 0:
		l.body = slices.Grow(l.body, length)[:length]
		_, err := io.ReadFull(l.br, l.body)
		return status, nonce, keep, err
	}
	// Neither: the body runs to the end of the connection (RFC 9112 §6.3).
	b, err := io.ReadAll(io.LimitReader(l.br, maxBody+1))
	if err == nil && len(b) > maxBody {
		err = fmt.Errorf("%w: body over %d bytes", errMalformed, maxBody)
	}
	l.body = append(l.body, b...)
	return status, nonce, false, err
}

// readChunked reads a chunked body (RFC 9112 §7.1) into l.body.
func (l *leanConn) readChunked() error {
	for {
		line, err := l.line()
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(line, []byte(";")) // chunk extensions are ignored
		n, err := strconv.ParseUint(string(bytes.TrimSpace(size)), 16, 32)
		if err != nil || len(l.body)+int(n) > maxBody {
			return fmt.Errorf("%w: chunk size %q", errMalformed, line)
		}
		if n == 0 {
			for { // trailer fields, up to the empty line
				if line, err := l.line(); err != nil || len(line) == 0 {
					return err
				}
			}
		}
		start := len(l.body)
		l.body = slices.Grow(l.body, int(n))[:start+int(n)]
		if _, err := io.ReadFull(l.br, l.body[start:]); err != nil {
			return err
		}
		if line, err := l.line(); err != nil || len(line) != 0 {
			return fmt.Errorf("%w: no CRLF after a chunk", errMalformed)
		}
	}
}

// line reads one line without its CRLF; valid until the next read.
func (l *leanConn) line() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: a line over %d bytes", errMalformed, l.br.Size())
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), nil
}
