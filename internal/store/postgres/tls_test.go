package postgres_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// sslmode=verify-full works: the connection is TLS, checked against the
// CA given in sslrootcert, and a server whose certificate another CA
// signed is refused (as unavailable: nothing was written).
func TestVerifyFull(t *testing.T) {
	dsn := pgtest.Schema(t, "tg", nil)
	ca := os.Getenv("TOLLGATE_TEST_POSTGRES_CA")
	if ca == "" {
		const how = "TOLLGATE_TEST_POSTGRES_CA is not set: scripts/test-postgres.sh sets it when openssl is installed"
		if os.Getenv("CI") != "" {
			t.Fatal(how)
		}
		t.Skip(how)
	}
	ctx := context.Background()
	tlsDSN := pgtest.WithParams(t, dsn, map[string]string{"sslmode": "verify-full", "sslrootcert": ca})
	db := open(t, tlsDSN, postgres.Options{})
	defer db.Close()
	var ssl bool
	if err := db.Pool().QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
		t.Errorf("connection with sslmode=verify-full: ssl = %v, %v; want TLS", ssl, err)
	}

	other := filepath.Join(t.TempDir(), "other-ca.crt")
	writeSelfSignedCA(t, other)
	_, err := postgres.Open(ctx, pgtest.WithParams(t, dsn, map[string]string{"sslmode": "verify-full", "sslrootcert": other}), postgres.Options{})
	if err == nil || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open against a CA that did not sign the server: err = %v, want ErrUnavailable", err)
	}
}

func writeSelfSignedCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
