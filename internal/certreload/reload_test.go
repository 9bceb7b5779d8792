package certreload

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for localhost named cn, as PEM files' contents.
func selfSigned(t testing.TB, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// files is a certificate pair on disk that a test replaces.
type files struct {
	t          testing.TB
	cert, key  string
	generation int
}

func newFiles(t testing.TB) *files {
	dir := t.TempDir()
	return &files{t: t, cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
}

// write replaces both files and gives them a modification time of their
// own, so the change is seen whatever the file system's time resolution.
func (f *files) write(cert, key []byte) {
	f.t.Helper()
	f.generation++
	mod := time.Date(2026, 1, 1, 0, 0, f.generation, 0, time.UTC)
	for _, p := range []struct {
		path string
		data []byte
	}{{f.cert, cert}, {f.key, key}} {
		if err := os.WriteFile(p.path, p.data, 0o600); err != nil {
			f.t.Fatal(err)
		}
		if err := os.Chtimes(p.path, mod, mod); err != nil {
			f.t.Fatal(err)
		}
	}
}

func served(t *testing.T, r *Reloader) string {
	t.Helper()
	c, err := r.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.Subject.CommonName
}

// TestReloadOnChange: a renewed pair is served once the check interval has
// passed; a broken pair is logged and the old certificate kept.
func TestReloadOnChange(t *testing.T) {
	f := newFiles(t)
	f.write(selfSigned(t, "first"))
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	r, err := New(f.cert, f.key, Options{CheckEvery: 5 * time.Second, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := served(t, r); got != "first" {
		t.Fatalf("serving %q", got)
	}

	f.write(selfSigned(t, "second"))
	now = now.Add(4 * time.Second)
	if got := served(t, r); got != "first" {
		t.Fatalf("files looked at before the check interval: serving %q", got)
	}
	now = now.Add(time.Second)
	if got := served(t, r); got != "second" {
		t.Fatalf("after the interval: serving %q, want the renewed certificate", got)
	}

	// A half-written renewal: the new certificate with the old key.
	thirdCert, _ := selfSigned(t, "third")
	_, secondKey := selfSigned(t, "unrelated")
	f.write(thirdCert, secondKey)
	now = now.Add(5 * time.Second)
	if got := served(t, r); got != "second" {
		t.Fatalf("a mismatched pair replaced the certificate: serving %q", got)
	}
	if !strings.Contains(logs.String(), "do not load; keeping the certificate in use") {
		t.Fatalf("the failed reload was not logged: %s", logs.String())
	}
	// Garbage, then files that vanish: still the old one.
	f.write([]byte("not pem"), []byte("not pem"))
	now = now.Add(5 * time.Second)
	if got := served(t, r); got != "second" {
		t.Fatalf("garbage replaced the certificate: %q", got)
	}
	os.Remove(f.key)
	now = now.Add(5 * time.Second)
	if got := served(t, r); got != "second" {
		t.Fatalf("a missing key file replaced the certificate: %q", got)
	}
	// The renewal completes.
	f.write(selfSigned(t, "fourth"))
	now = now.Add(5 * time.Second)
	if got := served(t, r); got != "fourth" {
		t.Fatalf("after a good pair: serving %q", got)
	}
}

func TestNewRefusesABadPair(t *testing.T) {
	f := newFiles(t)
	if _, err := New(f.cert, f.key, Options{}); err == nil {
		t.Fatal("New with missing files: no error")
	}
	c, _ := selfSigned(t, "a")
	_, k := selfSigned(t, "b")
	f.write(c, k)
	if _, err := New(f.cert, f.key, Options{}); err == nil {
		t.Fatal("New with a mismatched pair: no error")
	}
}

// TestTLSConfigVersion: TLS 1.2 at least, over a real handshake.
func TestTLSConfigVersion(t *testing.T) {
	f := newFiles(t)
	f.write(selfSigned(t, "v"))
	r, err := New(f.cert, f.key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := r.TLSConfig(); cfg.MinVersion != tls.VersionTLS12 || cfg.GetCertificate == nil {
		t.Fatalf("TLSConfig = %+v", cfg)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", r.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	old := &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}
	if c, err := tls.Dial("tcp", l.Addr().String(), old); err == nil {
		c.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	c.Close()
}
