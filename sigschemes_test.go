package hasp_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// handshakeStates runs a handshake between a hasp client and a hasp server.
func handshakeStates(t *testing.T, cc, sc *hasp.Config) (hasp.ConnectionState, hasp.ConnectionState, error, error) {
	t.Helper()
	c, s := pair(t)
	client, server := hasp.Client(c, cc), hasp.Server(s, sc)
	cerr, serr := handshake(client, server)
	return client.ConnectionState(), server.ConnectionState(), cerr, serr
}

// Certificate.SupportedSignatureAlgorithms restricts what the key signs
// with, and its order is the signer's preference.
func TestCertificateSupportedSignatureAlgorithms(t *testing.T) {
	for _, v := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
		sc := haspServerConfig(testcerts.RSA2048)
		sc.Certificates[0].SupportedSignatureAlgorithms = []hasp.SignatureScheme{hasp.PSSWithSHA512, hasp.PSSWithSHA384}
		cc := haspClientConfig()
		cc.MaxVersion = v
		cs, _, cerr, serr := handshakeStates(t, cc, sc)
		if cerr != nil || serr != nil {
			t.Fatalf("%s: client %v, server %v", hasp.VersionName(v), cerr, serr)
		}
		if cs.SignatureScheme != hasp.PSSWithSHA512 {
			t.Errorf("%s: server signed with %s, want %s", hasp.VersionName(v), cs.SignatureScheme, hasp.PSSWithSHA512)
		}

		// Nothing in common with what the client accepts: refused.
		cc = haspClientConfig()
		cc.MaxVersion = v
		cc.SignatureSchemes = []hasp.SignatureScheme{hasp.PSSWithSHA256, hasp.ECDSAWithP256AndSHA256}
		if _, _, _, serr := handshakeStates(t, cc, sc); serr == nil || !strings.Contains(serr.Error(), "signature scheme") {
			t.Errorf("%s: server with no scheme in common: %v", hasp.VersionName(v), serr)
		}
	}
}

// Config.SignatureSchemes is what a client advertises and accepts; a
// crypto/tls server signs with one of them.
func TestConfigSignatureSchemes(t *testing.T) {
	for _, want := range []hasp.SignatureScheme{hasp.PSSWithSHA384, hasp.PSSWithSHA256} {
		cc := haspClientConfig()
		cc.SignatureSchemes = []hasp.SignatureScheme{want}
		c, s := pair(t)
		client, server := hasp.Client(c, cc), tls.Server(s, stdServerConfig(testcerts.RSA2048))
		if cerr, serr := handshake(client, server); cerr != nil || serr != nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
		if got := client.ConnectionState().SignatureScheme; got != want {
			t.Errorf("server signed with %s, want %s", got, want)
		}
	}
	// A SHA-1 scheme is refused before any connection (RFC 9155).
	cc := haspClientConfig()
	cc.SignatureSchemes = []hasp.SignatureScheme{hasp.PKCS1WithSHA1}
	c, s := pair(t)
	defer s.Close()
	if err := hasp.Client(c, cc).Handshake(); err == nil || !strings.Contains(err.Error(), "not one hasp accepts") {
		t.Errorf("PKCS1WithSHA1 in SignatureSchemes: %v", err)
	}
}

// By default a TLS 1.2 client accepts RSA PKCS #1 v1.5 with SHA-2 from a
// server whose key makes nothing else (RFC 8446 section 4.2.3 lets it be
// listed for TLS 1.2), and a TLS 1.3-only client does not list it.
func TestDefaultPKCS1ForTLS12(t *testing.T) {
	sc := haspServerConfig(testcerts.RSA2048)
	sc.Certificates[0].SupportedSignatureAlgorithms = []hasp.SignatureScheme{hasp.PKCS1WithSHA384}
	cc := haspClientConfig()
	cc.MaxVersion = hasp.VersionTLS12
	cs, _, cerr, serr := handshakeStates(t, cc, sc)
	if cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	if cs.SignatureScheme != hasp.PKCS1WithSHA384 {
		t.Errorf("signed with %s", cs.SignatureScheme)
	}
	cc = haspClientConfig()
	cc.MinVersion = hasp.VersionTLS13
	var offered []hasp.SignatureScheme
	sc.GetCertificate = func(h *hasp.ClientHelloInfo) (*hasp.Certificate, error) {
		offered = h.SignatureSchemes
		return nil, nil
	}
	handshakeStates(t, cc, sc)
	for _, s := range offered {
		if s == hasp.PKCS1WithSHA256 || s == hasp.PKCS1WithSHA384 || s == hasp.PKCS1WithSHA512 {
			t.Errorf("a TLS 1.3-only client offers %s", s)
		}
	}
	if len(offered) == 0 {
		t.Error("GetCertificate saw no signature schemes")
	}
}
