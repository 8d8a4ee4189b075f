package acme

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
)

// stalled is a server that accepts requests and never answers them.
func stalled(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); s.Close() })
	return s
}

// within runs f and fails the test if it has not returned after d.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("still running after %v", d)
		return nil
	}
}

// An account key in the store that parses but cannot sign (X25519, a
// corrupted or foreign record) is an error, not a panic.
func TestStoredAccountKeyCannotSign(t *testing.T) {
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	st := DirStore(t.TempDir())
	st.Put(context.Background(), "account.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
	m := &Manager{Store: st, DirectoryURL: "http://127.0.0.1:1/directory", Logf: t.Logf}
	if _, err := m.acmeClient(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot sign") {
		t.Fatalf("got %v", err)
	}
}

// A CA that never answers does not hold an order (and so Maintain, under
// Run's context without deadline) forever.
func TestOrderStalledCA(t *testing.T) {
	defer func(d time.Duration) { orderTimeout = d }(orderTimeout)
	orderTimeout = 300 * time.Millisecond
	ca := stalled(t)
	m := &Manager{Store: DirStore(t.TempDir()), DirectoryURL: ca.URL + "/directory", Domains: []string{"a.hasp.test"}, Logf: t.Logf}
	err := within(t, 10*time.Second, func() error {
		_, err := m.obtain(context.Background(), "a.hasp.test", nil)
		return err
	})
	if err == nil {
		t.Fatal("an order against a silent CA succeeded")
	}
}

// A CA answer far larger than any real one (32 MiB of JSON string) is
// cut off at maxCABody, not decoded into memory whole.
func TestCAAnswerTooLarge(t *testing.T) {
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"newNonce": "`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 512 { // 32 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer ca.Close()
	m := &Manager{Store: DirStore(t.TempDir()), DirectoryURL: ca.URL + "/directory", Logf: t.Logf}
	err := within(t, 30*time.Second, func() error {
		_, err := m.acmeClient(context.Background())
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v", err)
	}
}

// An OCSP responder that never answers does not hold Maintain forever.
func TestOCSPStalledResponder(t *testing.T) {
	defer func(d time.Duration) { ocspTimeout = d }(ocspTimeout)
	ocspTimeout = 300 * time.Millisecond
	resp := stalled(t)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stall CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "s.hasp.test"}, DNSNames: []string{"s.hasp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), OCSPServer: []string{resp.URL}}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafT, caCert, leafKey.Public(), caKey)
	leaf, _ := x509.ParseCertificate(leafDER)
	c := &hasp.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey, Leaf: leaf}
	m := &Manager{Store: DirStore(t.TempDir()), Domains: []string{"s.hasp.test"}, Logf: t.Logf}
	m.setCert("s.hasp.test", c)
	within(t, 10*time.Second, func() error {
		if m.refreshOCSP(context.Background(), "s.hasp.test", c) {
			t.Error("revoked by a silent responder")
		}
		return nil
	})
}
