package record

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp/internal/protect"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

type rw struct {
	io.Reader
	io.Writer
}

// FuzzReadRecord feeds arbitrary bytes to the record reader, plaintext and
// protected: it never panics, and every error carries an alert or is an
// I/O end.
func FuzzReadRecord(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0}, false)
	f.Add([]byte{23, 3, 3, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true)
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40}, false)
	// A record sealed under the test key, so the fuzzer starts inside.
	var sealed bytes.Buffer
	w := New(rw{nil, &sealed})
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	w.SetWriteKey(s, make([]byte, 32))
	w.WriteRecord(wire.TypeHandshake, []byte{24, 0, 0, 1, 0})
	w.WriteRecord(wire.TypeApplicationData, []byte("hello"))
	w.Flush()
	f.Add(sealed.Bytes(), true)
	f.Fuzz(func(t *testing.T, b []byte, protected bool) {
		c := New(rw{bytes.NewReader(b), io.Discard})
		if protected {
			c.SetReadKey(s, make([]byte, 32))
		}
		for i := 0; i < 1000; i++ {
			typ, payload, err := c.ReadRecord()
			if err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return
				}
				if wire.AlertOf(err) == wire.AlertInternalError {
					t.Fatalf("error without an alert: %v", err)
				}
				return
			}
			if len(payload) > MaxPlaintext {
				t.Fatalf("%s record of %d bytes accepted", typ, len(payload))
			}
		}
		t.Fatalf("1000 records from %d bytes", len(b))
	})
}

// A record written and read under the same key comes back intact, with
// padding-free inner plaintext, for each suite.
func TestRoundTrip(t *testing.T) {
	for _, id := range suite.TLS13IDs() {
		s := suite.ByID(id)
		var buf bytes.Buffer
		w := New(rw{nil, &buf})
		w.SetWriteKey(s, make([]byte, s.Hash.Size()))
		msgs := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), MaxPlaintext), nil}
		for _, m := range msgs {
			if err := w.WriteRecord(wire.TypeApplicationData, m); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		r := New(rw{&buf, nil})
		r.SetReadKey(s, make([]byte, s.Hash.Size()))
		for _, m := range msgs {
			typ, p, err := r.ReadRecord()
			if err != nil || typ != wire.TypeApplicationData || !bytes.Equal(p, m) {
				t.Fatalf("%s: got %s %d bytes, %v", s.Name, typ, len(p), err)
			}
		}
	}
}

