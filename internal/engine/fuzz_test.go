package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/wire"
)

// feed splits b into handshake messages (by their headers) and gives them
// to e at the level named by the first byte; it stops at the first error.
// Nothing may panic, and every error must carry an alert.
func feed(t *testing.T, e Engine, b []byte) {
	if len(b) == 0 {
		return
	}
	level := Level(b[0] % 4)
	b = b[1:]
	for i := 0; i < 64; i++ {
		_, n, ok := wire.ParseHandshakeHeader(b)
		if !ok || len(b) < 4+n {
			return
		}
		_, err := e.Handle(level, b[:4+n])
		if err != nil {
			if wire.AlertOf(err) == wire.AlertInternalError {
				t.Fatalf("internal_error for peer input: %v", err)
			}
			return
		}
		b = b[4+n:]
	}
}

func FuzzServerEngine(f *testing.F) {
	c := NewClient(clientConfig())
	acts, _ := c.Start()
	f.Add(append([]byte{0}, acts[0].Msg...))
	f.Add(append([]byte{0}, rfcClientHello...))
	f.Add(append(append([]byte{0}, rfcHRRClientHello1...), rfcHRRClientHello2...))
	// A client that keeps tickets (it offers psk_dhe_ke), to a server
	// that sends them with its flight (bit 2 of the first byte).
	kc := clientConfig()
	kc.KeyShares = []uint16{wire.GroupX25519}
	kc.OnTicket = func(*Ticket) {}
	kacts, _ := NewClient(kc).Start()
	f.Add(append([]byte{4}, kacts[0].Msg...))
	f.Fuzz(func(t *testing.T, b []byte) {
		// x25519 only: ML-KEM under coverage instrumentation would slow
		// the fuzzer a hundredfold without reaching more of the engine.
		cfg := serverConfig()
		cfg.Groups = []uint16{wire.GroupX25519, wire.GroupSecp256r1}
		if len(b) > 0 && b[0]&4 != 0 {
			// feed takes the level from the low two bits.
			cfg.Tickets, cfg.TicketsInFlight = 2, true
		}
		feed(t, NewServer(cfg), b)
	})
}

func fuzzClientConfig() *Config {
	cfg := clientConfig()
	cfg.Groups = []uint16{wire.GroupX25519, wire.GroupSecp256r1}
	cfg.KeyShares = []uint16{wire.GroupX25519}
	return cfg
}

func FuzzClientEngine(f *testing.F) {
	f.Add(append([]byte{0}, rfcServerHello...))
	f.Add(append([]byte{0}, rfcHRR...))
	f.Add(append([]byte{2}, rfcEncryptedExtensions...))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewClient(fuzzClientConfig())
		if _, err := c.Start(); err != nil {
			t.Fatal(err)
		}
		feed(t, c, b)
	})
}

// FuzzClientAfterServerHello starts the client from a real ServerHello so
// the fuzzer reaches the encrypted part of the server's flight: the input
// replaces the rest of the server's messages.
func FuzzClientAfterServerHello(f *testing.F) {
	f.Add([]byte{2, 8, 0, 0, 2, 0, 0})
	f.Add(append([]byte{2}, rfcEncryptedExtensions...))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, s := NewClient(fuzzClientConfig()), NewServer(serverConfig())
		acts, err := c.Start()
		if err != nil {
			t.Fatal(err)
		}
		acts, err = s.Handle(LevelInitial, acts[0].Msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Handle(LevelInitial, sends(acts)[0].data); err != nil {
			t.Fatal(err)
		}
		feed(t, c, b)
	})
}

// FuzzParseSession: the ticket plaintext decoder (it only ever sees what
// the ticket AEAD opened, but it must still never panic) round-trips.
func FuzzParseSession(f *testing.F) {
	s := Session{Version: wire.VersionTLS13, Suite: wire.TLS_AES_128_GCM_SHA256, CreatedAt: time.Unix(1700000000, 0),
		ExpiresAt: time.Unix(1700003600, 0), AgeAdd: 7, ResumptionSecret: make([]byte, 32), Nonce: []byte{1},
		ALPN: "h2", ServerName: "example.com", PeerChain: [][]byte{{0x30, 0}}}
	f.Add(s.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSession(b)
		if err != nil {
			return
		}
		s2, err := ParseSession(s.Marshal())
		if err != nil || !bytes.Equal(s2.Marshal(), s.Marshal()) {
			t.Fatalf("session does not round-trip: %v", err)
		}
	})
}
