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
	var hooked int
	cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
		if len(chains) > 0 {
			hooked++ // the hook sees the verified chains, cached or not
		}
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
	before := hasp.ChainVerifications()
	if err := dial("localhost"); err != nil {
		t.Fatalf("second connection: %v", err)
	}
	if n := hasp.ChainVerifications() - before; n != 0 || hooked != 2 {
		t.Fatalf("the second connection verified the chain again (%d verifications), or the hook did not see it (%d calls)", n, hooked)
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

// The cache is the process's: a clone of a Config (net/http clones its
// TLSClientConfig for every connection) or any Config with the same pool
// of roots finds the chain verified; a Config with another pool, even one
// holding the same CA, verifies again, and a pool without the CA refuses
// a chain another pool verified.
func TestVerifyCacheAcrossConfigs(t *testing.T) {
	roots := testCA.Pool()
	dial := func(cfg *hasp.Config) (hit bool, err error) {
		var chains [][]*x509.Certificate
		cfg.VerifyPeerCertificate = func(_ [][]byte, c [][]*x509.Certificate) error {
			chains = c
			return nil
		}
		before := hasp.ChainVerifications()
		c, s := pair(t)
		client, server := hasp.Client(c, cfg), tls.Server(s, stdServerConfig(testcerts.P256))
		err, _ = handshake(client, server)
		client.Close()
		if err == nil && len(chains) == 0 {
			t.Fatal("VerifyPeerCertificate saw no verified chains")
		}
		return hasp.ChainVerifications() == before, err
	}
	base := &hasp.Config{ServerName: "localhost", RootCAs: roots}
	if _, err := dial(base); err != nil {
		t.Fatal(err)
	}
	if hit, err := dial(base.Clone()); err != nil || !hit {
		t.Fatalf("a clone of the Config: hit %v, err %v; want a hit", hit, err)
	}
	if hit, err := dial(&hasp.Config{ServerName: "localhost", RootCAs: roots}); err != nil || !hit {
		t.Fatalf("a new Config with the same pool: hit %v, err %v; want a hit", hit, err)
	}
	if hit, err := dial(&hasp.Config{ServerName: "localhost", RootCAs: testCA.Pool()}); err != nil || hit {
		t.Fatalf("another pool with the same CA: hit %v, err %v; want a verification", hit, err)
	}
	other := testcerts.NewCA("another CA").Pool()
	if _, err := dial(&hasp.Config{ServerName: "localhost", RootCAs: other}); err == nil {
		t.Fatal("a pool without the CA took a chain another pool verified")
	}
}
