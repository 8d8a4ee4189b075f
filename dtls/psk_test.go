package dtls_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	piondtls "github.com/pion/dtls/v3"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/dtls"
)

var (
	pskIdentity = []byte("sensor-17")
	pskKey      = []byte("0123456789abcdef0123456789abcdef")
)

func pskServer(suites ...uint16) *hasp.Config {
	return &hasp.Config{CipherSuites: suites, PSK: &hasp.PSKConfig{Hint: []byte("hasp gateway"),
		ServerKey: func(id []byte) ([]byte, error) {
			if bytes.Equal(id, pskIdentity) {
				return pskKey, nil
			}
			return nil, errors.New("unknown")
		}}}
}

func pskClient(suites ...uint16) *hasp.Config {
	return &hasp.Config{CipherSuites: suites, PSK: &hasp.PSKConfig{Identity: pskIdentity, Key: pskKey}}
}

// Pre-shared keys (RFC 4279, RFC 5489), the IoT profile of RFC 7925: no
// certificates at all.
func TestPSK(t *testing.T) {
	for _, id := range []uint16{hasp.TLS_PSK_WITH_AES_128_CCM_8, hasp.TLS_PSK_WITH_AES_128_GCM_SHA256,
		hasp.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256, hasp.TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256, hasp.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256} {
		t.Run(hasp.CipherSuiteName(id), func(t *testing.T) {
			a, b := udpPair(t)
			c, err := dtls.Client(a, b.LocalAddr(), pskClient(id))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := dtls.Server(b, a.LocalAddr(), pskServer(id))
			defer c.Close()
			defer s.Close()
			if cerr, serr := handshakeBoth(c, s); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			st := s.ConnectionState()
			if st.CipherSuite != id || !bytes.Equal(st.PSKIdentity, pskIdentity) || len(st.PeerCertificates) != 0 {
				t.Fatalf("negotiated %s, identity %q", hasp.CipherSuiteName(st.CipherSuite), st.PSKIdentity)
			}
			echo(t, c, s)
		})
	}
	// A wrong key: the client's Finished does not decrypt, which DTLS
	// drops without a word (RFC 6347 4.1.2.7), so both ends retransmit
	// until they give up (virtual time).
	t.Run("wrong key", func(t *testing.T) {
		n := newLossyNet(1, 0, 0)
		clock := newVirtualClock()
		cc := pskClient(hasp.TLS_PSK_WITH_AES_128_CCM_8)
		cc.PSK.Key = []byte("not the key")
		c, _ := dtls.Client(n.ends[0], n.ends[1].addr, cc, dtls.WithClock(clock))
		s, _ := dtls.Server(n.ends[1], n.ends[0].addr, pskServer(hasp.TLS_PSK_WITH_AES_128_CCM_8), dtls.WithClock(clock))
		defer c.Close()
		defer s.Close()
		done := make(chan struct{})
		defer close(done)
		go n.run(clock, done)
		serr := make(chan error, 1)
		go func() { serr <- s.Handshake() }()
		if err := c.Handshake(); !errors.Is(err, dtls.ErrHandshakeTimeout) {
			t.Errorf("client with a wrong key: %v", err)
		}
		if err := <-serr; !errors.Is(err, dtls.ErrHandshakeTimeout) {
			t.Errorf("server: %v", err)
		}
	})
	// An unknown identity is named in the alert.
	t.Run("unknown identity", func(t *testing.T) {
		a, b := udpPair(t)
		cc := pskClient(hasp.TLS_PSK_WITH_AES_128_CCM_8)
		cc.PSK.Identity = []byte("someone")
		c, _ := dtls.Client(a, b.LocalAddr(), cc)
		s, _ := dtls.Server(b, a.LocalAddr(), pskServer(hasp.TLS_PSK_WITH_AES_128_CCM_8))
		defer c.Close()
		defer s.Close()
		serr := make(chan error, 1)
		go func() { serr <- s.Handshake() }()
		var ae *hasp.AlertError
		if err := c.Handshake(); !errors.As(err, &ae) || ae.Alert != hasp.AlertUnknownPSKIdentity || !ae.Remote {
			t.Errorf("client with an unknown identity: %v", err)
		}
		if err := <-serr; err == nil || !strings.Contains(err.Error(), "someone") {
			t.Errorf("server: %v", err)
		}
	})
}

