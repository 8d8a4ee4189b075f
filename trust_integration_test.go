package hasp_test

import (
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

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

// OCSP staples served by a hasp server (configured on its certificate),
// judged by a hasp client's verdict: good, revoked, stale.
func TestStapledOCSPVerdicts(t *testing.T) {
	l := leaf(testcerts.P256)
	now := time.Now()
	make1 := func(status int, this, next time.Time) []byte {
		b, err := ocsp.CreateResponse(testCA.Cert, testCA.Cert, ocsp.Response{
			Status: status, SerialNumber: l.Cert.SerialNumber, ThisUpdate: this, NextUpdate: next,
			RevokedAt: now.Add(-time.Hour), RevocationReason: ocsp.KeyCompromise,
		}, testCA.Key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		staple  []byte
		trusted bool
		alert   hasp.Alert
		outcome trust.Outcome
	}{
		{"good", make1(ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour)), true, 0, trust.Pass},
		{"revoked", make1(ocsp.Revoked, now.Add(-time.Hour), now.Add(time.Hour)), false, hasp.Alert(44), trust.Fail},
		{"stale", make1(ocsp.Good, now.Add(-48*time.Hour), now.Add(-24*time.Hour)), true, 0, trust.Fail},
	} {
		for _, v := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
			t.Run(tc.name+"/"+hasp.VersionName(v), func(t *testing.T) {
				c, s := pair(t)
				sc := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, OCSPStaple: tc.staple}}, MaxVersion: v}
				cc := &hasp.Config{ServerName: "localhost", Trust: &trust.Verifier{Roots: testCA.Pool()}}
				cli, srv := hasp.Client(c, cc), hasp.Server(s, sc)
				cerr, _ := handshake(cli, srv)
				if tc.trusted {
					if cerr != nil {
						t.Fatal(cerr)
					}
					verdict := cli.ConnectionState().Verdict
					if ch, _ := verdict.Check(trust.CheckOCSP); ch.Outcome != tc.outcome {
						t.Fatalf("ocsp check %s: %s", ch.Outcome, ch.Reason)
					}
					return
				}
				var ae *hasp.AlertError
				var te *trust.Error
				if !errors.As(cerr, &ae) || ae.Alert != tc.alert || !errors.As(cerr, &te) {
					t.Fatalf("client: %v; want %s with the verdict", cerr, tc.alert)
				}
			})
		}
	}
}

// A hasp server can judge client certificates with Config.Trust.
func TestServerTrustForClients(t *testing.T) {
	good := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "client-ok")
	stranger := testcerts.NewCA("stranger").IssueWith(testcerts.P256, testcerts.Options{Client: true}, "client-no")
	for _, tc := range []struct {
		leaf *testcerts.Leaf
		ok   bool
	}{{good, true}, {stranger, false}} {
		c, s := pair(t)
		sc := haspServerConfig(testcerts.P256)
		sc.ClientAuth = hasp.RequireAnyClientCert
		sc.Trust = &trust.Verifier{Roots: testCA.Pool()}
		cc := stdClientConfig()
		cert := stdCert(tc.leaf)
		cc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		cli, srv := tls.Client(c, cc), hasp.Server(s, sc)
		_, serr := handshake(cli, srv)
		if tc.ok != (serr == nil) {
			t.Fatalf("%s: server error %v", tc.leaf.Cert.Subject.CommonName, serr)
		}
		if tc.ok && (srv.ConnectionState().Verdict == nil || !srv.ConnectionState().Verdict.Trusted) {
			t.Fatal("no verdict on the server")
		}
	}
}
