package record

import (
	"bytes"
	"io"
	"testing"

	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// blockingReader says when a Read has begun, then waits for data.
type blockingReader struct {
	entered chan struct{}
	data    chan []byte
	rest    []byte
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.rest) == 0 {
		b.entered <- struct{}{}
		d, ok := <-b.data
		if !ok {
			return 0, io.EOF
		}
		b.rest = d
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	return n, nil
}

// A connection waiting for data with nothing buffered holds no record
// buffer: it waits in a small array of its own and takes the pooled buffer
// once bytes arrive. Records that then arrive in pieces, or several in
// one read, come out whole.
func TestParkedReadHoldsNoBuffer(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	var sealed bytes.Buffer
	w := New(rw{nil, &sealed})
	w.SetWriteKey(s, make([]byte, 32))
	big := bytes.Repeat([]byte("x"), 3000)
	w.WriteRecord(wire.TypeApplicationData, big)
	w.WriteRecord(wire.TypeApplicationData, []byte("small"))
	w.Flush()
	wireBytes := sealed.Bytes()

	br := &blockingReader{entered: make(chan struct{}), data: make(chan []byte)}
	r := New(rw{br, nil})
	r.SetReadKey(s, make([]byte, 32))
	type rec struct {
		p   []byte
		err error
	}
	out := make(chan rec)
	go func() {
		for {
			_, p, err := r.ReadRecord()
			out <- rec{bytes.Clone(p), err}
			if err != nil {
				return
			}
			r.Release()
		}
	}()
	<-br.entered
	if r.rbuf != nil {
		t.Fatal("a reader parked with nothing buffered holds a record buffer")
	}
	// The first record in three pieces, the second with its tail.
	br.data <- wireBytes[:3]
	<-br.entered
	br.data <- wireBytes[3:100]
	<-br.entered
	br.data <- wireBytes[100:]
	if got := <-out; got.err != nil || !bytes.Equal(got.p, big) {
		t.Fatalf("first record: %d bytes, %v", len(got.p), got.err)
	}
	if got := <-out; got.err != nil || string(got.p) != "small" {
		t.Fatalf("second record: %q, %v", got.p, got.err)
	}
	<-br.entered
	if r.rbuf != nil {
		t.Fatal("the buffer was not released between records")
	}
	close(br.data)
	if got := <-out; got.err != io.EOF {
		t.Fatalf("at the end: %v, want EOF", got.err)
	}
}

// RFC 8446 section 5.4: a TLSInnerPlaintext (content, type and padding)
// over 2^14 + 1 bytes is record_overflow, even when the content alone
// fits: here 2^14 content bytes, the type and one byte of padding.
func TestInnerPlaintextOverflow(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	secret := make([]byte, 32)
	key, iv := keysched.TrafficKey(s.Hash, secret, s.KeyLen, 12)
	aead, err := s.NewAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		padding int
		want    wire.Alert
	}{{0, 0}, {1, wire.AlertRecordOverflow}} {
		inner := append(bytes.Repeat([]byte{'x'}, MaxPlaintext), byte(wire.TypeApplicationData))
		inner = append(inner, make([]byte, tc.padding)...)
		n := len(inner) + aead.Overhead()
		hdr := []byte{byte(wire.TypeApplicationData), 3, 3, byte(n >> 8), byte(n)}
		// The first record: the nonce is the IV itself (sequence 0).
		rec := aead.Seal(append([]byte(nil), hdr...), iv, inner, hdr)
		r := New(rw{bytes.NewReader(rec), nil})
		r.SetReadKey(s, secret)
		_, _, err := r.ReadRecord()
		if tc.want == 0 && err != nil || tc.want != 0 && wire.AlertOf(err) != tc.want {
			t.Errorf("padding %d: %v, want alert %v", tc.padding, err, tc.want)
		}
	}
}
