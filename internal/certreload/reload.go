package certreload

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultCheckEvery is how often, at most, the files are looked at.
const DefaultCheckEvery = 5 * time.Second

// Options tune New; the zero value is what production uses.
type Options struct {
	CheckEvery time.Duration    // DefaultCheckEvery when 0
	Now        func() time.Time // time.Now when nil
	Log        *slog.Logger     // discard when nil
}

// Reloader holds the certificate in use and reloads it when its files change.
type Reloader struct {
	certFile, keyFile string
	every             time.Duration
	now               func() time.Time
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	seen    stamp     // the files as last looked at
	checked time.Time // when they were last looked at
}

// stamp identifies one version of the two files.
type stamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// New loads the pair once; unlike a later reload, a failure here is an
// error: the server must not start without a certificate.
func New(certFile, keyFile string, o Options) (*Reloader, error) {
	if o.CheckEvery <= 0 {
		o.CheckEvery = DefaultCheckEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, every: o.CheckEvery, now: o.Now, log: o.Log}
	st, err := r.stat()
	if err != nil {
		return nil, err
	}
	cert, err := r.load()
	if err != nil {
		return nil, err
	}
	r.cert, r.seen, r.checked = cert, st, r.now()
	r.warnIfExpired(cert)
	return r, nil
}

// TLSConfig is a server configuration that serves the reloaded certificate,
// TLS 1.2 at least (RFC 8996 retires 1.0 and 1.1).
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// GetCertificate returns the certificate in use, first reloading it if the
// check interval has passed and the files have changed.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.checked) < r.every {
		return r.cert, nil
	}
	r.checked = now
	st, err := r.stat()
	if err != nil {
		r.log.Warn("TLS certificate files cannot be read; keeping the certificate in use", "error", err)
		return r.cert, nil
	}
	if st == r.seen {
		return r.cert, nil
	}
	r.seen = st // a failed load is retried when the files change again, not at every check
	cert, err := r.load()
	if err != nil {
		r.log.Error("the changed TLS certificate files do not load; keeping the certificate in use", "error", err)
		return r.cert, nil
	}
	r.cert = cert
	r.log.Info("reloaded the TLS certificate", "cert_file", r.certFile, "subject", cert.Leaf.Subject.String(),
		"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	r.warnIfExpired(cert)
	return r.cert, nil
}

func (r *Reloader) stat() (stamp, error) {
	c, err := os.Stat(r.certFile)
	if err != nil {
		return stamp{}, fmt.Errorf("tls.cert_file: %w", err)
	}
	k, err := os.Stat(r.keyFile)
	if err != nil {
		return stamp{}, fmt.Errorf("tls.key_file: %w", err)
	}
	return stamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}

func (r *Reloader) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading %s and %s: %w", r.certFile, r.keyFile, err)
	}
	if cert.Leaf == nil {
		return nil, errors.New("tls: the certificate chain is empty")
	}
	return &cert, nil
}

func (r *Reloader) warnIfExpired(c *tls.Certificate) {
	if now := r.now(); now.After(c.Leaf.NotAfter) {
		r.log.Warn("the TLS certificate has expired", "cert_file", r.certFile, "not_after", c.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
}
