package acme

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testutil"
)

// OCSP against openssl's responder: `openssl ocsp -index` answers each
// request (good, then revoked once the index says so). openssl's own
// listener binds every interface, so the test puts a loopback HTTP front
// before it that hands each request to `openssl ocsp -reqin`.
func TestOCSPStapleAndRevocation(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	dir := t.TempDir()
	var mu sync.Mutex
	revoked := false
	var front *httptest.Server
	front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "req.der"), req, 0o600)
		mu.Lock()
		idx := indexGood
		if revoked {
			idx = indexRevoked
		}
		mu.Unlock()
		os.WriteFile(filepath.Join(d, "index.txt"), []byte(idx), 0o600)
		cmd := exec.Command(openssl, "ocsp", "-index", filepath.Join(d, "index.txt"), "-CA", filepath.Join(dir, "ca.pem"),
			"-rsigner", filepath.Join(dir, "ca.pem"), "-rkey", filepath.Join(dir, "ca.key"), "-reqin", filepath.Join(d, "req.der"),
			"-respout", filepath.Join(d, "resp.der"), "-ndays", "1")
		cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("openssl ocsp: %v\n%s", err, out)
			http.Error(w, "responder failed", 500)
			return
		}
		resp, _ := os.ReadFile(filepath.Join(d, "resp.der"))
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	}))
	defer front.Close()

	// A CA and a leaf whose OCSP responder is the front.
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ocsp test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{CommonName: "ocsp.hasp.test"}, DNSNames: []string{"ocsp.hasp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), OCSPServer: []string{front.URL},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafT, caCert, leafKey.Public(), caKey)
	kd, _ := x509.MarshalPKCS8PrivateKey(caKey)
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	os.WriteFile(filepath.Join(dir, "ca.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	exp := time.Now().Add(24 * time.Hour).UTC().Format("060102150405Z")
	indexGood = "V\t" + exp + "\t\t1234\tunknown\t/CN=ocsp.hasp.test\n"
	indexRevoked = "R\t" + exp + "\t" + time.Now().Add(-time.Minute).UTC().Format("060102150405Z") + ",keyCompromise\t1234\tunknown\t/CN=ocsp.hasp.test\n"

	// The certificate is in the Manager's store, as after an order.
	store := DirStore(t.TempDir())
	data, _ := marshalStored(leafKey, [][]byte{leafDER, caDER})
	ctx := context.Background()
	store.Put(ctx, certKey("ocsp.hasp.test"), data)
	var logs strings.Builder
	var logMu sync.Mutex
	now := time.Now()
	m := &Manager{DirectoryURL: "http://127.0.0.1:1/unreachable", Domains: []string{"ocsp.hasp.test"}, Store: store,
		HTTPClient: front.Client(), RetryBase: time.Hour, Now: func() time.Time { return now },
		Logf: func(f string, a ...any) { logMu.Lock(); defer logMu.Unlock(); logs.WriteString(f + "\n") }}
	m.Maintain(ctx)
	c := m.cached("ocsp.hasp.test")
	if c == nil || len(c.OCSPStaple) == 0 {
		t.Fatalf("no staple:\n%s", logs.String())
	}
	r, err := ocsp.ParseResponseForCert(c.OCSPStaple, c.Leaf, nil)
	if err != nil || r.Status != ocsp.Good {
		t.Fatalf("staple: %v %v", err, r)
	}
	// A hasp client asking for the status gets it.
	ln := hasp.NewListener(listen(t), &hasp.Config{GetCertificate: m.GetCertificate})
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*hasp.Conn).Handshake()
			c.Close()
		}
	}()
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	cc, err := hasp.Dial("tcp", ln.Addr().String(), &hasp.Config{ServerName: "ocsp.hasp.test", RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.ConnectionState().OCSPResponse) == 0 {
		t.Error("the client got no staple")
	}
	cc.Close()

	// Not due again before half the validity: no request.
	mu.Lock()
	revoked = true
	mu.Unlock()
	m.Maintain(ctx)
	if strings.Contains(logs.String(), "REVOKED") {
		t.Fatal("asked again before half the validity")
	}
	// Half way: the responder says revoked; the Manager tries to replace
	// it (the CA is unreachable here: logged, the old one kept until a
	// new one exists).
	now = r.ThisUpdate.Add(r.NextUpdate.Sub(r.ThisUpdate)/2 + time.Minute)
	m.Maintain(ctx)
	if !strings.Contains(logs.String(), "REVOKED") || !strings.Contains(logs.String(), "ordering a certificate for %s failed") {
		t.Fatalf("revocation not acted on:\n%s", logs.String())
	}
}

var indexGood, indexRevoked string
