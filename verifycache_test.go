package hasp_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// A chain verified once is not verified again for the same name on the
// same Config, but the cache never outlives a certificate nor lets
// another name through.
func TestVerifyCache(t *testing.T) {
	now := time.Now()
	cfg := haspClientConfig()
	cfg.Time = func() time.Time { return now }
	var seen [][]*x509.Certificate
	var hits int
	cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
		if seen != nil && len(chains) > 0 && &chains[0] == &seen[0] {
			hits++
		}
		seen = chains
		return nil
	}
	dial := func(name string) error {
		c, s := pair(t)
		cc := cfg
		if name != cfg.ServerName {
			cc = cfg.Clone()
			cc.ServerName = name
		}
		client, server := hasp.Client(c, cc), tls.Server(s, stdServerConfig(testcerts.P256))
		cerr, _ := handshake(client, server)
		return cerr
	}
	if err := dial("localhost"); err != nil {
		t.Fatal(err)
	}
	if err := dial("localhost"); err != nil {
		t.Fatalf("second connection: %v", err)
	}
	if hits != 1 {
		t.Fatal("the second connection verified the chain again")
	}
	// Another name on the same Config is verified (and refused).
	cfg.ServerName = "other.example"
	if err := dial("other.example"); err == nil {
		t.Fatal("a chain verified for localhost was taken for other.example")
	}
	cfg.ServerName = "localhost"
	// Past the leaf's NotAfter the cached result is not used.
	now = leaf(testcerts.P256).Cert.NotAfter.Add(time.Minute)
	if err := dial("localhost"); err == nil {
		t.Fatal("an expired certificate passed on a cached verification")
	}
}
