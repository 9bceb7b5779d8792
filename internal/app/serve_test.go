package app

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// serve opens the app for cfg and serves it on a loopback port until the
// test ends; it returns the address.
func serve(t *testing.T, cfg *config.Config, o Options) string {
	t.Helper()
	t.Setenv(EnvSystemSecret, "")
	a, err := Open(context.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return serveApp(t, a)
}

// serveApp serves an opened app on a loopback port until the test ends,
// then closes it; it returns the address.
func serveApp(t *testing.T, a *App) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return l.Addr().String()
}

// TestSlowHeadersAreCut: a client that trickles its request headers
// (slowloris) is disconnected once read_header_timeout has passed, however
// steadily it keeps sending. The bound checked is generous: the point is
// that the server, not the client, ends the connection.
func TestSlowHeadersAreCut(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.ReadHeaderTimeout = 300 * time.Millisecond
	// Longer than the bound below, so only read_header_timeout can cut the
	// connection within it (net/http falls back to read_timeout without it).
	cfg.HTTP.ReadTimeout = time.Minute
	addr := serve(t, cfg, Options{})

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // one header byte every 50 ms, never the blank line
		defer wg.Done()
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := io.WriteString(c, "X"); err != nil {
					return
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	const bound = 15 * time.Second // >> 300 ms; a machine under load is slow, not wrong
	_ = c.SetReadDeadline(time.Now().Add(bound))
	_, err = io.Copy(io.Discard, c) // whatever the server says (a 408, or nothing), until it closes
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept a connection with unfinished headers open for %v", bound)
	}
}

// TestHeaderSizeLimit: headers above http.max_header_bytes are refused.
func TestHeaderSizeLimit(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.MaxHeaderBytes = 4 << 10
	addr := serve(t, cfg, Options{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("16 KiB of headers with a 4 KiB limit: %d", res.StatusCode)
	}
	res, err = http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("a small request: %v %v", res, err)
	}
	res.Body.Close()
}

// writePair writes a fresh self-signed localhost certificate named cn to
// the two files, with a modification time of its own (gen).
func writePair(t *testing.T, certFile, keyFile, cn string, gen int) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(gen + 1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	mod := time.Date(2026, 1, 1, 0, 0, gen, 0, time.UTC)
	for _, f := range []struct {
		path string
		b    *pem.Block
	}{{certFile, &pem.Block{Type: "CERTIFICATE", Bytes: der}}, {keyFile, &pem.Block{Type: "PRIVATE KEY", Bytes: kder}}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(f.b), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f.path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTLSListenerReloadsCertificate: with tls configured the server speaks
// HTTPS only (TLS 1.2+), and a renewed certificate pair on disk is served
// to new connections without a restart.
func TestTLSListenerReloadsCertificate(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Issuer = "https://localhost:8443"
	cfg.TLS = config.TLS{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	writePair(t, cfg.TLS.CertFile, cfg.TLS.KeyFile, "first", 1)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	addr := serve(t, cfg, Options{Now: clock})

	servedName := func() string {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := servedName(); got != "first" {
		t.Fatalf("serving %q", got)
	}
	writePair(t, cfg.TLS.CertFile, cfg.TLS.KeyFile, "second", 2)
	mu.Lock()
	now = now.Add(time.Minute) // past the check interval
	mu.Unlock()
	if got := servedName(); got != "second" {
		t.Fatalf("after renewal: serving %q, want the new certificate", got)
	}

	// HTTPS works end to end, and plain HTTP on the TLS port does not.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("https /healthz: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if strings.Contains(line, "200") {
		t.Fatalf("plain HTTP answered on the TLS port: %q", line)
	}
}

// TestOpenRefusesABadCertificate: a broken pair stops the start.
func TestOpenRefusesABadCertificate(t *testing.T) {
	t.Setenv(EnvSystemSecret, "")
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Issuer = "https://localhost:8443"
	cfg.TLS = config.TLS{CertFile: filepath.Join(dir, "missing.pem"), KeyFile: filepath.Join(dir, "missing-key.pem")}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	if a, err := Open(context.Background(), cfg, Options{}); err == nil {
		a.Close()
		t.Fatal("Open with missing certificate files: no error")
	}
}
