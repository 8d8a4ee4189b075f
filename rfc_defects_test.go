package hasp_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/record"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Defects found by a hostile-client run, each pinned by the exact bytes
// that showed it.

// clientHelloRecord is a TLS 1.3 ClientHello a hasp server would accept,
// changed by edit, in a record.
func clientHelloRecord(edit func(*wire.ClientHello)) []byte {
	ch := wire.ClientHello{
		Vers: wire.VersionTLS12, SessionID: make([]byte, 32), CipherSuites: []uint16{wire.TLS_AES_128_GCM_SHA256},
		Compression: []uint8{0}, ServerName: "localhost", SupportedGroups: []uint16{wire.GroupX25519},
		SigSchemes: []uint16{wire.ECDSAWithP256AndSHA256}, SupportedVersions: []uint16{wire.VersionTLS13},
		HasKeyShare: true, KeyShares: []wire.KeyShare{{Group: wire.GroupX25519, Data: x25519Point()}}, Padding: -1,
	}
	edit(&ch)
	m := ch.Marshal()
	return append([]byte{22, 3, 1, byte(len(m) >> 8), byte(len(m))}, m...)
}

// x25519Point is a valid X25519 public value (the base point, 9).
func x25519Point() []byte {
	p := make([]byte, 32)
	p[0] = 9
	return p
}

// RFC 8446 appendix D.5: legacy_version 0x0300 or less is
// protocol_version, even when supported_versions offers TLS 1.3.
func TestLegacyVersionSSL3(t *testing.T) {
	for _, v := range []uint16{0x0300, 0x0200, 0x0000} {
		expectFirstFlightAlert(t, clientHelloRecord(func(ch *wire.ClientHello) { ch.Vers = v }), hasp.AlertProtocolVersion)
	}
}

// RFC 6066 section 3: a HostName is an ASCII DNS name without a trailing
// dot; NUL, BEL, escape sequences and non-ASCII bytes are refused with
// illegal_parameter before they reach a log.
func TestServerNameBytes(t *testing.T) {
	for _, name := range []string{"evil\x00.example", "bell\x07", "\x1b[31mred", "ex\xc3\xa4mple.com", "trailing.dot.", "a..b", "[::1]"} {
		expectFirstFlightAlert(t, clientHelloRecord(func(ch *wire.ClientHello) { ch.ServerName = name }), hasp.AlertIllegalParameter)
	}
}

// RFC 6066 section 3: two host_names in one ServerNameList is
// illegal_parameter (the list is well formed, so not decode_error).
func TestServerNameTwice(t *testing.T) {
	rec := clientHelloRecord(func(ch *wire.ClientHello) { ch.ServerName = "" })
	// server_name extension: list of two host_name entries, a and b.
	sni := []byte{0x00, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x00, 0x01, 'a', 0x00, 0x00, 0x01, 'b'}
	rec = withExtension(rec, sni)
	expectFirstFlightAlert(t, rec, hasp.AlertIllegalParameter)
}

