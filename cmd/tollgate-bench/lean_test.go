package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeanConnReadsWhatNetHTTPReads: the lean client and net/http's send
// the same request (method, path, client authentication, form) and read
// the same answer from each kind of response the tool may meet: a body
// with Content-Length, a chunked one, an error, one that closes the
// connection, one without a body; and the lean client carries on over a
// new connection after a close.
func TestLeanConnReadsWhatNetHTTPReads(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		id, _ = url.QueryUnescape(id) // RFC 6749 §2.3.1
		secret, _ = url.QueryUnescape(secret)
		if r.Method != http.MethodPost || r.URL.Path != "/connect/token" || id != "cli ent" || secret != "s:e/cret" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, fmt.Sprintf("bad request: %s %s %q %q", r.Method, r.URL.Path, id, secret), http.StatusTeapot)
			return
		}
		token := r.PostFormValue("refresh_token")
		w.Header().Set("Content-Type", "application/json")
		switch r.PostFormValue("grant_type") {
		case "length":
			fmt.Fprintf(w, `{"access_token":"a","refresh_token":%q}`, token+"-next")
		case "chunked":
			fmt.Fprintf(w, `{"access_token":%q,`, strings.Repeat("x", 5000))
			w.(http.Flusher).Flush() // no Content-Length from here on: chunks
			fmt.Fprintf(w, `"refresh_token":%q}`, token+"-next")
		case "error":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"no"}`)
		case "close":
			w.Header().Set("Connection", "close")
			fmt.Fprintf(w, `{"refresh_token":%q}`, token+"-last")
		case "empty":
			w.WriteHeader(http.StatusNoContent)
		case "junk":
			fmt.Fprint(w, `not json`)
		case "dpop": // RFC 9449 §8: a nonce in a response header
			w.Header().Set("DPoP-Nonce", "nonce-for-"+r.Header.Get("DPoP"))
			fmt.Fprintf(w, `{"refresh_token":%q,"token_type":"DPoP"}`, token+"-next")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tgt := &target{tokenURL: srv.URL + "/connect/token", clientID: "cli ent", secret: "s:e/cret", http: newHTTPClient(1, 5*time.Second)}
	lean := newLeanConn(tgt, 5*time.Second)
	defer lean.close()
	ctx := context.Background()
	for _, kind := range []string{"length", "chunked", "length", "error", "length", "close", "length", "empty", "junk", "dpop", "length"} {
		form := func() url.Values { return url.Values{"grant_type": {kind}, "refresh_token": {"rt+/="}} }
		proof := ""
		if kind == "dpop" {
			proof = "a.proof.jws"
		}
		want := tgt.post(ctx, tgt.tokenURL, form(), proof)
		got := lean.post(ctx, tgt.tokenURL, form(), proof)
		if got.status != want.status || got.refresh != want.refresh || got.errCode != want.errCode || (got.err == nil) != (want.err == nil) ||
			got.tokenType != want.tokenType || got.nonce != want.nonce {
			t.Errorf("%s: lean %+v, net/http %+v", kind, got, want)
		}
		if kind == "dpop" && (got.nonce != "nonce-for-a.proof.jws" || got.tokenType != "DPoP") {
			t.Errorf("%s: %+v, want the nonce made from the proof sent, and token_type DPoP", kind, got)
		}
		if kind == "length" && (got.status != 200 || got.refresh != "rt+/=-next") {
			t.Errorf("%s: %+v, want 200 and the next token", kind, got)
		}
	}
	// Each client's first connection, and each one's second after the
	// server closed the first ("close"): every other answer keeps it.
	if n := conns.Load(); n != 4 {
		t.Errorf("%d connections: want net/http's and the lean client's, each again after the close", n)
	}

	// client_secret_post: the credentials in the form, no Authorization.
	var form url.Values
	var auth string
	post := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form, auth = r.PostForm, r.Header.Get("Authorization")
		fmt.Fprint(w, `{"refresh_token":"n"}`)
	}))
	defer post.Close()
	tgt.formAuth = true
	l2 := newLeanConn(tgt, 5*time.Second)
	defer l2.close()
	if a := l2.post(ctx, post.URL+"/t", url.Values{"grant_type": {"refresh_token"}}, ""); a.refresh != "n" ||
		form.Get("client_id") != "cli ent" || form.Get("client_secret") != "s:e/cret" || auth != "" {
		t.Errorf("client_secret_post: %+v, form %v, Authorization %q", a, form, auth)
	}
}

// TestLeanConnRefusesMalformedResponses: a response the lean client cannot
// read is a transport error (the tool counts it), never a panic or a hang,
// and the connection is dropped. One that breaks HTTP/1.1 is refused as
// malformed when it is read, not when the connection runs out under it;
// a body cut short is the end of the connection.
func TestLeanConnRefusesMalformedResponses(t *testing.T) {
	for _, c := range []struct {
		resp      string
		malformed bool
	}{
		{"garbage\r\n\r\n", true},
		{"SPDY/3.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", true},
		{"HTTP/1.1 2x0 OK\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 20<<10) + "\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", false},
	} {
		resp := c.resp
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			c.Read(buf)
			c.Write([]byte(resp))
			c.Close()
		}()
		tgt := &target{clientID: "c", secret: "s"}
		l := newLeanConn(tgt, 2*time.Second)
		a := l.post(context.Background(), "http://"+ln.Addr().String()+"/t", url.Values{"a": {"b"}}, "")
		if a.err == nil || l.c != nil || errors.Is(a.err, errMalformed) != c.malformed {
			t.Errorf("%.60q: %+v, connection kept %v; want an error (malformed: %v) and the connection dropped", resp, a, l.c != nil, c.malformed)
		}
		ln.Close()
	}
}

// TestLeanConnKeepsItsConnectionAcrossEndpoints: a worker that posts to
// the token endpoint and now and then to the revocation one on the same
// server keeps one connection for both, and dials another server anew.
func TestLeanConnKeepsItsConnectionAcrossEndpoints(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"refresh_token":%q}`, r.URL.Path)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	l := newLeanConn(&target{clientID: "c", secret: "s"}, 5*time.Second)
	defer l.close()
	for _, path := range []string{"/connect/token", "/connect/revocation", "/connect/token", "/connect/revocation"} {
		if a := l.post(context.Background(), srv.URL+path, url.Values{"a": {"b"}}, ""); a.refresh != path {
			t.Fatalf("POST %s: %+v", path, a)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for four posts to two endpoints of one server, want 1", n)
	}
	// Another server's endpoint gets a connection of its own.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"refresh_token":"other"}`)
	}))
	defer other.Close()
	if a := l.post(context.Background(), other.URL+"/connect/token", url.Values{"a": {"b"}}, ""); a.refresh != "other" {
		t.Errorf("POST to another server: %+v, want its answer", a)
	}
}

// TestHTTPClientNamed: a run reports the client its token requests really
// went through: the lean one only for a plain http:// endpoint.
func TestHTTPClientNamed(t *testing.T) {
	for _, c := range []struct {
		lean bool
		url  string
		want string
	}{
		{true, "http://127.0.0.1:8090/connect/token", httpLean},
		{true, "https://127.0.0.1:8443/connect/token", httpStd},
		{false, "http://127.0.0.1:8090/connect/token", httpStd},
	} {
		if got := (&target{lean: c.lean, tokenURL: c.url}).httpClient(); got != c.want {
			t.Errorf("lean %v, %s: %q, want %q", c.lean, c.url, got, c.want)
		}
	}
}
