package engine

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/wire"
)

// cookieSealer seals cookies with AES-GCM under a key of the test's own.
func cookieSealer(t *testing.T) (func([]byte) ([]byte, error), func([]byte) ([]byte, error)) {
	key := make([]byte, 16)
	rand.Read(key)
	b, _ := aes.NewCipher(key)
	a, _ := cipher.NewGCM(b)
	seal := func(p []byte) ([]byte, error) {
		n := make([]byte, a.NonceSize())
		rand.Read(n)
		return a.Seal(n, n, p, nil), nil
	}
	open := func(c []byte) ([]byte, error) {
		if len(c) < a.NonceSize() {
			return nil, errors.New("short")
		}
		return a.Open(nil, c[:a.NonceSize()], c[a.NonceSize():], nil)
	}
	return seal, open
}

// retryConfigs make a HelloRetryRequest certain: the client sends an
// x25519 share only, the server wants P-256 first.
func retryConfigs(t *testing.T) (*Config, *Config) {
	cc, sc := clientConfig(), serverConfig()
	cc.KeyShares = []uint16{wire.GroupX25519}
	sc.Groups = []uint16{wire.GroupSecp256r1}
	sc.SealCookie, sc.OpenCookie = cookieSealer(t)
	return cc, sc
}

// pump runs a handshake from the client's first flight to the end.
func pump(c, s Engine, toServer []msg) error {
	for steps := 0; steps < 16; steps++ {
		var toClient []msg
		for _, m := range toServer {
			acts, err := s.Handle(m.level, m.data)
			if err != nil {
				return err
			}
			toClient = append(toClient, sends(acts)...)
		}
		toServer = nil
		for _, m := range toClient {
			acts, err := c.Handle(m.level, m.data)
			if err != nil {
				return err
			}
			toServer = append(toServer, sends(acts)...)
		}
		if c.Done() && s.Done() && len(toServer) == 0 {
			return nil
		}
	}
	return errors.New("handshake did not finish")
}

// firstRound sends ClientHello1 to a server engine and returns the
// client's ClientHello2 (the answer to the HelloRetryRequest).
func firstRound(t *testing.T, c Engine, s *Server) []msg {
	t.Helper()
	acts, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	ch1 := sends(acts)
	acts, err = s.Handle(ch1[0].level, ch1[0].data)
	if err != nil {
		t.Fatal(err)
	}
	hrr := sends(acts)
	if len(hrr) != 1 {
		t.Fatalf("server answered with %d messages", len(hrr))
	}
	var sh wire.ServerHello
	if err := sh.Unmarshal(hrr[0].data); err != nil || !sh.IsHelloRetryRequest() {
		t.Fatalf("not a HelloRetryRequest: %v", err)
	}
	acts, err = c.Handle(hrr[0].level, hrr[0].data)
	if err != nil {
		t.Fatal(err)
	}
	return sends(acts)
}

// RFC 8446 section 4.2.2: a server may answer ClientHello1 with a
// HelloRetryRequest and keep nothing: ClientHello2 reaches a fresh
// engine, which rebuilds the transcript from the cookie and finishes the
// handshake (the client's Finished checks the transcript).
func TestStatelessHelloRetry(t *testing.T) {
	cc, sc := retryConfigs(t)
	c, s1 := NewClient(cc), NewServer(sc)
	ch2 := firstRound(t, c, s1)
	if s1.ch1 != nil || s1.ch1Raw != nil {
		t.Fatal("the server kept ClientHello1")
	}
	s2 := NewServer(sc)
	if err := pump(c, s2, ch2); err != nil {
		t.Fatal(err)
	}
	cs, ss := c.State(), s2.State()
	if !cs.HelloRetry || !ss.HelloRetry || ss.Group != wire.GroupSecp256r1 || string(cs.ExporterSecret) != string(ss.ExporterSecret) {
		t.Fatalf("client %+v\nserver %+v", cs, ss)
	}
}

func TestStatelessHelloRetryRefusals(t *testing.T) {
	edit := func(f func(*wire.ClientHello)) func([]msg) []msg {
		return func(m []msg) []msg {
			var ch wire.ClientHello
			if err := ch.Unmarshal(m[0].data); err != nil {
				panic(err)
			}
			f(&ch)
			ch.Raw = nil
			m[0].data = ch.Marshal()
			return m
		}
	}
	for _, tc := range []struct {
		name   string
		change func([]msg) []msg
		later  time.Duration
	}{
		{"cipher suites changed", edit(func(ch *wire.ClientHello) { ch.CipherSuites = ch.CipherSuites[1:] }), 0},
		{"random changed", edit(func(ch *wire.ClientHello) { ch.Random[0] ^= 1 }), 0},
		{"forged cookie", edit(func(ch *wire.ClientHello) { ch.Cookie = append([]byte(nil), ch.Cookie...); ch.Cookie[20] ^= 1 }), 0},
		{"cookie too old", nil, 3 * time.Minute},
		// RFC 8446 4.1.2: early_data is removed from ClientHello2; hasp
		// refuses it at once (BoringSSL ignores it, so BoGo's
		// SkipEarlyData-SecondClientHelloEarlyData is disabled).
		{"early_data in ClientHello2", edit(func(ch *wire.ClientHello) { ch.EarlyData = true }), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := retryConfigs(t)
			c := NewClient(cc)
			ch2 := firstRound(t, c, NewServer(sc))
			if tc.change != nil {
				ch2 = tc.change(ch2)
			}
			later := *sc
			later.Now = func() time.Time { return time.Now().Add(tc.later) }
			_, err := NewServer(&later).Handle(ch2[0].level, ch2[0].data)
			if wire.AlertOf(err) != wire.AlertIllegalParameter {
				t.Fatalf("got %v, want illegal_parameter", err)
			}
		})
	}
}

// A ClientHello2 that comes back to the engine that sent the stateless
// HelloRetryRequest is checked against ClientHello1 too (RFC 8446 4.1.2).
func TestStatelessRetrySameEngine(t *testing.T) {
	cc, sc := retryConfigs(t)
	c, s := NewClient(cc), NewServer(sc)
	ch2 := firstRound(t, c, s)
	var ch wire.ClientHello
	if err := ch.Unmarshal(ch2[0].data); err != nil {
		t.Fatal(err)
	}
	ch.Random[0] ^= 1
	ch.Raw = nil
	if _, err := s.Handle(LevelInitial, ch.Marshal()); wire.AlertOf(err) != wire.AlertIllegalParameter {
		t.Fatalf("changed ClientHello2 on the same engine: %v", err)
	}
	// And the unchanged one completes there.
	c, s = NewClient(cc), NewServer(sc)
	if err := pump(c, s, firstRound(t, c, s)); err != nil {
		t.Fatal(err)
	}
}

// A cookie is bound to CookieBinding (the client's address): replayed
// from elsewhere it is refused.
func TestCookieBinding(t *testing.T) {
	cc, sc := retryConfigs(t)
	sc.CookieBinding = []byte("192.0.2.1:4433")
	c := NewClient(cc)
	ch2 := firstRound(t, c, NewServer(sc))
	other := *sc
	other.CookieBinding = []byte("198.51.100.7:4433")
	if _, err := NewServer(&other).Handle(ch2[0].level, ch2[0].data); wire.AlertOf(err) != wire.AlertIllegalParameter {
		t.Fatalf("cookie from another address: %v", err)
	}
	if err := pump(c, NewServer(sc), ch2); err != nil {
		t.Fatalf("cookie from its own address: %v", err)
	}
}