// Steady-state writes and reads allocate nothing.
func TestNoAllocs(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	var buf bytes.Buffer
	buf.Grow(1 << 20)
	w := New(rw{nil, &buf})
	w.SetWriteKey(s, make([]byte, 32))
	r := New(rw{&buf, nil})
	r.SetReadKey(s, make([]byte, 32))
	data := make([]byte, 1024)
	// Warm the pools.
	w.WriteRecord(wire.TypeApplicationData, data)
	w.Flush()
	r.ReadRecord()
	allocs := testing.AllocsPerRun(200, func() {
		w.WriteRecord(wire.TypeApplicationData, data)
		w.Flush()
		if _, _, err := r.ReadRecord(); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per record", allocs)
	}
}

// A server that declined 0-RTT drops records it cannot decrypt, up to a
// limit, then reads the client's handshake records (RFC 8446 4.2.10).
func TestSkipEarlyData(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	var buf bytes.Buffer
	early := New(rw{nil, &buf})
	early.SetWriteKey(s, bytes.Repeat([]byte{1}, 32)) // the early traffic key
	early.WriteRecord(wire.TypeApplicationData, []byte("0-RTT one"))
	early.WriteRecord(wire.TypeApplicationData, []byte("0-RTT two"))
	early.Flush()
	hs := New(rw{nil, &buf})
	hs.SetWriteKey(s, make([]byte, 32)) // the handshake key
	hs.WriteRecord(wire.TypeHandshake, []byte{20, 0, 0, 1, 0})
	hs.Flush()

	r := New(rw{bytes.NewReader(buf.Bytes()), nil})
	r.SetReadKey(s, make([]byte, 32))
	r.SkipEarlyData(1 << 16)
	typ, p, err := r.ReadRecord()
	if err != nil || typ != wire.TypeHandshake || len(p) != 5 {
		t.Fatalf("got %s %x %v", typ, p, err)
	}
	// Without the allowance the first 0-RTT record is bad_record_mac.
	r = New(rw{bytes.NewReader(buf.Bytes()), nil})
	r.SetReadKey(s, make([]byte, 32))
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertBadRecordMAC {
		t.Fatalf("got %v, want bad_record_mac", err)
	}
	// And the allowance is a bound: more than it is refused.
	r = New(rw{bytes.NewReader(buf.Bytes()), nil})
	r.SetReadKey(s, make([]byte, 32))
	r.SkipEarlyData(30)
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertBadRecordMAC {
		t.Fatalf("got %v past the allowance, want bad_record_mac", err)
	}
}

// After a HelloRetryRequest the server has no read key while it skips the
// client's 0-RTT records: a full-size one (2^14 + 256 bytes of
// ciphertext) is skipped, not refused as an over-long plaintext record,
// and ClientHello2 ends the skip (RFC 8446 4.2.10, 5.2).
func TestSkipEarlyDataAfterRetry(t *testing.T) {
	full := append([]byte{23, 3, 3, 0x41, 0}, make([]byte, MaxCiphertext13)...)
	hello := []byte{22, 3, 3, 0, 5, 1, 0, 0, 1, 0}
	stream := slices.Concat(full, hello, full)

	r := New(rw{bytes.NewReader(stream), nil})
	r.SkipEarlyData(1 << 17)
	typ, p, err := r.ReadRecord()
	if err != nil || typ != wire.TypeHandshake || len(p) != 5 {
		t.Fatalf("got %s %x %v, want the ClientHello", typ, p, err)
	}
	// The skip ended at the handshake record: 0-RTT after it is refused.
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertRecordOverflow {
		t.Fatalf("got %v after ClientHello2, want record_overflow", err)
	}
	// Without the allowance the same record is too long for plaintext.
	r = New(rw{bytes.NewReader(stream), nil})
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertRecordOverflow {
		t.Fatalf("got %v, want record_overflow", err)
	}
}

// A protected record that decrypts to zeros only has no content type:
// unexpected_message, as RFC 8446 section 5.4 names (BoringSSL says
// bad_record_mac; BoGo's TLS13-OnlyPadding is disabled for it).
func TestProtectedRecordOnlyPadding(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	var h protect.Half
	if err := h.SetTLS13(s, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	hdr := []byte{byte(wire.TypeApplicationData), 3, 3, 0, byte(1 + 16)}
	rec := h.Seal13(bytes.Clone(hdr), 0, hdr, 0, nil) // the type byte is 0
	r := New(rw{bytes.NewReader(rec), nil})
	r.SetReadKey(s, make([]byte, 32))
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertUnexpectedMessage {
		t.Fatalf("got %v, want unexpected_message", err)
	}
}

// A plaintext handshake record after the read key is set is an
// unexpected record type: unexpected_message (RFC 8446 section 5), not a
// record that fails to decrypt (BoGo's UnencryptedEncryptedExtensions
// wants bad_record_mac and is disabled for it).
func TestUnprotectedHandshakeAfterKeys(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	r := New(rw{bytes.NewReader([]byte{22, 3, 3, 0, 6, 8, 0, 0, 2, 0, 0}), nil})
	r.SetReadKey(s, make([]byte, 32))
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertUnexpectedMessage {
		t.Fatalf("got %v, want unexpected_message", err)
	}
}

// A plaintext alert after the read key is set is unexpected_message (RFC
// 8446 section 5), and the error names the alert it carried: OpenSSL
// clients that reject our certificate send exactly this.
func TestUnprotectedAlertAfterKeys(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	r := New(rw{bytes.NewReader([]byte{21, 3, 3, 0, 2, 2, byte(wire.AlertUnknownCA)}), nil})
	r.SetReadKey(s, make([]byte, 32))
	_, _, err := r.ReadRecord()
	if wire.AlertOf(err) != wire.AlertUnexpectedMessage {
		t.Fatalf("got %v, want unexpected_message", err)
	}
	if !strings.Contains(err.Error(), wire.AlertUnknownCA.String()) {
		t.Fatalf("error %q does not name the alert it carried", err)
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// FuzzCompact reads the same bytes twice, in chunks of the same size:
// once plainly, once with Compact and Wait between records, as a
// connection does after its handshake and before each wait. Both see the
// same records and the same end.
func FuzzCompact(f *testing.F) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	var sealed bytes.Buffer
	w := New(rw{nil, &sealed})
	w.SetWriteKey(s, make([]byte, 32))
	w.WriteRecord(wire.TypeHandshake, []byte{4, 0, 0, 1, 0})
	w.WriteRecord(wire.TypeApplicationData, bytes.Repeat([]byte("x"), 5000))
	w.WriteRecord(wire.TypeApplicationData, []byte("hello"))
	w.Flush()
	f.Add(sealed.Bytes(), uint16(7))
	f.Add(sealed.Bytes(), uint16(4096))
	f.Add([]byte{22, 3, 3, 0, 4, 1, 0, 0, 0, 22, 3, 3}, uint16(3))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint16) {
		n := int(chunk)%8192 + 1
		type rec struct {
			typ     wire.ContentType
			payload string
		}
		read := func(compact bool) ([]rec, string) {
			c := New(rw{chunkReader{bytes.NewReader(b), n}, io.Discard})
			c.SetReadKey(s, make([]byte, 32))
			var out []rec
			for i := 0; i < 1000; i++ {
				if compact {
					c.Compact()
					if err := c.Wait(); err != nil {
						return out, err.Error()
					}
				}
				typ, payload, err := c.ReadRecord()
				if err != nil {
					return out, err.Error()
				}
				out = append(out, rec{typ, string(payload)})
			}
			t.Fatalf("1000 records from %d bytes", len(b))
			return nil, ""
		}
		plain, plainErr := read(false)
		compacted, compactErr := read(true)
		if !slices.Equal(plain, compacted) || plainErr != compactErr {
			t.Fatalf("chunks of %d: plain %d records, %q; compacted %d records, %q", n, len(plain), plainErr, len(compacted), compactErr)
		}
	})
}
