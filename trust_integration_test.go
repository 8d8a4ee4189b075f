package hasp_test

import (
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/trust"
)

func trustHandshake(t *testing.T, cfg *hasp.Config, cert tls.Certificate) (*hasp.Conn, error) {
	t.Helper()
	c, s := pair(t)
	cli, srv := hasp.Client(c, cfg), tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}})
	cerr, _ := handshake(cli, srv)
	return cli, cerr
}

// Config.Trust decides with a Verdict; refusals carry it and name the
// right alert.
func TestConfigTrust(t *testing.T) {
	good := stdCert(leaf(testcerts.P256))
	t.Run("trusted", func(t *testing.T) {
		cfg := &hasp.Config{ServerName: "localhost", Trust: &trust.Verifier{Roots: testCA.Pool()}}
		cli, err := trustHandshake(t, cfg, good)
		if err != nil {
			t.Fatal(err)
		}
		v := cli.ConnectionState().Verdict
		if v == nil || !v.Trusted || v.Root == nil || len(cli.ConnectionState().VerifiedChains) != 1 {
			t.Fatalf("verdict %v", v)
		}
	})
	for _, tc := range []struct {
		name  string
		cert  *testcerts.Leaf
		host  string
		alert hasp.Alert
	}{
		{"unknown CA", testcerts.NewCA("stranger").Issue(testcerts.P256, "localhost"), "localhost", hasp.AlertUnknownCA},
		{"wrong name", leaf(testcerts.P256), "example.com", hasp.AlertBadCertificate},
		{"expired", testCA.IssueWith(testcerts.P256, testcerts.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}, "localhost"), "localhost", hasp.AlertCertificateExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &hasp.Config{ServerName: tc.host, Trust: &trust.Verifier{Roots: testCA.Pool()}}
			_, err := trustHandshake(t, cfg, stdCert(tc.cert))
			var ae *hasp.AlertError
			var te *trust.Error
			if !errors.As(err, &ae) || ae.Alert != tc.alert || !errors.As(err, &te) || te.Verdict.Trusted {
				t.Fatalf("error %v; want %s carrying the verdict", err, tc.alert)
			}
		})
	}
}

// A session trusted only through an exception is not offered past the
// exception's end.
func TestExceptionBoundsSession(t *testing.T) {
	self := testcerts.NewCA("self").Issue(testcerts.P256, "localhost")
	ex := trust.OpenExceptions(filepath.Join(t.TempDir(), "exceptions"))
	start := time.Now()
	now := start
	clock := func() time.Time { return now }
	ln := listenLoopback(t)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_ = port
	cfg := &hasp.Config{ServerName: "localhost", Time: clock, ClientSessionCache: hasp.NewLRUClientSessionCache(4),
		Trust: &trust.Verifier{Roots: testCA.Pool(), Exceptions: ex}}
	// The in-memory pair has no port: exceptions are keyed by the name.
	if err := ex.Grant("localhost", trust.CertHash(self.Cert), start.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	ss := &tls.Config{Certificates: []tls.Certificate{stdCert(self)}, Time: clock}
	cres, _ := connectTwice(t,
		func(c net.Conn) resumable { return hasp.Client(c, cfg) },
		func(c net.Conn) resumable { return tls.Server(c, ss) },
		func() { now = start.Add(5 * time.Minute) })
	if !cres {
		t.Fatal("did not resume within the exception")
	}
	// Past the exception: no resumption, and the full handshake fails.
	now = start.Add(11 * time.Minute)
	c, s := pair(t)
	cli, srv := hasp.Client(c, cfg), tls.Server(s, ss)
	cerr, _ := handshake(cli, srv)
	if cerr == nil {
		t.Fatal("trusted after the exception ended")
	}
}