// withExtension appends a raw extension (type, length and body) to the
// extensions of a ClientHello record, fixing up every length.
func withExtension(rec, ext []byte) []byte {
	body := append([]byte(nil), rec[5+4:]...) // ClientHello body
	// legacy_version, random, session id, suites, compression
	i := 2 + 32
	i += 1 + int(body[i])
	i += 2 + (int(body[i])<<8 | int(body[i+1]))
	i += 1 + int(body[i])
	extLen := (int(body[i])<<8 | int(body[i+1])) + len(ext)
	body[i], body[i+1] = byte(extLen>>8), byte(extLen)
	body = append(body, ext...)
	msg := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// RFC 8446 section 5: a change_cipher_spec that is not the single byte
// 0x01 is unexpected_message (after the ClientHello, where one CCS may
// come).
func TestChangeCipherSpecTwoBytes(t *testing.T) {
	rec := clientHelloRecord(func(*wire.ClientHello) {})
	rec = append(rec, 20, 3, 3, 0, 2, 1, 1)
	c, s := pair(t)
	srv := hasp.Server(s, haspServerConfig(testcerts.P256))
	go func() {
		c.Write(rec)
		io.Copy(io.Discard, c)
	}()
	var ae *hasp.AlertError
	if err := srv.Handshake(); !errors.As(err, &ae) || ae.Alert != hasp.AlertUnexpectedMessage || ae.Remote {
		t.Fatalf("server: %v; want unexpected_message", err)
	}
}

// RFC 8446 section 5.1: a KeyUpdate must end its record; a second
// handshake message after it in the same record is unexpected_message.
func TestKeyUpdateNotAtRecordEnd(t *testing.T) {
	rec, _, srv := rawClient(t)
	ku := (&wire.KeyUpdate{}).Marshal()
	rec.WriteRecord(wire.TypeHandshake, append(append([]byte(nil), ku...), ku...))
	rec.Flush()
	expectAlert(t, srv, rec, hasp.AlertUnexpectedMessage)
}

// RFC 8446 section 4.2.10: a server that answers a ClientHello offering
// early data with a HelloRetryRequest skips the client's 0-RTT records
// (encrypted, so of type application_data) until ClientHello2, and goes
// on with the handshake.
func TestEarlyDataSkippedAfterHelloRetry(t *testing.T) {
	c, s := pair(t)
	srv := hasp.Server(s, haspServerConfig(testcerts.P256))
	go srv.Handshake()
	// No share for a group the server takes: it must ask for P-256.
	ch1 := func(ch *wire.ClientHello) {
		ch.SupportedGroups = []uint16{wire.GroupSecp256r1}
		ch.KeyShares = nil
		ch.EarlyData = true
	}
	rand1 := [32]byte{1}
	if _, err := c.Write(clientHelloRecord(func(ch *wire.ClientHello) { ch1(ch); ch.Random = rand1 })); err != nil {
		t.Fatal(err)
	}
	r := record.New(c)
	typ, payload, err := r.ReadRecord()
	if err != nil || typ != wire.TypeHandshake {
		t.Fatalf("after ClientHello1: %s %v", typ, err)
	}
	var hrr wire.ServerHello
	if err := hrr.Unmarshal(payload); err != nil || !hrr.IsHelloRetryRequest() {
		t.Fatalf("no HelloRetryRequest: %v", err)
	}
	cookie := append([]byte(nil), hrr.Cookie...)
	// Two 0-RTT records, then ClientHello2.
	early := append([]byte{23, 3, 3, 0, 40}, make([]byte, 40)...)
	c.Write(append(early, early...))
	ch2 := clientHelloRecord(func(ch *wire.ClientHello) {
		ch1(ch)
		ch.Random = rand1
		ch.EarlyData = false
		ch.Cookie = cookie
		p256 := make([]byte, 65)
		p256[0] = 4
		ch.KeyShares = []wire.KeyShare{{Group: wire.GroupSecp256r1, Data: p256}}
	})
	c.Write(ch2)
	for {
		typ, payload, err = r.ReadRecord()
		if err != nil {
			t.Fatalf("reading the server's answer to ClientHello2: %v", err)
		}
		if typ != wire.TypeChangeCipherSpec {
			break
		}
	}
	// The point is invalid (not on the curve), so the server refuses the
	// share: with illegal_parameter, not unexpected_message for the early
	// data it had to skip.
	if typ != wire.TypeAlert || len(payload) != 2 || hasp.Alert(payload[1]) != hasp.AlertIllegalParameter {
		t.Fatalf("server answered ClientHello2 with %s %x; want the illegal_parameter alert about the share", typ, payload)
	}
}

// RFC 8446 section 4.4.2.2: a peer whose leaf has keyUsage without
// digitalSignature cannot sign the handshake: bad_certificate, both for a
// server's and for a client's certificate, in TLS 1.3 and 1.2.
func TestLeafKeyUsageWithoutDigitalSignature(t *testing.T) {
	leaf := testCA.IssueWith(testcerts.P256, testcerts.Options{KeyUsage: x509.KeyUsageKeyEncipherment}, "localhost")
	for _, max := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
		c, s := pair(t)
		cc := haspClientConfig()
		cc.MaxVersion = max
		cli, srv := hasp.Client(c, cc), hasp.Server(s, &hasp.Config{Certificates: []hasp.Certificate{haspCert(leaf)}})
		cerr, _ := handshake(cli, srv)
		var ae *hasp.AlertError
		if !errors.As(cerr, &ae) || ae.Alert != hasp.AlertBadCertificate || ae.Remote {
			t.Errorf("%x: client: %v, want bad_certificate", max, cerr)
		}
	}
}

