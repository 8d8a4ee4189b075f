package hasp_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// Every ClientAuth mode of a hasp server against a crypto/tls client with
// no certificate, a good one, and one from an unknown CA; and the same
// modes of a crypto/tls server against a hasp client.
func TestClientAuthModes(t *testing.T) {
	good := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "good-client")
	stranger := testcerts.NewCA("stranger CA").IssueWith(testcerts.P256, testcerts.Options{Client: true}, "stranger")
	type outcome struct {
		ok    bool
		alert hasp.Alert
	}
	modes := []struct {
		name              string
		h                 hasp.ClientAuthType
		s                 tls.ClientAuthType
		none, good, stray outcome
	}{
		{"request", hasp.RequestClientCert, tls.RequestClientCert, outcome{ok: true}, outcome{ok: true}, outcome{ok: true}},
		{"require-any", hasp.RequireAnyClientCert, tls.RequireAnyClientCert, outcome{alert: hasp.AlertCertificateRequired}, outcome{ok: true}, outcome{ok: true}},
		{"verify-if-given", hasp.VerifyClientCertIfGiven, tls.VerifyClientCertIfGiven, outcome{ok: true}, outcome{ok: true}, outcome{alert: hasp.AlertUnknownCA}},
		{"require-and-verify", hasp.RequireAndVerifyClientCert, tls.RequireAndVerifyClientCert, outcome{alert: hasp.AlertCertificateRequired}, outcome{ok: true}, outcome{alert: hasp.AlertUnknownCA}},
	}
	for _, m := range modes {
		for _, cc := range []struct {
			name string
			leaf *testcerts.Leaf
			want outcome
		}{{"none", nil, m.none}, {"good", good, m.good}, {"stranger", stranger, m.stray}} {
			t.Run(fmt.Sprintf("hasp server %s, client cert %s", m.name, cc.name), func(t *testing.T) {
				c, s := pair(t)
				sc := haspServerConfig(testcerts.P256)
				sc.ClientAuth, sc.ClientCAs = m.h, testCA.Pool()
				cfg := stdClientConfig()
				if cc.leaf != nil {
					cert := stdCert(cc.leaf)
					cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
				}
				cli, srv := tls.Client(c, cfg), hasp.Server(s, sc)
				_, serr := handshake(cli, srv)
				checkOutcome(t, serr, cc.want)
				if serr == nil && cc.leaf != nil && len(srv.ConnectionState().PeerCertificates) == 0 {
					t.Errorf("server did not keep the client chain")
				}
			})
			t.Run(fmt.Sprintf("crypto/tls server %s, hasp client cert %s", m.name, cc.name), func(t *testing.T) {
				c, s := pair(t)
				ss := stdServerConfig(testcerts.P256)
				ss.ClientAuth, ss.ClientCAs = m.s, testCA.Pool()
				cfg := haspClientConfig()
				if cc.leaf != nil {
					cert := haspCert(cc.leaf)
					cfg.GetClientCertificate = func(*hasp.CertificateRequestInfo) (*hasp.Certificate, error) { return &cert, nil }
				}
				cli, srv := hasp.Client(c, cfg), tls.Server(s, ss)
				cerr, serr := handshake(cli, srv)
				if cerr == nil && serr != nil {
					// TLS 1.3: the client finished first; the server's
					// alert arrives on its next read.
					_, cerr = cli.Read(make([]byte, 1))
				}
				if cc.want.ok {
					if serr != nil || cerr != nil {
						t.Fatalf("client %v, server %v", cerr, serr)
					}
					return
				}
				var ae *hasp.AlertError
				if !errors.As(cerr, &ae) || !ae.Remote {
					t.Fatalf("hasp client: %v; want a remote alert", cerr)
				}
				want := cc.want.alert
				if ae.Alert != want {
					t.Fatalf("hasp client got %s, want %s", ae.Alert, want)
				}
			})
		}
	}
}

func checkOutcome(t *testing.T, err error, want struct {
	ok    bool
	alert hasp.Alert
}) {
	t.Helper()
	if want.ok {
		if err != nil {
			t.Fatalf("server: %v", err)
		}
		return
	}
	var ae *hasp.AlertError
	if !errors.As(err, &ae) || ae.Remote || ae.Alert != want.alert {
		t.Fatalf("server: %v; want %s", err, want.alert)
	}
}

// A client chain whose signature is broken does not verify.
func TestClientCertTampered(t *testing.T) {
	c, s := pair(t)
	sc := haspServerConfig(testcerts.P256)
	sc.ClientAuth, sc.ClientCAs = hasp.RequireAndVerifyClientCert, testCA.Pool()
	l := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "tampered")
	der := append([]byte(nil), l.Chain[0]...)
	der[len(der)-5] ^= 0x55 // inside the signature
	cert := tls.Certificate{Certificate: [][]byte{der, l.Chain[1]}, PrivateKey: l.Key}
	cfg := stdClientConfig()
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	cli, srv := tls.Client(c, cfg), hasp.Server(s, sc)
	_, serr := handshake(cli, srv)
	var ae *hasp.AlertError
	if !errors.As(serr, &ae) || (ae.Alert != hasp.AlertBadCertificate && ae.Alert != hasp.AlertUnknownCA) {
		t.Fatalf("server: %v; want bad_certificate", serr)
	}
}

// The client picks the certificate the server can accept: by signature
// scheme and by the CAs named in certificate_authorities.
func TestClientCertificateSelection(t *testing.T) {
	other := testcerts.NewCA("other CA")
	fromOther := other.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "from-other")
	fromTest := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "from-test")
	c, s := pair(t)
	ss := stdServerConfig(testcerts.P256)
	ss.ClientAuth, ss.ClientCAs = tls.RequireAndVerifyClientCert, testCA.Pool()
	cfg := haspClientConfig()
	cfg.Certificates = []hasp.Certificate{haspCert(fromOther), haspCert(fromTest)}
	cli, srv := hasp.Client(c, cfg), tls.Server(s, ss)
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	if got := srv.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "from-test" {
		t.Fatalf("client sent %s", got)
	}
}
