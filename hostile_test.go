package hasp_test

import (
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/record"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

// rawClient completes a handshake with a hasp server using the engine and
// record layer directly, so a test can then send any record it likes
// under the real keys.
func rawClient(t *testing.T) (*record.Conn, net.Conn, *hasp.Conn) {
	t.Helper()
	c, s := pair(t)
	srv := hasp.Server(s, haspServerConfig(testcerts.P256))
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	eng := engine.NewClient(&engine.Config{
		Rand: rand.Reader, ServerName: "localhost", CipherSuites: suite.TLS13IDs(),
		Groups: []uint16{wire.GroupX25519}, KeyShares: []uint16{wire.GroupX25519},
		SigSchemes: []uint16{wire.ECDSAWithP256AndSHA256}, NoCompatMode: true,
	})
	rec := record.New(c)
	apply := func(acts []engine.Action) {
		for _, a := range acts {
			switch a.Kind {
			case engine.ActSend:
				rec.WriteRecord(wire.TypeHandshake, a.Msg)
			case engine.ActReadKey:
				rec.SetReadKey(a.Suite, a.Secret)
			case engine.ActWriteKey:
				rec.SetWriteKey(a.Suite, a.Secret)
			}
		}
		if err := rec.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	acts, err := eng.Start()
	if err != nil {
		t.Fatal(err)
	}
	apply(acts)
	var buf []byte
	level := engine.LevelInitial
	for !eng.Done() {
		typ, payload, err := rec.ReadRecord()
		if err != nil {
			t.Fatalf("raw client read: %v", err)
		}
		if typ == wire.TypeChangeCipherSpec {
			// The server's compatibility CCS (RFC 8446 D.4): dropped.
			continue
		}
		if typ != wire.TypeHandshake {
			t.Fatalf("raw client got %s", typ)
		}
		buf = append(buf, payload...)
		for {
			_, n, ok := wire.ParseHandshakeHeader(buf)
			if !ok || len(buf) < 4+n {
				break
			}
			m := buf[:4+n]
			acts, err := eng.Handle(level, m)
			if err != nil {
				t.Fatalf("raw client: %v", err)
			}
			for _, a := range acts {
				if a.Kind == engine.ActReadKey {
					level = a.Level
				}
			}
			apply(acts)
			buf = buf[4+n:]
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	return rec, c, srv
}

// expectAlert checks that the server's Read fails with alert a raised
// locally, and that the alert arrived on the wire.
func expectAlert(t *testing.T, srv *hasp.Conn, rec *record.Conn, a hasp.Alert) {
	t.Helper()
	_, err := srv.Read(make([]byte, 64))
	var ae *hasp.AlertError
	if !errors.As(err, &ae) || ae.Alert != a || ae.Remote {
		t.Fatalf("server Read: %v; want local %s", err, a)
	}
	for {
		typ, payload, err := rec.ReadRecord()
		if err != nil {
			t.Fatalf("no alert on the wire: %v", err)
		}
		if typ == wire.TypeAlert {
			if len(payload) != 2 || payload[0] != wire.AlertLevelFatal || hasp.Alert(payload[1]) != a {
				t.Fatalf("alert on the wire %x; want fatal %s", payload, a)
			}
			break
		}
	}
	// After a fatal alert the transport is closed, without close_notify.
	if _, _, err := rec.ReadRecord(); err == nil {
		t.Fatalf("records after the fatal alert")
	}
}

func TestHostileRecords(t *testing.T) {
	t.Run("flood of empty records", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		for i := 0; i < 100; i++ {
			rec.WriteRecord(wire.TypeApplicationData, nil)
		}
		rec.Flush()
		expectAlert(t, srv, rec, hasp.AlertUnexpectedMessage)
	})
	t.Run("32 empty records pass", func(t *testing.T) {
		// Counted apart from other records without progress: 32 in a row
		// are tolerated (as BoringSSL's SendEmptyRecords-Pass expects),
		// the 33rd is not (the flood above).
		rec, _, srv := rawClient(t)
		for i := 0; i < 32; i++ {
			rec.WriteRecord(wire.TypeApplicationData, nil)
		}
		rec.WriteRecord(wire.TypeApplicationData, []byte("x"))
		rec.Flush()
		buf := make([]byte, 1)
		if _, err := io.ReadFull(srv, buf); err != nil || buf[0] != 'x' {
			t.Fatalf("server Read after 32 empty records: %q, %v", buf, err)
		}
	})
	t.Run("warning alerts: four pass, the fifth does not", func(t *testing.T) {
		// user_canceled is a warning in any version (RFC 8446 6.1); four
		// in a row are tolerated, as BoringSSL does.
		rec, _, srv := rawClient(t)
		for i := 0; i < 4; i++ {
			rec.WriteRecord(wire.TypeAlert, []byte{1, byte(wire.AlertUserCanceled)})
		}
		rec.WriteRecord(wire.TypeApplicationData, []byte("x"))
		rec.Flush()
		if _, err := io.ReadFull(srv, make([]byte, 1)); err != nil {
			t.Fatalf("after four warnings: %v", err)
		}
		for i := 0; i < 5; i++ {
			rec.WriteRecord(wire.TypeAlert, []byte{1, byte(wire.AlertUserCanceled)})
		}
		rec.Flush()
		expectAlert(t, srv, rec, hasp.AlertUnexpectedMessage)
	})
	t.Run("oversized record", func(t *testing.T) {
		rec, c, srv := rawClient(t)
		// 2^14 + 256 + 1 bytes of ciphertext: one more than RFC 8446
		// section 5.2 allows.
		c.Write(append([]byte{23, 3, 3, 0x41, 0x01}, make([]byte, 0x4101)...))
		expectAlert(t, srv, rec, hasp.AlertRecordOverflow)
	})
	t.Run("record that does not decrypt", func(t *testing.T) {
		rec, c, srv := rawClient(t)
		c.Write(append([]byte{23, 3, 3, 0, 40}, make([]byte, 40)...))
		expectAlert(t, srv, rec, hasp.AlertBadRecordMAC)
	})
	t.Run("change_cipher_spec after the handshake", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		rec.WriteRecord(wire.TypeChangeCipherSpec, []byte{1})
		rec.Flush()
		expectAlert(t, srv, rec, hasp.AlertUnexpectedMessage)
	})
	t.Run("unknown content type", func(t *testing.T) {
		rec, c, srv := rawClient(t)
		c.Write([]byte{99, 3, 3, 0, 1, 0})
		expectAlert(t, srv, rec, hasp.AlertUnexpectedMessage)
	})
	t.Run("unexpected handshake message after the handshake", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		rec.WriteRecord(wire.TypeHandshake, (&wire.Finished{VerifyData: make([]byte, 32)}).Marshal())
		rec.Flush()
		expectAlert(t, srv, rec, hasp.AlertUnexpectedMessage)
	})
	t.Run("flood of KeyUpdates", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		// Each KeyUpdate must switch keys; a flood under the same key is
		// also refused, whichever comes first.
		for i := 0; i < 40; i++ {
			rec.WriteRecord(wire.TypeHandshake, (&wire.KeyUpdate{}).Marshal())
		}
		rec.Flush()
		_, err := srv.Read(make([]byte, 1))
		var ae *hasp.AlertError
		if !errors.As(err, &ae) || ae.Remote {
			t.Fatalf("server Read: %v; want a local alert", err)
		}
	})
	t.Run("oversized handshake message", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		rec.WriteRecord(wire.TypeHandshake, []byte{wire.TypeKeyUpdate, 0x10, 0, 0})
		rec.Flush()
		expectAlert(t, srv, rec, hasp.AlertIllegalParameter)
	})
	t.Run("peer alert surfaces as remote", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		rec.WriteRecord(wire.TypeAlert, []byte{2, byte(wire.AlertInternalError)})
		rec.Flush()
		_, err := srv.Read(make([]byte, 1))
		var ae *hasp.AlertError
		if !errors.As(err, &ae) || !ae.Remote || ae.Alert != wire.AlertInternalError {
			t.Fatalf("server Read: %v; want remote internal_error", err)
		}
	})
	t.Run("close_notify is EOF", func(t *testing.T) {
		rec, _, srv := rawClient(t)
		rec.WriteRecord(wire.TypeAlert, []byte{1, 0})
		rec.Flush()
		if _, err := srv.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("server Read: %v; want io.EOF", err)
		}
	})
}

