package protect

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// The tests below check Half against AEADs built here by hand from
// crypto/aes, crypto/cipher and chacha20poly1305, with nonces and
// additional data spelled out byte by byte from the RFCs, so that a
// mistake shared by the package and its caller would still show.

func handAEAD(t testing.TB, chacha bool, key []byte) cipher.AEAD {
	t.Helper()
	if chacha {
		a, err := chacha20poly1305.New(key)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// expandLabel is HKDF-Expand-Label with an empty context (RFC 8446
// section 7.1), written out without internal/keysched.
func expandLabel(t testing.TB, s *suite.Suite, secret []byte, label string, n int) []byte {
	t.Helper()
	full := "tls13 " + label
	info := []byte{byte(n >> 8), byte(n), byte(len(full))}
	info = append(info, full...)
	info = append(info, 0)
	out, err := hkdf.Expand(s.Hash.New, secret, string(info), n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// xorNonce is iv with the 8 bytes of seq XORed into its last 8.
func xorNonce(iv []byte, seq uint64) []byte {
	n := bytes.Clone(iv)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	for i := range s {
		n[4+i] ^= s[i]
	}
	return n
}

func seq64(b ...byte) uint64 { return binary.BigEndian.Uint64(b) }

var seqs = []uint64{0, 1, 255, 256, 0x0102030405060708, 1<<64 - 2}

func tls13Suites() []*suite.Suite {
	var ss []*suite.Suite
	for _, id := range suite.TLS13IDs() {
		ss = append(ss, suite.ByID(id))
	}
	return ss
}

func tls12Suites() []*suite.Suite {
	return []*suite.Suite{
		suite.ByID(wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
		suite.ByID(wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
		suite.ByID(wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
	}
}

func secretFor(s *suite.Suite) []byte {
	secret := make([]byte, s.Hash.Size())
	for i := range secret {
		secret[i] = byte(i*7 + 1)
	}
	return secret
}

func header13(n int) []byte {
	return []byte{byte(wire.TypeApplicationData), 3, 3, byte(n >> 8), byte(n)}
}

// TLS 1.3: what Seal13 makes opens under the key and IV of RFC 8446
// section 7.3 with nonce iv XOR seq and the header as additional data, to
// content||type; and a record sealed by hand, with padding, opens with
// Open13 to its type and content.
func TestTLS13AgainstHandAEAD(t *testing.T) {
	content := []byte("hello, record layer")
	for _, s := range tls13Suites() {
		secret := secretFor(s)
		key := expandLabel(t, s, secret, "key", s.KeyLen)
		iv := expandLabel(t, s, secret, "iv", 12)
		ref := handAEAD(t, s.ChaCha, key)
		var h Half
		if err := h.SetTLS13(s, secret); err != nil {
			t.Fatal(err)
		}
		if h.TLS12() || !h.Keyed() || h.Overhead() != 1+16 {
			t.Fatalf("%s: TLS12=%v Keyed=%v Overhead=%d", s.Name, h.TLS12(), h.Keyed(), h.Overhead())
		}
		for _, seq := range seqs {
			n := len(content) + h.Overhead()
			hdr := header13(n)
			rec := h.Seal13(bytes.Clone(hdr), seq, hdr, wire.TypeHandshake, content)
			if len(rec) != len(hdr)+n || !bytes.Equal(rec[:5], hdr) {
				t.Fatalf("%s seq %d: %d bytes, header %x", s.Name, seq, len(rec), rec[:5])
			}
			plain, err := ref.Open(nil, xorNonce(iv, seq), rec[5:], hdr)
			if err != nil {
				t.Fatalf("%s seq %d: the reference AEAD does not open it: %v", s.Name, seq, err)
			}
			if want := append(bytes.Clone(content), byte(wire.TypeHandshake)); !bytes.Equal(plain, want) {
				t.Fatalf("%s seq %d: inner plaintext %x, want %x", s.Name, seq, plain, want)
			}

			// By hand, with 12 bytes of padding, then Open13.
			inner := append(bytes.Clone(content), byte(wire.TypeAlert))
			inner = append(inner, make([]byte, 12)...)
			hdr = header13(len(inner) + 16)
			payload := ref.Seal(nil, xorNonce(iv, seq), inner, hdr)
			typ, got, err := h.Open13(seq, hdr, payload)
			if err != nil || typ != wire.TypeAlert || !bytes.Equal(got, content) {
				t.Fatalf("%s seq %d: Open13 gave %s %q %v", s.Name, seq, typ, got, err)
			}
		}
		if h.Records() != 2*uint64(len(seqs)) || h.Failures() != 0 {
			t.Fatalf("%s: %d records, %d failures", s.Name, h.Records(), h.Failures())
		}
	}
}

// TLS 1.2 AES-GCM (RFC 5288): the record starts with the explicit nonce,
// which is the sequence number, the nonce is salt||explicit and the
// additional data seq||type||version||length. ChaCha20-Poly1305 (RFC
// 7905): no explicit nonce, nonce iv XOR seq. Both for TLS 1.2 and with a
// DTLS 1.2 sequence (epoch 1, sequence number 5, version 0xfefd: RFC 6347
// section 4.1.2.1).
func TestTLS12AgainstHandAEAD(t *testing.T) {
	content := []byte("GET / HTTP/1.1\r\n\r\n")
	cases := []struct {
		name string
		seq  uint64
		vers uint16
		// The additional data, written out.
		aad []byte
	}{
		{"TLS 1.2 seq 0", 0, 0x0303, []byte{0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, byte(len(content))}},
		{"TLS 1.2 seq 0x0102030405060708", 0x0102030405060708, 0x0303, []byte{1, 2, 3, 4, 5, 6, 7, 8, 23, 3, 3, 0, byte(len(content))}},
		{"DTLS 1.2 epoch 1 seq 5", seq64(0, 1, 0, 0, 0, 0, 0, 5), 0xfefd, []byte{0, 1, 0, 0, 0, 0, 0, 5, 23, 0xfe, 0xfd, 0, byte(len(content))}},
	}
	for _, s := range tls12Suites() {
		key := bytes.Repeat([]byte{0x5a}, s.KeyLen)
		iv := make([]byte, s.IVLen())
		for i := range iv {
			iv[i] = byte(0xa0 + i)
		}
		ref := handAEAD(t, s.ChaCha, key)
		var h Half
		if err := h.SetTLS12(s, key, iv); err != nil {
			t.Fatal(err)
		}
		wantOverhead := 16
		if !s.ChaCha {
			wantOverhead += 8
		}
		if !h.TLS12() || h.Overhead() != wantOverhead {
			t.Fatalf("%s: TLS12=%v Overhead=%d", s.Name, h.TLS12(), h.Overhead())
		}
		for _, c := range cases {
			prefix := []byte("hdr..")
			rec := h.Seal12(bytes.Clone(prefix), c.seq, wire.TypeApplicationData, c.vers, content)
			if !bytes.HasPrefix(rec, prefix) || len(rec) != len(prefix)+len(content)+h.Overhead() {
				t.Fatalf("%s %s: sealed %d bytes", s.Name, c.name, len(rec))
			}
			body := rec[len(prefix):]
			var nonce []byte
			if s.ChaCha {
				nonce = xorNonce(iv, c.seq)
			} else {
				explicit := body[:8]
				if binary.BigEndian.Uint64(explicit) != c.seq {
					t.Fatalf("%s %s: explicit nonce %x, want the sequence number", s.Name, c.name, explicit)
				}
				nonce = append(bytes.Clone(iv), explicit...)
				body = body[8:]
			}
			plain, err := ref.Open(nil, nonce, body, c.aad)
			if err != nil || !bytes.Equal(plain, content) {
				t.Fatalf("%s %s: the reference AEAD gave %q, %v", s.Name, c.name, plain, err)
			}

			// By hand, then Open12. AES-GCM takes the nonce from the
			// record, whatever it is.
			var payload []byte
			if s.ChaCha {
				payload = ref.Seal(nil, xorNonce(iv, c.seq), content, c.aad)
			} else {
				explicit := []byte{9, 8, 7, 6, 5, 4, 3, 2}
				payload = ref.Seal(bytes.Clone(explicit), append(bytes.Clone(iv), explicit...), content, c.aad)
			}
			got, err := h.Open12(c.seq, wire.TypeApplicationData, c.vers, payload)
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("%s %s: Open12 gave %q, %v", s.Name, c.name, got, err)
			}
		}
	}
}

// Seal then Open with each suite and version, for empty and full-size
// content, in place in one buffer as a record layer does it.
func TestRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 1 << 14} {
		content := bytes.Repeat([]byte{0xc3}, size)
		for _, s := range tls13Suites() {
			var w, r Half
			w.SetTLS13(s, secretFor(s))
			r.SetTLS13(s, secretFor(s))
			hdr := header13(size + w.Overhead())
			rec := w.Seal13(bytes.Clone(hdr), 7, hdr, wire.TypeApplicationData, content)
			typ, got, err := r.Open13(7, rec[:5], rec[5:])
			if err != nil || typ != wire.TypeApplicationData || !bytes.Equal(got, content) {
				t.Fatalf("%s %d bytes: %s %d bytes, %v", s.Name, size, typ, len(got), err)
			}
		}
		for _, s := range tls12Suites() {
			var w, r Half
			key, iv := make([]byte, s.KeyLen), make([]byte, s.IVLen())
			w.SetTLS12(s, key, iv)
			r.SetTLS12(s, key, iv)
			rec := w.Seal12(nil, 7, wire.TypeHandshake, 0x0303, content)
			got, err := r.Open12(7, wire.TypeHandshake, 0x0303, rec)
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("%s %d bytes: %d bytes, %v", s.Name, size, len(got), err)
			}
		}
	}
}

// A record opened with another sequence number or other additional data,
// or changed in transit, does not decrypt; records too short to hold a
// nonce, tag and type are refused before decrypting; and a TLS 1.3 record
// of padding only has no content type.
func TestTamper(t *testing.T) {
	content := []byte("attack at dawn")
	for _, s := range tls13Suites() {
		var w, r Half
		w.SetTLS13(s, secretFor(s))
		r.SetTLS13(s, secretFor(s))
		hdr := header13(len(content) + w.Overhead())
		rec := w.Seal13(bytes.Clone(hdr), 42, hdr, wire.TypeApplicationData, content)
		try := func(what string, seq uint64, aad, payload []byte, want error) {
			t.Helper()
			if _, _, err := r.Open13(seq, aad, bytes.Clone(payload)); err != want {
				t.Errorf("%s, %s: %v, want %v", s.Name, what, err, want)
			}
		}
		try("wrong sequence number", 43, rec[:5], rec[5:], ErrDecrypt)
		try("sequence number of another epoch", 1<<48|42, rec[:5], rec[5:], ErrDecrypt)
		badHdr := bytes.Clone(rec[:5])
		badHdr[0] = byte(wire.TypeHandshake)
		try("wrong header type", 42, badHdr, rec[5:], ErrDecrypt)
		badHdr = bytes.Clone(rec[:5])
		badHdr[2] = 1
		try("wrong header version", 42, badHdr, rec[5:], ErrDecrypt)
		for _, i := range []int{0, len(content), len(rec) - 6} {
			bad := bytes.Clone(rec[5:])
			bad[i] ^= 0x80
			try("flipped bit", 42, rec[:5], bad, ErrDecrypt)
		}
		try("truncated", 42, rec[:5], rec[5:len(rec)-1], ErrDecrypt)
		try("tag only", 42, rec[:5], rec[5+len(content)+1:], ErrShort)
		try("empty", 42, rec[:5], nil, ErrShort)
		if r.Failures() == 0 || r.Records() != 0 {
			t.Errorf("%s: %d failures, %d records", s.Name, r.Failures(), r.Records())
		}
		try("untampered", 42, rec[:5], rec[5:], nil)

		// Only padding inside.
		key := expandLabel(t, s, secretFor(s), "key", s.KeyLen)
		iv := expandLabel(t, s, secretFor(s), "iv", 12)
		zeros := handAEAD(t, s.ChaCha, key).Seal(nil, xorNonce(iv, 0), make([]byte, 5), header13(5+16))
		try("all padding", 0, header13(5+16), zeros, ErrNoContentType)
	}

	for _, s := range tls12Suites() {
		var w, r Half
		key, iv := make([]byte, s.KeyLen), make([]byte, s.IVLen())
		w.SetTLS12(s, key, iv)
		r.SetTLS12(s, key, iv)
		const seq = 1<<48 | 9
		rec := w.Seal12(nil, seq, wire.TypeApplicationData, 0xfefd, content)
		try := func(what string, seq uint64, typ wire.ContentType, vers uint16, payload []byte, want error) {
			t.Helper()
			if _, err := r.Open12(seq, typ, vers, bytes.Clone(payload)); err != want {
				t.Errorf("%s, %s: %v, want %v", s.Name, what, err, want)
			}
		}
		// For AES-GCM the nonce travels in the record; the sequence
		// number is still in the additional data.
		try("wrong sequence number", seq+1, wire.TypeApplicationData, 0xfefd, rec, ErrDecrypt)
		try("wrong epoch", 2<<48|9, wire.TypeApplicationData, 0xfefd, rec, ErrDecrypt)
		try("wrong type", seq, wire.TypeHandshake, 0xfefd, rec, ErrDecrypt)
		try("wrong version", seq, wire.TypeApplicationData, 0x0303, rec, ErrDecrypt)
		for _, i := range []int{0, 7, 8, len(rec) - 1} {
			bad := bytes.Clone(rec)
			bad[i] ^= 1
			try("flipped bit", seq, wire.TypeApplicationData, 0xfefd, bad, ErrDecrypt)
		}
		try("truncated", seq, wire.TypeApplicationData, 0xfefd, rec[:len(rec)-1], ErrDecrypt)
		if s.ChaCha {
			try("shorter than the tag", seq, wire.TypeApplicationData, 0xfefd, rec[:15], ErrShort)
		} else {
			try("shorter than the nonce", seq, wire.TypeApplicationData, 0xfefd, rec[:7], ErrShortNonce)
			try("nonce, no tag", seq, wire.TypeApplicationData, 0xfefd, rec[:8+15], ErrShort)
		}
		try("untampered", seq, wire.TypeApplicationData, 0xfefd, rec, nil)
		if r.Records() != 1 || r.Failures() == 0 {
			t.Errorf("%s: %d records, %d failures", s.Name, r.Records(), r.Failures())
		}
	}
}

// Installing a key starts the counts again; using a Half without a key,
// or with the other version's, is a programming error.
func TestKeysAndMisuse(t *testing.T) {
	s13 := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	s12 := suite.ByID(wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
	var h Half
	if h.Keyed() {
		t.Fatal("the zero Half is keyed")
	}
	h.SetTLS13(s13, secretFor(s13))
	h.Seal13(nil, 0, nil, wire.TypeApplicationData, nil)
	h.Seal13(nil, 1, nil, wire.TypeApplicationData, nil)
	if h.Records() != 2 {
		t.Fatalf("%d records", h.Records())
	}
	h.SetTLS13(s13, secretFor(s13))
	if h.Records() != 0 {
		t.Fatalf("%d records after a new key", h.Records())
	}
	if err := h.SetTLS12(s12, make([]byte, 5), make([]byte, 4)); err == nil {
		t.Fatal("a 5-byte AES key was accepted")
	}
	panics := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s does not panic", what)
			}
		}()
		f()
	}
	var none Half
	panics("Seal13 without a key", func() { none.Seal13(nil, 0, nil, 0, nil) })
	panics("Open12 without a key", func() { none.Open12(0, 0, 0, nil) })
	var h13, h12 Half
	h13.SetTLS13(s13, secretFor(s13))
	h12.SetTLS12(s12, make([]byte, 16), make([]byte, 4))
	panics("Seal12 with a TLS 1.3 key", func() { h13.Seal12(nil, 0, 0, 0x0303, nil) })
	panics("Open12 with a TLS 1.3 key", func() { h13.Open12(0, 0, 0x0303, make([]byte, 64)) })
	panics("Seal13 with a TLS 1.2 key", func() { h12.Seal13(nil, 0, nil, 0, nil) })
	panics("Open13 with a TLS 1.2 key", func() { h12.Open13(0, nil, make([]byte, 64)) })
}

// Sealing into a buffer with room and opening in place allocate nothing.
func TestNoAllocs(t *testing.T) {
	s13 := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	s12 := suite.ByID(wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)
	var w13, r13, w12, r12 Half
	w13.SetTLS13(s13, secretFor(s13))
	r13.SetTLS13(s13, secretFor(s13))
	w12.SetTLS12(s12, make([]byte, 32), make([]byte, 12))
	r12.SetTLS12(s12, make([]byte, 32), make([]byte, 12))
	content := make([]byte, 1024)
	buf := make([]byte, 0, 2048)
	var seq uint64
	hdr := header13(len(content) + w13.Overhead())
	allocs := testing.AllocsPerRun(100, func() {
		rec := w13.Seal13(append(buf[:0], hdr...), seq, hdr, wire.TypeApplicationData, content)
		if _, _, err := r13.Open13(seq, rec[:5], rec[5:]); err != nil {
			t.Fatal(err)
		}
		rec = w12.Seal12(buf[:0], seq, wire.TypeApplicationData, 0x0303, content)
		if _, err := r12.Open12(seq, wire.TypeApplicationData, 0x0303, rec); err != nil {
			t.Fatal(err)
		}
		seq++
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per record", allocs)
	}
}

// FuzzOpen gives Open13 and Open12 arbitrary records, sequence numbers and
// additional data: they never panic, fail only with this package's
// errors, and what they return lies within the payload.
func FuzzOpen(f *testing.F) {
	type mode struct {
		s     *suite.Suite
		tls12 bool
	}
	var modes []mode
	for _, s := range tls13Suites() {
		modes = append(modes, mode{s, false})
	}
	for _, s := range tls12Suites() {
		modes = append(modes, mode{s, true})
	}
	keyed := func(m mode) *Half {
		h := new(Half)
		if m.tls12 {
			h.SetTLS12(m.s, make([]byte, m.s.KeyLen), make([]byte, m.s.IVLen()))
		} else {
			h.SetTLS13(m.s, make([]byte, m.s.Hash.Size()))
		}
		return h
	}
	// Valid records, so that the fuzzer starts inside.
	for i, m := range modes {
		h := keyed(m)
		if m.tls12 {
			f.Add(uint8(i), uint64(3), []byte{23, 3, 3}, h.Seal12(nil, 3, 23, 0x0303, []byte("hello")))
		} else {
			hdr := header13(5 + h.Overhead())
			f.Add(uint8(i), uint64(3), hdr, h.Seal13(nil, 3, hdr, wire.TypeHandshake, []byte("hello")))
			hdr = header13(h.Overhead())
			f.Add(uint8(i), uint64(0), hdr, h.Seal13(nil, 0, hdr, wire.TypeApplicationData, nil))
		}
	}
	f.Add(uint8(0), uint64(0), []byte{}, []byte{})
	halves := make([]*Half, len(modes))
	for i, m := range modes {
		halves[i] = keyed(m)
	}
	f.Fuzz(func(t *testing.T, which uint8, seq uint64, aad, payload []byte) {
		m := int(which) % len(modes)
		h := halves[m]
		// The fuzzer may hand out aad and payload in one buffer; the
		// AEADs refuse additional data overlapping their output, as the
		// documentation says.
		aad = bytes.Clone(aad)
		n := len(payload)
		var content []byte
		var err error
		if modes[m].tls12 {
			// aad gives the type and version, as a record header would.
			var typ wire.ContentType
			var vers uint16
			if len(aad) >= 3 {
				typ, vers = wire.ContentType(aad[0]), binary.BigEndian.Uint16(aad[1:3])
			}
			content, err = h.Open12(seq, typ, vers, payload)
		} else {
			_, content, err = h.Open13(seq, aad, payload)
		}
		if err != nil {
			if content != nil {
				t.Fatalf("error %v with %d bytes of content", err, len(content))
			}
			if !errors.Is(err, ErrShortNonce) && !errors.Is(err, ErrShort) && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrNoContentType) {
				t.Fatalf("unknown error %v", err)
			}
			return
		}
		if len(content) > n-16 {
			t.Fatalf("%d bytes of content from a %d-byte record", len(content), n)
		}
	})
}

// After Sleep both directions seal and open exactly as before: the AEAD
// made again from the remembered key is the same AEAD.
func TestSleepWake(t *testing.T) {
	content := []byte("after a long idle")
	for _, s := range tls13Suites() {
		var w, r, ref Half
		w.SetTLS13(s, secretFor(s))
		r.SetTLS13(s, secretFor(s))
		ref.SetTLS13(s, secretFor(s))
		hdr := header13(len(content) + w.Overhead())
		want := ref.Seal13(bytes.Clone(hdr), 3, hdr, wire.TypeApplicationData, content)
		w.Sleep()
		r.Sleep()
		if !w.Keyed() || w.aead != nil {
			t.Fatalf("%s: asleep: keyed %v, AEAD kept %v", s.Name, w.Keyed(), w.aead != nil)
		}
		rec := w.Seal13(bytes.Clone(hdr), 3, hdr, wire.TypeApplicationData, content)
		if !bytes.Equal(rec, want) {
			t.Fatalf("%s: sealed after Sleep differs", s.Name)
		}
		typ, got, err := r.Open13(3, rec[:5], rec[5:])
		if err != nil || typ != wire.TypeApplicationData || !bytes.Equal(got, content) {
			t.Fatalf("%s: open after Sleep: %v", s.Name, err)
		}
	}
	for _, s := range tls12Suites() {
		var w, r Half
		key, iv := bytes.Repeat([]byte{9}, s.KeyLen), bytes.Repeat([]byte{4}, s.IVLen())
		w.SetTLS12(s, key, iv)
		r.SetTLS12(s, key, iv)
		w.Sleep()
		r.Sleep()
		rec := w.Seal12(nil, 5, wire.TypeApplicationData, 0x0303, content)
		got, err := r.Open12(5, wire.TypeApplicationData, 0x0303, rec)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("%s: after Sleep: %v", s.Name, err)
		}
	}
	var none Half
	none.Sleep()
	if none.Keyed() {
		t.Error("Sleep without a key made a key")
	}
}
