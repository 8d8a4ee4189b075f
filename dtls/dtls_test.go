package dtls_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

var testCA = testcerts.NewCA("hasp DTLS test CA")

func serverConfig(t testcerts.KeyType) *hasp.Config {
	l := testCA.Issue(t, "localhost", "127.0.0.1")
	return &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}}
}

func clientConfig() *hasp.Config {
	return &hasp.Config{ServerName: "localhost", RootCAs: testCA.Pool()}
}

// udpPair is two UDP sockets on loopback.
func udpPair(t *testing.T) (*net.UDPConn, *net.UDPConn) {
	t.Helper()
	a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// handshakeBoth runs both handshakes and returns their errors.
func handshakeBoth(c, s *dtls.Conn) (cerr, serr error) {
	done := make(chan error, 1)
	go func() {
		err := s.Handshake()
		if err != nil {
			// The client cannot finish either: stop its wait.
			c.Close()
		}
		done <- err
	}()
	cerr = c.Handshake()
	select {
	case serr = <-done:
	case <-time.After(20 * time.Second):
		serr = net.ErrClosed
	}
	return
}

func echo(t *testing.T, c, s *dtls.Conn) {
	t.Helper()
	msg := bytes.Repeat([]byte("hasp dtls "), 50)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, err := s.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("server read %d bytes, %v", n, err)
	}
	if _, err := s.Write(buf[:n]); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err = c.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("client read %d bytes, %v", n, err)
	}
}

func TestHaspToHasp(t *testing.T) {
	for _, kt := range []testcerts.KeyType{testcerts.P256, testcerts.RSA2048} {
		t.Run(string(kt), func(t *testing.T) {
			a, b := udpPair(t)
			c, err := dtls.Client(a, b.LocalAddr(), clientConfig())
			if err != nil {
				t.Fatal(err)
			}
			s, err := dtls.Server(b, a.LocalAddr(), serverConfig(kt))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			defer s.Close()
			if cerr, serr := handshakeBoth(c, s); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			st := c.ConnectionState()
			if st.Version != 0xfefd || !st.HandshakeComplete {
				t.Fatalf("state %+v", st)
			}
			echo(t, c, s)
		})
	}
}

// Resumption by ticket and by session ID (the server keeps no ticket
// key), ALPN and a client certificate, over DTLS 1.2.
func TestResumptionALPNClientAuth(t *testing.T) {
	for _, tickets := range []bool{true, false} {
		t.Run(map[bool]string{true: "ticket", false: "session ID"}[tickets], func(t *testing.T) {
			sc := serverConfig(testcerts.P256)
			sc.SessionTicketsDisabled = !tickets
			sc.NextProtos = []string{"coap", "webrtc"}
			sc.ClientAuth = hasp.RequireAndVerifyClientCert
			sc.ClientCAs = testCA.Pool()
			cc := clientConfig()
			cc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
			cc.NextProtos = []string{"webrtc"}
			cl := testCA.Issue(testcerts.P256, "client")
			cc.Certificates = []hasp.Certificate{{Certificate: cl.Chain, PrivateKey: cl.Key, Leaf: cl.Cert}}
			// Sessions are kept per server address: one listener.
			l, err := dtls.Listen("udp", "127.0.0.1:0", sc)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for i := range 2 {
				accepted := make(chan *dtls.Conn, 1)
				go func() {
					s, err := l.AcceptDTLS()
					if err == nil {
						s.Handshake()
					}
					accepted <- s
				}()
				c, err := dtls.Dial("udp", l.Addr().String(), cc)
				if err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
				s := <-accepted
				cs, ss := c.ConnectionState(), s.ConnectionState()
				if cs.DidResume != (i == 1) || ss.DidResume != (i == 1) {
					t.Fatalf("connection %d: resumed client %v server %v", i, cs.DidResume, ss.DidResume)
				}
				if cs.NegotiatedProtocol != "webrtc" || len(ss.PeerCertificates) == 0 {
					t.Fatalf("connection %d: ALPN %q, client chain %d", i, cs.NegotiatedProtocol, len(ss.PeerCertificates))
				}
				echo(t, c, s)
				c.Close()
				s.Close()
			}
		})
	}
}

// The IoT certificate profile of RFC 7925: ECDHE-ECDSA with AES-CCM-8
// (and AES-CCM), when the Config names it.
func TestCCM(t *testing.T) {
	for _, id := range []uint16{hasp.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, hasp.TLS_ECDHE_ECDSA_WITH_AES_128_CCM} {
		t.Run(hasp.CipherSuiteName(id), func(t *testing.T) {
			a, b := udpPair(t)
			cc, sc := clientConfig(), serverConfig(testcerts.P256)
			cc.CipherSuites, sc.CipherSuites = []uint16{id}, []uint16{id}
			c, _ := dtls.Client(a, b.LocalAddr(), cc)
			s, _ := dtls.Server(b, a.LocalAddr(), sc)
			defer c.Close()
			defer s.Close()
			if cerr, serr := handshakeBoth(c, s); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			if got := c.ConnectionState().CipherSuite; got != id {
				t.Fatalf("negotiated %s", hasp.CipherSuiteName(got))
			}
			echo(t, c, s)
		})
	}
}
