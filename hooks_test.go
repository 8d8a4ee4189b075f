package hasp_test

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// opaqueSigner hides the key's concrete type: only crypto.Signer is
// visible, as with a key in hardware or a KMS.
type opaqueSigner struct {
	s     crypto.Signer
	calls int
}

func (o *opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o *opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	o.calls++
	return o.s.Sign(r, d, opts)
}

func TestSignerAndGetCertificate(t *testing.T) {
	for _, kt := range []testcerts.KeyType{testcerts.P384, testcerts.RSA2048, testcerts.Ed25519} {
		t.Run(string(kt), func(t *testing.T) {
			l := leaf(kt)
			signer := &opaqueSigner{s: l.Key}
			var asked string
			sc := &hasp.Config{GetCertificate: func(h *hasp.ClientHelloInfo) (*hasp.Certificate, error) {
				asked = h.ServerName
				return &hasp.Certificate{Certificate: l.Chain, PrivateKey: signer}, nil
			}}
			c, s := pair(t)
			cli, srv := tls.Client(c, stdClientConfig()), hasp.Server(s, sc)
			if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			if signer.calls != 1 || asked != "localhost" {
				t.Errorf("signer called %d times; GetCertificate saw %q", signer.calls, asked)
			}
		})
	}
}

func TestVerifyHooks(t *testing.T) {
	t.Run("VerifyPeerCertificate sees raw and verified chains", func(t *testing.T) {
		c, s := pair(t)
		cc := haspClientConfig()
		var raw [][]byte
		var chains [][]*x509.Certificate
		cc.VerifyPeerCertificate = func(r [][]byte, v [][]*x509.Certificate) error { raw, chains = r, v; return nil }
		var vcState hasp.ConnectionState
		cc.VerifyConnection = func(cs hasp.ConnectionState) error { vcState = cs; return nil }
		cli, srv := hasp.Client(c, cc), tls.Server(s, stdServerConfig(testcerts.P256))
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		if len(raw) != 2 || len(chains) != 1 || len(chains[0]) != 2 {
			t.Errorf("raw %d, chains %v", len(raw), chains)
		}
		if vcState.Version != hasp.VersionTLS13 || vcState.ServerName != "localhost" || len(vcState.PeerCertificates) != 2 {
			t.Errorf("VerifyConnection state %+v", vcState)
		}
	})
	t.Run("a hook's refusal is bad_certificate", func(t *testing.T) {
		c, s := pair(t)
		cc := haspClientConfig()
		cc.VerifyConnection = func(hasp.ConnectionState) error { return errors.New("policy says no") }
		cli, srv := hasp.Client(c, cc), tls.Server(s, stdServerConfig(testcerts.P256))
		cerr, _ := handshake(cli, srv)
		var ae *hasp.AlertError
		if !errors.As(cerr, &ae) || ae.Alert != hasp.AlertBadCertificate || ae.Reason != "policy says no" {
			t.Fatalf("client: %v", cerr)
		}
	})
	t.Run("server VerifyConnection runs without client certificates", func(t *testing.T) {
		c, s := pair(t)
		sc := haspServerConfig(testcerts.P256)
		ran := false
		sc.VerifyConnection = func(cs hasp.ConnectionState) error { ran = true; return nil }
		cli, srv := tls.Client(c, stdClientConfig()), hasp.Server(s, sc)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		if !ran {
			t.Error("server VerifyConnection did not run")
		}
	})
	t.Run("InsecureSkipVerify still checks the handshake signature", func(t *testing.T) {
		c, s := pair(t)
		cc := &hasp.Config{InsecureSkipVerify: true}
		cli, srv := hasp.Client(c, cc), tls.Server(s, stdServerConfig(testcerts.P256))
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		if st := cli.ConnectionState(); st.VerifiedChains != nil || len(st.PeerCertificates) != 2 {
			t.Errorf("state %+v", st)
		}
	})
}

// OCSP staples and SCTs are carried both ways and exposed.
func TestStapleAndSCTs(t *testing.T) {
	staple, scts := []byte("ocsp response"), [][]byte{[]byte("sct one"), []byte("sct two")}
	l := leaf(testcerts.P256)
	t.Run("hasp server", func(t *testing.T) {
		c, s := pair(t)
		sc := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, OCSPStaple: staple, SignedCertificateTimestamps: scts}}}
		cli, srv := tls.Client(c, stdClientConfig()), hasp.Server(s, sc)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		st := cli.ConnectionState()
		if !bytes.Equal(st.OCSPResponse, staple) || len(st.SignedCertificateTimestamps) != 2 {
			t.Errorf("crypto/tls saw staple %q, %d SCTs", st.OCSPResponse, len(st.SignedCertificateTimestamps))
		}
	})
	t.Run("hasp client", func(t *testing.T) {
		c, s := pair(t)
		ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, OCSPStaple: staple, SignedCertificateTimestamps: scts}}}
		cli, srv := hasp.Client(c, haspClientConfig()), tls.Server(s, ss)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		st := cli.ConnectionState()
		if !bytes.Equal(st.OCSPResponse, staple) || len(st.SignedCertificateTimestamps) != 2 || !bytes.Equal(st.SignedCertificateTimestamps[1], scts[1]) {
			t.Errorf("hasp saw staple %q, SCTs %q", st.OCSPResponse, st.SignedCertificateTimestamps)
		}
	})
}

// In TLS 1.2 the SCTs come in the ServerHello, which a hasp server packs
// into one record with the rest of its flight: the client must copy them
// out of the message before the next message moves over those bytes.
func TestSCTsTLS12(t *testing.T) {
	scts := [][]byte{[]byte("sct one"), []byte("sct two")}
	l := leaf(testcerts.P256)
	c, s := pair(t)
	sc := &hasp.Config{MaxVersion: hasp.VersionTLS12, Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, SignedCertificateTimestamps: scts}}}
	cli, srv := hasp.Client(c, haspClientConfig()), hasp.Server(s, sc)
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	st := cli.ConnectionState()
	if st.Version != hasp.VersionTLS12 || len(st.SignedCertificateTimestamps) != 2 || !bytes.Equal(st.SignedCertificateTimestamps[0], scts[0]) || !bytes.Equal(st.SignedCertificateTimestamps[1], scts[1]) {
		t.Errorf("the client saw SCTs %q", st.SignedCertificateTimestamps)
	}
}

func TestConfigErrors(t *testing.T) {
	c, _ := pair(t)
	if err := hasp.Client(c, &hasp.Config{}).Handshake(); err == nil {
		t.Error("client without ServerName or InsecureSkipVerify")
	}
	if err := hasp.Server(c, &hasp.Config{}).Handshake(); err == nil {
		t.Error("server without certificates")
	}
	cfg := haspClientConfig()
	cfg.CipherSuites = []uint16{0x0005} // TLS_RSA_WITH_RC4_128_SHA
	if err := hasp.Client(c, cfg).Handshake(); err == nil || !strings.Contains(err.Error(), "RC4") {
		t.Errorf("RC4 suite: %v", err)
	}
	cfg = haspClientConfig()
	cfg.MinVersion = 0x0301
	if err := hasp.Client(c, cfg).Handshake(); err == nil {
		t.Error("TLS 1.0 accepted as a minimum version")
	}
	if _, err := hasp.Listen("tcp", "127.0.0.1:0", &hasp.Config{}); err == nil {
		t.Error("Listen without certificates")
	}
}