// PSK with pion (TLS_PSK_WITH_AES_128_CCM_8, both roles), the hint going
// to pion's callback.
func TestPionPSK(t *testing.T) {
	pionPSK := func(hint []byte) ([]byte, error) { return pskKey, nil }
	t.Run("pion client", func(t *testing.T) {
		a, b := udpPair(t)
		s, _ := dtls.Server(b, a.LocalAddr(), pskServer(hasp.TLS_PSK_WITH_AES_128_CCM_8))
		defer s.Close()
		var hint []byte
		pc, err := piondtls.Client(a, b.LocalAddr(), &piondtls.Config{
			PSK: func(h []byte) ([]byte, error) { hint = h; return pskKey, nil }, PSKIdentityHint: pskIdentity,
			CipherSuites: []piondtls.CipherSuiteID{piondtls.TLS_PSK_WITH_AES_128_CCM_8}})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		done := make(chan error, 1)
		go func() { done <- s.Handshake() }()
		if err := pc.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(done); err != nil {
			t.Fatal(err)
		}
		if string(hint) != "hasp gateway" {
			t.Errorf("pion saw hint %q", hint)
		}
		roundTripTo(t, pc, s, "psk from pion")
	})
	t.Run("pion server", func(t *testing.T) {
		a, b := udpPair(t)
		ps, err := piondtls.Server(b, a.LocalAddr(), &piondtls.Config{PSK: pionPSK, PSKIdentityHint: []byte("pion hint"),
			CipherSuites: []piondtls.CipherSuiteID{piondtls.TLS_PSK_WITH_AES_128_CCM_8}})
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		c, _ := dtls.Client(a, b.LocalAddr(), pskClient(hasp.TLS_PSK_WITH_AES_128_CCM_8))
		defer c.Close()
		done := make(chan error, 1)
		go func() { done <- ps.Handshake() }()
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(done); err != nil {
			t.Fatal(err)
		}
		roundTripTo(t, c, ps, "psk from hasp")
	})
}

// PSK with OpenSSL, both roles: PSK-AES128-CCM8 and ECDHE-PSK-CHACHA20.
func TestOpenSSLPSK(t *testing.T) {
	key := hex.EncodeToString(pskKey)
	for _, tc := range []struct {
		cipher string
		id     uint16
	}{{"PSK-AES128-CCM8", hasp.TLS_PSK_WITH_AES_128_CCM_8}, {"ECDHE-PSK-CHACHA20-POLY1305", hasp.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256}} {
		t.Run("s_server/"+tc.cipher, func(t *testing.T) {
			p := startOpenSSL(t, "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-naccept", "1", "-nocert",
				"-psk", key, "-psk_hint", "openssl hint", "-psk_identity", string(pskIdentity), "-cipher", tc.cipher)
			addr := acceptAddr(t, p)
			c, err := dtls.Dial("udp", addr, pskClient(tc.id))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("psk from hasp\n"))
			if !p.out.WaitFor("psk from hasp", 10*time.Second) {
				t.Fatal("s_server did not print what hasp sent")
			}
		})
		t.Run("s_client/"+tc.cipher, func(t *testing.T) {
			l, err := dtls.Listen("udp", "127.0.0.1:0", pskServer(tc.id))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go serveEcho(l)
			p := startOpenSSL(t, "s_client", "-dtls1_2", "-connect", l.Addr().String(), "-psk", key,
				"-psk_identity", string(pskIdentity), "-cipher", tc.cipher, "-ign_eof")
			if !p.out.WaitFor("Cipher is "+tc.cipher, 15*time.Second) && !p.out.WaitFor(tc.cipher, time.Second) {
				t.Fatal("s_client did not connect")
			}
			io := p.stdin
			io.Write([]byte("echo me\n"))
			if !p.out.WaitFor("echo me", 10*time.Second) {
				t.Fatal("no echo seen by s_client")
			}
		})
	}
}

// A session a pre-shared key made resumes (it has no certificate).
func TestPSKResumption(t *testing.T) {
	id := hasp.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256
	l, err := dtls.Listen("udp", "127.0.0.1:0", pskServer(id))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveEcho(l)
	cc := pskClient(id)
	cc.ClientSessionCache = hasp.NewLRUClientSessionCache(2)
	for i := range 2 {
		c, err := dtls.Dial("udp", l.Addr().String(), cc)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ConnectionState().DidResume; got != (i == 1) {
			t.Fatalf("connection %d: resumed %v", i, got)
		}
		roundTrip(t, c, "psk session")
		c.Close()
	}
}
