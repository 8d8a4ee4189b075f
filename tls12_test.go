package hasp_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

var suites12 = []struct {
	id uint16
	kt testcerts.KeyType
}{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, testcerts.P256},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, testcerts.P384},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, testcerts.Ed25519},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, testcerts.RSA2048},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, testcerts.RSA2048},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, testcerts.RSA2048},
}

// TLS 1.2 with crypto/tls in both roles: each suite, with ECDSA, RSA and
// Ed25519 certificates, 1 MiB each way.
func TestTLS12Suites(t *testing.T) {
	for _, s := range suites12 {
		t.Run(fmt.Sprintf("%s/%s", tls.CipherSuiteName(s.id), s.kt), func(t *testing.T) {
			hc, hs := haspClientConfig(), haspServerConfig(s.kt)
			hc.CipherSuites, hs.CipherSuites = []uint16{s.id}, []uint16{s.id}
			hc.MaxVersion, hs.MaxVersion = hasp.VersionTLS12, hasp.VersionTLS12
			sc, ss := stdClientConfig(), stdServerConfig(s.kt)
			sc.MinVersion, ss.MinVersion = tls.VersionTLS12, tls.VersionTLS12
			sc.MaxVersion, ss.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
			sc.CipherSuites, ss.CipherSuites = []uint16{s.id}, []uint16{s.id}
			interop(t, hc, hs, sc, ss, 1<<20, func(t *testing.T, h hasp.ConnectionState, st tls.ConnectionState) {
				if h.Version != hasp.VersionTLS12 || st.Version != tls.VersionTLS12 || h.CipherSuite != s.id || st.CipherSuite != s.id {
					t.Errorf("negotiated hasp %x/%s, crypto/tls %x/%s", h.Version, hasp.CipherSuiteName(h.CipherSuite), st.Version, tls.CipherSuiteName(st.CipherSuite))
				}
				// crypto/tls exports in TLS 1.2 only with the extended
				// master secret: equal output shows both sides used it.
				a, err1 := h.ExportKeyingMaterial("EXPERIMENTAL test", []byte("ctx"), 32)
				b, err2 := st.ExportKeyingMaterial("EXPERIMENTAL test", []byte("ctx"), 32)
				if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
					t.Errorf("exporters: %v %v, equal %v", err1, err2, bytes.Equal(a, b))
				}
			})
		})
	}
}

func TestTLS12Groups(t *testing.T) {
	for _, g := range []hasp.CurveID{hasp.X25519, hasp.CurveP256, hasp.CurveP384} {
		t.Run(g.String(), func(t *testing.T) {
			hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
			hc.MaxVersion, hs.MaxVersion = hasp.VersionTLS12, hasp.VersionTLS12
			// The client lists P-256 after g: in TLS 1.2 supported_groups
			// also names the curves it takes in ECDSA certificates (RFC
			// 8422 section 5.1), and the server's is P-256.
			hc.CurvePreferences, hs.CurvePreferences = []hasp.CurveID{g, hasp.CurveP256}, []hasp.CurveID{g}
			sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
			sc.MinVersion, ss.MinVersion = tls.VersionTLS12, tls.VersionTLS12
			sc.MaxVersion, ss.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
			sc.CurvePreferences, ss.CurvePreferences = []tls.CurveID{tls.CurveID(g), tls.CurveP256}, []tls.CurveID{tls.CurveID(g)}
			interop(t, hc, hs, sc, ss, 64<<10, func(t *testing.T, h hasp.ConnectionState, st tls.ConnectionState) {
				if h.CurveID != g || st.CurveID != tls.CurveID(g) {
					t.Errorf("group hasp %s crypto/tls %v", h.CurveID, st.CurveID)
				}
			})
		})
	}
}

// Mixed configurations negotiate TLS 1.2: hasp 1.2-only against
// crypto/tls 1.2+1.3, and the reverse.
func TestTLS12Mixed(t *testing.T) {
	hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
	hc.MaxVersion, hs.MaxVersion = hasp.VersionTLS12, hasp.VersionTLS12
	sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
	sc.MinVersion, ss.MinVersion = tls.VersionTLS12, tls.VersionTLS12
	interop(t, hc, hs, sc, ss, 4096, func(t *testing.T, h hasp.ConnectionState, st tls.ConnectionState) {
		if h.Version != hasp.VersionTLS12 || st.Version != tls.VersionTLS12 {
			t.Errorf("versions hasp %x crypto/tls %x", h.Version, st.Version)
		}
	})
	t.Run("reverse", func(t *testing.T) {
		hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
		sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
		sc.MinVersion, ss.MinVersion = tls.VersionTLS12, tls.VersionTLS12
		sc.MaxVersion, ss.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		interop(t, hc, hs, sc, ss, 4096, func(t *testing.T, h hasp.ConnectionState, st tls.ConnectionState) {
			if h.Version != hasp.VersionTLS12 || st.Version != tls.VersionTLS12 {
				t.Errorf("versions hasp %x crypto/tls %x", h.Version, st.Version)
			}
		})
	})
}