// certificate_authorities is a hint (RFC 8446 4.2.4): a client whose only
// certificate is not from a CA the server named still sends it when its
// key fits the server's schemes (as OpenSSL and BoringSSL do), in TLS 1.3
// and in TLS 1.2 (where an RSA key may sign PKCS#1 v1.5).
func TestClientCertificateOutsideNamedCAs(t *testing.T) {
	other := testcerts.NewCA("some other CA")
	for _, kt := range []testcerts.KeyType{testcerts.P256, testcerts.RSA2048} {
		for _, max := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
			client := testCA.IssueWith(kt, testcerts.Options{Client: true}, "client")
			cc := haspClientConfig()
			cc.MaxVersion = max
			cc.Certificates = []hasp.Certificate{haspCert(client)}
			sc := haspServerConfig(testcerts.P256)
			sc.ClientAuth = hasp.RequireAnyClientCert
			sc.ClientCAs = other.Pool()
			c, s := pair(t)
			cli, srv := hasp.Client(c, cc), hasp.Server(s, sc)
			if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
				t.Fatalf("%v %x: client %v, server %v", kt, max, cerr, serr)
			}
			if got := srv.ConnectionState().PeerCertificates; len(got) == 0 || got[0].Subject.CommonName != "client" {
				t.Errorf("%v %x: server got %d certificates", kt, max, len(got))
			}
		}
	}
}

// A server with several certificates takes the first the client can use:
// in TLS 1.2 one whose key has an offered ECDHE suite (and, for ECDSA, a
// curve in supported_groups, RFC 8422 5.1); in TLS 1.3 one with an offered
// signature scheme.
func TestServerCertificateChoice(t *testing.T) {
	rsaCert := haspCert(leaf(testcerts.RSA2048))
	p256 := haspCert(leaf(testcerts.P256))
	p384 := haspCert(testCA.Issue(testcerts.P384, "localhost"))
	for _, tc := range []struct {
		name  string
		certs []hasp.Certificate
		cfg   func(*tls.Config)
		want  string // the key type the client saw
	}{
		{"1.2 ECDSA suites only", []hasp.Certificate{rsaCert, p256}, func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		}, "*ecdsa.PublicKey"},
		{"1.2 RSA suites only", []hasp.Certificate{p256, rsaCert}, func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
		}, "*rsa.PublicKey"},
		{"1.2 P-384 certificate, client groups P-256 only", []hasp.Certificate{p384, rsaCert}, func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CurvePreferences = []tls.CurveID{tls.CurveP256}
		}, "*rsa.PublicKey"},
		{"1.3 the first that fits", []hasp.Certificate{p256, rsaCert}, func(c *tls.Config) {
			// crypto/tls offers every scheme; a server with a P-256 key
			// first takes it: the choice follows the client's schemes.
		}, "*ecdsa.PublicKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := pair(t)
			cc := stdClientConfig()
			cc.MinVersion = tls.VersionTLS12
			tc.cfg(cc)
			cli, srv := tls.Client(c, cc), hasp.Server(s, &hasp.Config{Certificates: tc.certs})
			if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			if got := fmt.Sprintf("%T", cli.ConnectionState().PeerCertificates[0].PublicKey); got != tc.want {
				t.Fatalf("client got a %s key, want %s", got, tc.want)
			}
		})
	}
}

// Handshake bytes after the message that ends the peer's flight (here
// the start of another message in the ClientHello's record) are
// unexpected_message: the client may send nothing more before it reads
// the server's answer. RFC 8446 section 5.1 demands it where keys change;
// hasp checks every flight, as BoringSSL does (BoGo's Partial* tests).
func TestHandshakeDataAfterFlight(t *testing.T) {
	rec := clientHelloRecord(func(*wire.ClientHello) {})
	rec = append(rec, byte(wire.TypeClientKeyExchange), 0, 0, 5) // a header, no body
	n := len(rec) - 5
	rec[3], rec[4] = byte(n>>8), byte(n)
	expectFirstFlightAlert(t, rec, hasp.AlertUnexpectedMessage)
}

// A first record of an unknown content type is unexpected_message (RFC
// 8446 section 5), whatever its version bytes say (BoringSSL checks the
// version first: BoGo's Garbage is disabled for it).
func TestUnknownContentTypeFirst(t *testing.T) {
	expectFirstFlightAlert(t, []byte{98, 0x62, 0x62, 0, 1, 0}, hasp.AlertUnexpectedMessage)
}
