package engine

import (
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

func configsDTLS12() (*Config, *Config) {
	c, s := configs12()
	c.Variant, s.Variant = DTLS, DTLS
	c.MaxVersion, s.MaxVersion = versionDTLS12, versionDTLS12
	return c, s
}

// A DTLS 1.2 handshake after a HelloVerifyRequest (RFC 6347 4.2.1): the
// client sends its ClientHello again with the cookie (message_seq 1), a
// fresh server engine takes it from there and numbers its own messages
// from 1 (4.2.2), and both ends agree on the transcript.
func TestDTLS12HelloVerifyRequest(t *testing.T) {
	cc, sc := configsDTLS12()
	c := NewClient(cc)
	acts, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || acts[0].Seq != 0 {
		t.Fatalf("first flight %+v", acts)
	}
	var ch1 wire.ClientHello
	if err := ch1.UnmarshalDatagram(acts[0].Msg); err != nil || len(ch1.LegacyCookie) != 0 || ch1.Vers != versionDTLS12 {
		t.Fatalf("ClientHello1 %v, cookie %x, version %x", err, ch1.LegacyCookie, ch1.Vers)
	}
	cookie := []byte("cookie from the transport")
	acts, err = c.Handle(LevelInitial, (&wire.HelloVerifyRequest{Vers: 0xfeff, Cookie: cookie}).Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || acts[0].Seq != 1 {
		t.Fatalf("after HelloVerifyRequest %+v", acts)
	}
	var ch2 wire.ClientHello
	if err := ch2.UnmarshalDatagram(acts[0].Msg); err != nil || string(ch2.LegacyCookie) != string(cookie) || ch2.Random != ch1.Random {
		t.Fatalf("ClientHello2 %v, cookie %q", err, ch2.LegacyCookie)
	}
	s := NewServer(sc)
	s.StartSeq(1)
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	sacts, err := s.Handle(LevelInitial, acts[0].Msg)
	if err != nil {
		t.Fatal(err)
	}
	want := uint16(1)
	for _, a := range sacts {
		if a.Kind == ActSend {
			if a.Seq != want {
				t.Fatalf("server message %s has message_seq %d, want %d", wire.HandshakeName(a.Msg[0]), a.Seq, want)
			}
			want++
		}
	}
	// The rest of the handshake through the usual driver.
	r := drive12rest(t, c, s, sends12(sacts))
	if r.err != nil {
		t.Fatalf("%s: %v", r.errSide, r.err)
	}
	if string(c.State().Ext.MasterSecret12) != string(s.State().Ext.MasterSecret12) || c.State().Version != versionDTLS12 {
		t.Fatal("handshake did not agree")
	}
	// A second HelloVerifyRequest is not answered (no loop).
	c2 := NewClient(cc)
	c2.Start()
	c2.Handle(LevelInitial, (&wire.HelloVerifyRequest{Vers: 0xfeff, Cookie: cookie}).Marshal())
	if _, err := c2.Handle(LevelInitial, (&wire.HelloVerifyRequest{Vers: 0xfeff, Cookie: cookie}).Marshal()); err == nil {
		t.Error("a second HelloVerifyRequest was answered")
	}
}

// drive12rest continues a TLS 1.2 handshake from the server's first
// flight.
func drive12rest(t *testing.T, c, s Engine, toClient []msg) result {
	t.Helper()
	for steps := 0; steps < 16; steps++ {
		var toServer []msg
		for _, m := range toClient {
			var acts []Action
			var err error
			if m.data == nil {
				acts, err = c.HandleCCS()
			} else {
				acts, err = c.Handle(m.level, m.data)
			}
			if err != nil {
				return result{err, "client"}
			}
			toServer = append(toServer, sends12(acts)...)
		}
		toClient = nil
		for _, m := range toServer {
			var acts []Action
			var err error
			if m.data == nil {
				acts, err = s.HandleCCS()
			} else {
				acts, err = s.Handle(m.level, m.data)
			}
			if err != nil {
				return result{err, "server"}
			}
			toClient = append(toClient, sends12(acts)...)
		}
		if c.Done() && s.Done() && len(toClient) == 0 {
			return result{}
		}
	}
	t.Fatal("handshake did not finish")
	return result{}
}