// TLS 1.2 client certificates with crypto/tls both ways: the 1.2
// CertificateRequest, the chain and a CertificateVerify over the whole
// handshake.
func TestTLS12ClientAuth(t *testing.T) {
	for _, kt := range []testcerts.KeyType{testcerts.P256, testcerts.RSA2048, testcerts.Ed25519} {
		client := testCA.IssueWith(kt, testcerts.Options{Client: true}, "client12")
		t.Run(string(kt), func(t *testing.T) {
			hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
			hc.MaxVersion, hs.MaxVersion = hasp.VersionTLS12, hasp.VersionTLS12
			hc.Certificates = []hasp.Certificate{haspCert(client)}
			hs.ClientAuth, hs.ClientCAs = hasp.RequireAndVerifyClientCert, testCA.Pool()
			sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
			sc.MinVersion, ss.MinVersion = tls.VersionTLS12, tls.VersionTLS12
			sc.MaxVersion, ss.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
			sc.Certificates = []tls.Certificate{stdCert(client)}
			ss.ClientAuth, ss.ClientCAs = tls.RequireAndVerifyClientCert, testCA.Pool()
			interop(t, hc, hs, sc, ss, 1024, func(t *testing.T, h hasp.ConnectionState, st tls.ConnectionState) {
				if h.Version != hasp.VersionTLS12 {
					t.Errorf("version %x", h.Version)
				}
				// One side is the server and sees the client's chain.
				if len(h.PeerCertificates) == 0 || len(st.PeerCertificates) == 0 {
					t.Errorf("chains: hasp %d, crypto/tls %d", len(h.PeerCertificates), len(st.PeerCertificates))
				}
			})
		})
	}
}

// TLS 1.2 resumption with RFC 5077 tickets, both roles against
// crypto/tls.
func TestTLS12Resumption(t *testing.T) {
	t.Run("hasp client, crypto/tls server", func(t *testing.T) {
		hc := haspClientConfig()
		hc.MaxVersion = hasp.VersionTLS12
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
		ss := stdServerConfig(testcerts.P256)
		ss.MinVersion, ss.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { return hasp.Client(c, hc) },
			func(c net.Conn) resumable { return tls.Server(c, ss) }, nil)
		if !cres || !sres {
			t.Fatalf("resumed: hasp %v crypto/tls %v", cres, sres)
		}
	})
	t.Run("crypto/tls client, hasp server", func(t *testing.T) {
		sc := stdClientConfig()
		sc.MinVersion, sc.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		sc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		hs := haspServerConfig(testcerts.P256)
		hs.MaxVersion = hasp.VersionTLS12
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { return tls.Client(c, sc) },
			func(c net.Conn) resumable { return hasp.Server(c, hs) }, nil)
		if !cres || !sres {
			t.Fatalf("resumed: crypto/tls %v hasp %v", cres, sres)
		}
	})
	t.Run("hasp both ways", func(t *testing.T) {
		hc := haspClientConfig()
		hc.MaxVersion = hasp.VersionTLS12
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
		hs := haspServerConfig(testcerts.P256)
		var cli *hasp.Conn
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { cli = hasp.Client(c, hc); return cli },
			func(c net.Conn) resumable { return hasp.Server(c, hs) }, nil)
		if !cres || !sres || cli.ConnectionState().Version != hasp.VersionTLS12 || len(cli.ConnectionState().PeerCertificates) == 0 {
			t.Fatalf("resumed: client %v server %v", cres, sres)
		}
	})
}

// TLS 1.2 carries OCSP staples (CertificateStatus) and SCTs both ways,
// and ALPN.
func TestTLS12StapleSCTsALPN(t *testing.T) {
	staple, scts := []byte("ocsp response 1.2"), [][]byte{[]byte("sct")}
	l := leaf(testcerts.P256)
	hs := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, OCSPStaple: staple, SignedCertificateTimestamps: scts}},
		MaxVersion: hasp.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	hc := haspClientConfig()
	hc.MaxVersion, hc.NextProtos = hasp.VersionTLS12, []string{"http/1.1", "h2"}
	ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, OCSPStaple: staple, SignedCertificateTimestamps: scts}},
		MaxVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	sc := stdClientConfig()
	sc.MinVersion, sc.MaxVersion, sc.NextProtos = tls.VersionTLS12, tls.VersionTLS12, []string{"http/1.1", "h2"}
	interop(t, hc, hs, sc, ss, 1<<20, func(t *testing.T, h hasp.ConnectionState, st tls.ConnectionState) {
		if h.NegotiatedProtocol != "h2" || st.NegotiatedProtocol != "h2" {
			t.Errorf("ALPN %q %q", h.NegotiatedProtocol, st.NegotiatedProtocol)
		}
		// The client side of each pair sees the staple.
		if !bytes.Equal(h.OCSPResponse, staple) && !bytes.Equal(st.OCSPResponse, staple) {
			t.Errorf("no staple: hasp %q, crypto/tls %q", h.OCSPResponse, st.OCSPResponse)
		}
		if len(h.SignedCertificateTimestamps)+len(st.SignedCertificateTimestamps) == 0 {
			t.Errorf("no SCTs")
		}
	})
}
