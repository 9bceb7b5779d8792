package reqlog_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tollgate-oidc/tollgate/internal/proxy"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/testlog"
)

// lockedBuffer collects log lines written from the server's goroutines.
type lockedBuffer = testlog.Buffer

// jsonLines decodes the JSON lines logged to l so far.
func jsonLines(t *testing.T, l *lockedBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// serve starts a real loopback server whose handler logs a line of its
// own and records a client id, behind Access with the given trusted proxies.
func serve(t *testing.T, trusted []string) (*httptest.Server, *lockedBuffer) {
	t.Helper()
	buf := &lockedBuffer{}
	log := slog.New(reqlog.NewHandler(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	proxies, err := proxy.New(trusted)
	if err != nil {
		t.Fatal(err)
	}
	acc := reqlog.NewAccess(log, proxies, func(p string) bool { return p == "/healthz" })
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqlog.SetClient(r.Context(), "app")
		log.InfoContext(r.Context(), "inside")
		w.WriteHeader(http.StatusTeapot)
	})
	srv := httptest.NewServer(acc.Wrap(inner))
	t.Cleanup(srv.Close)
	return srv, buf
}

func get(t *testing.T, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestAccessLine: one line per request with method, path (no query),
// status, duration, client id, remote address and the request id the
// response carries; the handler's own line carries the same id.
func TestAccessLine(t *testing.T) {
	srv, buf := serve(t, nil)
	res := get(t, srv.URL+"/connect/authorize?code=CODE-VALUE-123&access_token=TOKEN-VALUE-456", nil)
	id := res.Header.Get(reqlog.HeaderRequestID)
	if id == "" {
		t.Fatal("no X-Request-Id in the response")
	}
	lines := jsonLines(t, buf)
	if len(lines) != 2 {
		t.Fatalf("want the handler's line and one access line, got %d: %v", len(lines), lines)
	}
	inside, access := lines[0], lines[1]
	if inside["request_id"] != id {
		t.Errorf("handler line request_id = %v, want %q", inside["request_id"], id)
	}
	want := map[string]any{"msg": "request", "method": "GET", "path": "/connect/authorize", "status": float64(http.StatusTeapot),
		"client_id": "app", "remote": "127.0.0.1", "request_id": id}
	for k, v := range want {
		if access[k] != v {
			t.Errorf("access line %s = %v, want %v", k, access[k], v)
		}
	}
	if _, ok := access["duration"]; !ok {
		t.Error("access line has no duration")
	}
	all := buf.String()
	for _, secret := range []string{"CODE-VALUE-123", "TOKEN-VALUE-456"} {
		if strings.Contains(all, secret) {
			t.Errorf("the query value %s reached the log:\n%s", secret, all)
		}
	}
	// A second request gets another id.
	if id2 := get(t, srv.URL+"/x", nil).Header.Get(reqlog.HeaderRequestID); id2 == id || id2 == "" {
		t.Errorf("second request id %q, first %q", id2, id)
	}
}

// TestProbeQuiet: a probe's access line is at debug, so it is absent at info.
func TestProbeQuiet(t *testing.T) {
	srv, buf := serve(t, nil)
	get(t, srv.URL+"/healthz", nil)
	for _, l := range jsonLines(t, buf) {
		if l["msg"] == "request" {
			t.Fatalf("probe logged at info: %v", l)
		}
	}
}

// TestIncomingRequestID: X-Request-Id is kept only from a trusted proxy,
// and only when it is sane; anyone else's is replaced.
func TestIncomingRequestID(t *testing.T) {
	untrusted, _ := serve(t, nil)
	if got := get(t, untrusted.URL+"/", map[string]string{"X-Request-Id": "abc-123"}).Header.Get(reqlog.HeaderRequestID); got == "abc-123" {
		t.Error("an untrusted peer chose its request id")
	}
	trusted, buf := serve(t, []string{"127.0.0.1", "::1"})
	if got := get(t, trusted.URL+"/", map[string]string{"X-Request-Id": "abc-123"}).Header.Get(reqlog.HeaderRequestID); got != "abc-123" {
		t.Errorf("a trusted proxy's id was replaced by %q", got)
	}
	for _, bad := range []string{"has space", "quote\"", strings.Repeat("a", 129), "tok=en"} {
		if got := get(t, trusted.URL+"/", map[string]string{"X-Request-Id": bad}).Header.Get(reqlog.HeaderRequestID); got == bad || got == "" {
			t.Errorf("id %q from a trusted proxy: answered %q, want a fresh id", bad, got)
		}
	}
	// Behind a trusted proxy the remote address is the forwarded client's.
	buf.Reset()
	get(t, trusted.URL+"/", map[string]string{"X-Forwarded-For": "203.0.113.7"})
	lines := jsonLines(t, buf)
	if last := lines[len(lines)-1]; last["remote"] != "203.0.113.7" {
		t.Errorf("remote behind a trusted proxy = %v, want 203.0.113.7", last["remote"])
	}
	// An untrusted peer's X-Forwarded-For is ignored.
	srv, ubuf := serve(t, nil)
	get(t, srv.URL+"/", map[string]string{"X-Forwarded-For": "203.0.113.7"})
	ul := jsonLines(t, ubuf)
	if last := ul[len(ul)-1]; last["remote"] != "127.0.0.1" {
		t.Errorf("remote from an untrusted peer = %v, want 127.0.0.1", last["remote"])
	}
}

// TestHandlerOutsideRequest: a line logged without a request's context
// carries no request_id, and With keeps the wrapper.
func TestHandlerOutsideRequest(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(reqlog.NewHandler(slog.NewTextHandler(&b, nil))).With("node", "n1")
	log.Info("alone")
	if strings.Contains(b.String(), "request_id") || !strings.Contains(b.String(), "node=n1") {
		t.Errorf("line = %q", b.String())
	}
	if reqlog.NewHandler(log.Handler()) != log.Handler() {
		t.Error("wrapping twice made a second wrapper: request_id would be added twice")
	}
}

func TestRemoteAddrAndUserAgentOfTheRequest(t *testing.T) {
	var remote, ua string
	a := reqlog.NewAccess(slog.New(slog.DiscardHandler), nil, nil)
	h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remote, ua = reqlog.RemoteAddr(r.Context()), reqlog.UserAgent(r.Context())
	}))
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.RemoteAddr = "[2001:db8::7]:5123"
	r.Header.Set("User-Agent", "app/1.0\r\n"+strings.Repeat("é", 200))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if remote != "2001:db8::7" {
		t.Errorf("RemoteAddr = %q", remote)
	}
	if !strings.HasPrefix(ua, "app/1.0é") || len(ua) > 256 || strings.ContainsAny(ua, "\r\n") || !utf8.ValidString(ua) {
		t.Errorf("UserAgent = %q (%d bytes)", ua, len(ua))
	}
	if reqlog.RemoteAddr(context.Background()) != "" || reqlog.UserAgent(context.Background()) != "" {
		t.Error("outside a request: not empty")
	}
}