// Hostile bytes before any handshake.
func TestHostileFirstFlight(t *testing.T) {
	cases := []struct {
		name  string
		bytes []byte
		alert hasp.Alert
	}{
		{"not TLS at all", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), wire.AlertDecodeError},
		{"SSL 2.0 ClientHello", []byte{0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0, 0, 0, 0x10}, wire.AlertProtocolVersion},
		{"SSL 2.0-format hello for TLS 1.0", []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0, 0, 0, 0x10}, wire.AlertProtocolVersion},
		{"application data first", []byte{23, 3, 3, 0, 5, 1, 2, 3, 4, 5}, wire.AlertUnexpectedMessage},
		{"change_cipher_spec first", []byte{20, 3, 3, 0, 1, 1}, wire.AlertUnexpectedMessage},
		{"empty handshake record", []byte{22, 3, 1, 0, 0}, wire.AlertUnexpectedMessage},
		{"oversized plaintext record", append([]byte{22, 3, 1, 0x40, 0x01}, make([]byte, 0x4001)...), wire.AlertRecordOverflow},
		{"TLS 1.0 ClientHello", tls10Hello(), wire.AlertProtocolVersion},
		{"ServerHello to a server", append([]byte{22, 3, 3, 0, 4}, 2, 0, 0, 0), wire.AlertUnexpectedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { expectFirstFlightAlert(t, tc.bytes, tc.alert) })
	}
}

// expectFirstFlightAlert sends bytes to a fresh hasp server and checks
// that its handshake fails with alert a, raised locally and sent.
func expectFirstFlightAlert(t *testing.T, bytes []byte, a hasp.Alert) {
	t.Helper()
	c, s := pair(t)
	srv := hasp.Server(s, haspServerConfig(testcerts.P256))
	go c.Write(bytes)
	err := srv.Handshake()
	var ae *hasp.AlertError
	if !errors.As(err, &ae) || ae.Alert != a || ae.Remote {
		t.Fatalf("server: %v; want %s", err, a)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 7)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("no alert record: %v", err)
	}
	if hdr[0] != byte(wire.TypeAlert) || hdr[5] != wire.AlertLevelFatal || hasp.Alert(hdr[6]) != a {
		t.Fatalf("wire alert %x; want %s", hdr, a)
	}
}

// tls10Hello is a TLS 1.0 ClientHello with no supported_versions.
func tls10Hello() []byte {
	ch := wire.ClientHello{Vers: wire.VersionTLS10, CipherSuites: []uint16{0x002f}, Compression: []uint8{0}, Padding: -1}
	m := ch.Marshal()
	return append([]byte{22, 3, 1, byte(len(m) >> 8), byte(len(m))}, m...)
}
