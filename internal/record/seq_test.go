package record

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/hasp-tls/hasp/internal/protect"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// splitRecords cuts a byte stream into records.
func splitRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var recs [][]byte
	for len(b) > 0 {
		if len(b) < HeaderLen {
			t.Fatalf("%d bytes left", len(b))
		}
		n := HeaderLen + int(binary.BigEndian.Uint16(b[3:5]))
		recs = append(recs, b[:n])
		b = b[n:]
	}
	return recs
}

// The Conn numbers its records itself, from zero under each new key, and
// passes the number to the record protection: the n-th record under a
// key opens with sequence number n, and with no other.
func TestSequenceNumbers(t *testing.T) {
	s13 := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	s12 := suite.ByID(wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
	c12 := suite.ByID(wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)
	type key struct {
		s         *suite.Suite
		secret    []byte // TLS 1.3
		key, iv   []byte // TLS 1.2
		setWrite  func(*Conn) error
		newReader func() *protect.Half
	}
	mk13 := func(b byte) key {
		k := key{s: s13, secret: bytes.Repeat([]byte{b}, 32)}
		k.setWrite = func(c *Conn) error { return c.SetWriteKey(k.s, k.secret) }
		k.newReader = func() *protect.Half { h := new(protect.Half); h.SetTLS13(k.s, k.secret); return h }
		return k
	}
	mk12 := func(s *suite.Suite, b byte) key {
		k := key{s: s, key: bytes.Repeat([]byte{b}, s.KeyLen), iv: bytes.Repeat([]byte{b + 1}, s.IVLen())}
		k.setWrite = func(c *Conn) error { return c.SetWriteKey12(k.s, k.key, k.iv) }
		k.newReader = func() *protect.Half { h := new(protect.Half); h.SetTLS12(k.s, k.key, k.iv); return h }
		return k
	}
	for _, keys := range [][]key{{mk13(1), mk13(2)}, {mk12(s12, 1), mk12(s12, 3)}, {mk12(c12, 1), mk12(c12, 3)}} {
		var buf bytes.Buffer
		w := New(rw{nil, &buf})
		const perKey = 3
		for _, k := range keys {
			if err := k.setWrite(w); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < perKey; i++ {
				w.WriteRecord(wire.TypeApplicationData, []byte{byte(i)})
			}
			if w.WriteRecords() != perKey {
				t.Fatalf("%s: WriteRecords %d", k.s.Name, w.WriteRecords())
			}
		}
		w.Flush()
		recs := splitRecords(t, buf.Bytes())
		if len(recs) != perKey*len(keys) {
			t.Fatalf("%d records", len(recs))
		}
		for i, rec := range recs {
			k := keys[i/perKey]
			want := uint64(i % perKey)
			for seq := uint64(0); seq < perKey; seq++ {
				h := k.newReader()
				var got []byte
				var err error
				if k.s.TLS13 {
					_, got, err = h.Open13(seq, rec[:HeaderLen], bytes.Clone(rec[HeaderLen:]))
				} else {
					if !k.s.ChaCha && binary.BigEndian.Uint64(rec[HeaderLen:]) != want {
						t.Errorf("%s record %d: explicit nonce %x", k.s.Name, i, rec[HeaderLen:HeaderLen+8])
					}
					got, err = h.Open12(seq, wire.ContentType(rec[0]), wire.VersionTLS12, bytes.Clone(rec[HeaderLen:]))
				}
				if ok := err == nil && bytes.Equal(got, []byte{byte(want)}); ok != (seq == want) {
					t.Errorf("%s record %d opened with sequence number %d: %q, %v", k.s.Name, i, seq, got, err)
				}
			}
		}
	}
}

// TLS 1.2 records written and read under the same keys come back intact,
// for each nonce style, and a record replayed out of order does not.
func TestRoundTrip12(t *testing.T) {
	for _, id := range []uint16{wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256} {
		s := suite.ByID(id)
		key, iv := make([]byte, s.KeyLen), make([]byte, s.IVLen())
		var buf bytes.Buffer
		w := New(rw{nil, &buf})
		w.SetWriteKey12(s, key, iv)
		msgs := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), MaxPlaintext), nil}
		for _, m := range msgs {
			if err := w.WriteRecord(wire.TypeApplicationData, m); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		wireBytes := bytes.Clone(buf.Bytes())
		r := New(rw{&buf, nil})
		r.SetReadKey12(s, key, iv)
		for _, m := range msgs {
			typ, p, err := r.ReadRecord()
			if err != nil || typ != wire.TypeApplicationData || !bytes.Equal(p, m) {
				t.Fatalf("%s: got %s %d bytes, %v", s.Name, typ, len(p), err)
			}
		}
		// The second record first.
		recs := splitRecords(t, wireBytes)
		r = New(rw{bytes.NewReader(recs[1]), nil})
		r.SetReadKey12(s, key, iv)
		if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertBadRecordMAC {
			t.Fatalf("%s: a record out of order gave %v", s.Name, err)
		}
	}
}

// Once TLS 1.2 is agreed a record with another version is protocol_version
// (RFC 5246 6.2.1); TLS 1.3 ignores legacy_record_version (RFC 8446 5.1).
func TestRecordVersion12(t *testing.T) {
	s := suite.ByID(wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	key, iv := make([]byte, s.KeyLen), make([]byte, s.IVLen())
	var buf bytes.Buffer
	w := New(rw{nil, &buf})
	w.SetWriteKey12(s, key, iv)
	w.WriteRecord(wire.TypeApplicationData, []byte("x"))
	w.Flush()
	rec := bytes.Clone(buf.Bytes())
	rec[2] = 1 // 0x0301
	r := New(rw{bytes.NewReader(rec), nil})
	r.SetReadKey12(s, key, iv)
	if _, _, err := r.ReadRecord(); wire.AlertOf(err) != wire.AlertProtocolVersion {
		t.Fatalf("record version 0x0301 in TLS 1.2: %v", err)
	}
}
