// Package protect seals and opens single TLS records: the AEAD record
// protection of TLS 1.3 (RFC 8446 section 5.2) and of TLS 1.2 (RFC 5246
// section 6.2.3.3 with the nonces of RFC 5288 and RFC 7905), apart from
// any framing. The caller owns the sequence number and the record header
// and passes them in for each record, so that a stream record layer and a
// datagram one (DTLS, whose "sequence number" is epoch||sequence, RFC 6347
// section 4.1.2.1) share the same code.
//
// Nothing here allocates once the key is installed.
package protect

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Errors from Open13 and Open12. They say what is wrong with the record;
// which alert to send for it (or whether to drop it silently, as DTLS
// does) is the record layer's choice.
var (
	// ErrShortNonce: a TLS 1.2 AES-GCM record shorter than its 8-byte
	// explicit nonce.
	ErrShortNonce = errors.New("protect: record too short for its nonce")
	// ErrShort: a record shorter than the AEAD tag (plus, in TLS 1.3, the
	// content type byte).
	ErrShort = errors.New("protect: record too short to be protected")
	// ErrDecrypt: the record does not authenticate under this key with
	// this sequence number and additional data.
	ErrDecrypt = errors.New("protect: record does not decrypt")
	// ErrNoContentType: a TLS 1.3 record that decrypts to zeros only.
	ErrNoContentType = errors.New("protect: protected record with no content type")
)

// explicitLen is the length of the explicit nonce that TLS 1.2 AES-GCM
// records carry in front of the ciphertext (RFC 5288 section 3).
const explicitLen = 8

// Half is one direction's record protection under one key. The zero Half
// has no key; SetTLS13 or SetTLS12 installs one. A Half keeps scratch
// space for the nonce and additional data, so one goroutine at a time
// may use it.
type Half struct {
	aead cipher.AEAD
	// The suite and key the AEAD was made from, so that an idle
	// connection can drop the AEAD's expanded state (Sleep) and have it
	// made again on the next record.
	suite *suite.Suite
	// records counts the records sealed and opened under this key, for
	// the AEAD's usage limits (RFC 8446 section 5.5); failures the
	// records that did not authenticate, for its integrity limit (RFC
	// 9147 section 4.5.3).
	records, failures uint64
	key               [32]byte
	// iv is the TLS 1.3 write_iv and the TLS 1.2 ChaCha20 IV (12 bytes),
	// or the 4-byte implicit salt of TLS 1.2 AES-GCM.
	iv    [12]byte
	nonce [12]byte
	aad   [13]byte
	tls12 bool
	// explicit: TLS 1.2 AES-GCM, with the nonce salt||explicit.
	explicit bool
	overhead uint8
	keyLen   uint8
}

// Sleep drops the AEAD's state (about 750 bytes for AES-GCM) while the
// connection idles; the next Seal or Open makes it again from the key.
func (h *Half) Sleep() {
	if h.suite != nil {
		h.aead = nil
	}
}

// Asleep reports whether Sleep dropped the AEAD and no record has
// needed it since.
func (h *Half) Asleep() bool { return h.aead == nil && h.suite != nil }

func (h *Half) remember(s *suite.Suite, key []byte) {
	h.suite = s
	h.keyLen = uint8(copy(h.key[:], key))
}

// wake makes the AEAD again after Sleep; the key made one before, so it
// cannot fail.
func (h *Half) wake() {
	a, err := h.suite.NewAEAD(h.key[:h.keyLen])
	if err != nil {
		panic("protect: remaking an AEAD: " + err.Error())
	}
	h.aead = a
}

// SetTLS13 installs the TLS 1.3 key and IV derived from a traffic secret
// (RFC 8446 section 7.3) for suite s, and sets the record counts to zero.
func (h *Half) SetTLS13(s *suite.Suite, secret []byte) error {
	key, iv := keysched.TrafficKey(s.Hash, secret, s.KeyLen, 12)
	return h.SetTLS13Keys(s, key, iv)
}

// SetTLS13Keys is SetTLS13 with the key and IV already derived from the
// traffic secret.
func (h *Half) SetTLS13Keys(s *suite.Suite, key, iv []byte) error {
	a, err := s.NewAEAD(key)
	if err != nil {
		return err
	}
	*h = Half{aead: a, overhead: uint8(a.Overhead() + 1)}
	h.remember(s, key)
	copy(h.iv[:], iv)
	return nil
}

// SetTLS12 installs a TLS 1.2 key and IV (the client or server
// write_key and write_IV of RFC 5246 section 6.3) for suite s, and sets
// the record counts to zero. The IV is the 4-byte salt for AES-GCM and
// 12 bytes for ChaCha20-Poly1305.
func (h *Half) SetTLS12(s *suite.Suite, key, iv []byte) error {
	a, err := s.NewAEAD(key)
	if err != nil {
		return err
	}
	*h = Half{aead: a, tls12: true, explicit: !s.ChaCha, overhead: uint8(a.Overhead())}
	h.remember(s, key)
	if h.explicit {
		h.overhead += explicitLen
	}
	copy(h.iv[:], iv)
	return nil
}

// Keyed reports whether a key is installed.
func (h *Half) Keyed() bool { return h.aead != nil || h.suite != nil }

// TLS12 reports whether the key is a TLS 1.2 one.
func (h *Half) TLS12() bool { return h.tls12 }

// Overhead is how many bytes protection adds to a record's content when
// sealed (without TLS 1.3 padding, which Seal13 does not add): the tag,
// plus the content type in TLS 1.3 or the explicit nonce in TLS 1.2
// AES-GCM.
func (h *Half) Overhead() int { return int(h.overhead) }

// Records is the number of records sealed or opened under the current
// key.
func (h *Half) Records() uint64 { return h.records }

// Failures is the number of records that failed to authenticate under
// the current key.
func (h *Half) Failures() uint64 { return h.failures }

// nonceXOR sets the nonce to iv XOR seq, seq left-padded with zeros to
// the IV's length (RFC 8446 section 5.3, RFC 7905 section 2).
func (h *Half) nonceXOR(seq uint64) []byte {
	copy(h.nonce[:4], h.iv[:4])
	binary.BigEndian.PutUint64(h.nonce[4:], binary.BigEndian.Uint64(h.iv[4:])^seq)
	return h.nonce[:]
}

// additionalData12 is seq_num||type||version||length (RFC 5246 section
// 6.2.3.3), length being the plaintext's.
func (h *Half) additionalData12(seq uint64, typ wire.ContentType, vers uint16, n int) []byte {
	binary.BigEndian.PutUint64(h.aad[:8], seq)
	h.aad[8] = byte(typ)
	binary.BigEndian.PutUint16(h.aad[9:11], vers)
	binary.BigEndian.PutUint16(h.aad[11:13], uint16(n))
	return h.aad[:]
}

func (h *Half) want(tls12 bool, op string) {
	if h.aead == nil {
		if h.suite == nil {
			panic("protect: " + op + " without a key")
		}
		h.wake()
	}
	if h.tls12 != tls12 {
		panic("protect: " + op + " with a key for the other version")
	}
}

// Seal13 appends to dst the protected form of one TLS 1.3 record of type
// typ and the given content: the encrypted TLSInnerPlaintext
// content||type (no padding) and the tag, len(content)+Overhead() bytes.
// seq is the record's sequence number, from which the nonce is made, and
// aad the additional data, in TLS 1.3 the record header (which therefore
// already carries the length of what Seal13 appends). aad may lie in dst
// (the header before the record, as a record layer writes it); neither
// aad nor content may overlap the bytes appended.
func (h *Half) Seal13(dst []byte, seq uint64, aad []byte, typ wire.ContentType, content []byte) []byte {
	h.want(false, "Seal13")
	n := len(content) + 1
	start := len(dst)
	dst = slices.Grow(dst, n+h.aead.Overhead())
	dst = append(dst, content...)
	dst = append(dst, byte(typ))
	sealed := h.aead.Seal(dst[start:start], h.nonceXOR(seq), dst[start:], aad)
	h.records++
	return dst[:start+len(sealed)]
}

// Open13 removes TLS 1.3 protection from the payload of one record, in
// place: payload is the encrypted record after its header, seq its
// sequence number and aad its header. It returns the content type found
// in the inner plaintext and the content with the padding and type
// removed, which shares payload's storage. aad must not overlap payload.
func (h *Half) Open13(seq uint64, aad, payload []byte) (wire.ContentType, []byte, error) {
	h.want(false, "Open13")
	if len(payload) < int(h.overhead) {
		return 0, nil, ErrShort
	}
	plain, err := h.aead.Open(payload[:0], h.nonceXOR(seq), payload, aad)
	if err != nil {
		h.failures++
		return 0, nil, ErrDecrypt
	}
	h.records++
	// Strip padding: the content type is the last non-zero byte.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, ErrNoContentType
	}
	return wire.ContentType(plain[i]), plain[:i], nil
}

// Seal12 appends to dst the protected form of one TLS 1.2 record of type
// typ and the given content, len(content)+Overhead() bytes: for AES-GCM
// the explicit nonce (seq itself, RFC 5288 section 3) then ciphertext and
// tag; for ChaCha20-Poly1305 ciphertext and tag under the nonce iv XOR
// seq (RFC 7905). The additional data is seq||typ||vers||len(content):
// seq is the 8-byte sequence number (in DTLS epoch||sequence_number) and
// vers the record version (0x0303; 0xfefd in DTLS 1.2). content must not
// overlap the bytes appended.
func (h *Half) Seal12(dst []byte, seq uint64, typ wire.ContentType, vers uint16, content []byte) []byte {
	h.want(true, "Seal12")
	aad := h.additionalData12(seq, typ, vers, len(content))
	dst = slices.Grow(dst, len(content)+int(h.overhead))
	var nonce []byte
	if h.explicit {
		dst = binary.BigEndian.AppendUint64(dst, seq)
		copy(h.nonce[:4], h.iv[:4])
		copy(h.nonce[4:], dst[len(dst)-explicitLen:])
		nonce = h.nonce[:]
	} else {
		nonce = h.nonceXOR(seq)
	}
	p := len(dst)
	dst = append(dst, content...)
	sealed := h.aead.Seal(dst[p:p], nonce, dst[p:], aad)
	h.records++
	return dst[:p+len(sealed)]
}

// Open12 removes TLS 1.2 protection from the payload of one record of
// type typ and version vers, in place, with seq as the 8-byte sequence
// number in the additional data (and in the ChaCha20 nonce); AES-GCM
// takes its nonce from the record. It returns the content, which shares
// payload's storage.
func (h *Half) Open12(seq uint64, typ wire.ContentType, vers uint16, payload []byte) ([]byte, error) {
	h.want(true, "Open12")
	var nonce []byte
	if h.explicit {
		if len(payload) < explicitLen {
			return nil, ErrShortNonce
		}
		copy(h.nonce[:4], h.iv[:4])
		copy(h.nonce[4:], payload[:explicitLen])
		nonce = h.nonce[:]
		payload = payload[explicitLen:]
	}
	n := len(payload) - h.aead.Overhead()
	if n < 0 {
		return nil, ErrShort
	}
	if !h.explicit {
		nonce = h.nonceXOR(seq)
	}
	plain, err := h.aead.Open(payload[:0], nonce, payload, h.additionalData12(seq, typ, vers, n))
	if err != nil {
		h.failures++
		return nil, ErrDecrypt
	}
	h.records++
	return plain, nil
}

// SealAD12 is Seal12 with the caller's additional data, for record formats
// whose additional data is not seq||type||version||length: DTLS 1.2
// records with a connection ID (RFC 9146 section 5). The nonce is made
// from seq as in Seal12.
func (h *Half) SealAD12(dst []byte, seq uint64, aad, content []byte) []byte {
	h.want(true, "SealAD12")
	dst = slices.Grow(dst, len(content)+int(h.overhead))
	var nonce []byte
	if h.explicit {
		dst = binary.BigEndian.AppendUint64(dst, seq)
		copy(h.nonce[:4], h.iv[:4])
		copy(h.nonce[4:], dst[len(dst)-explicitLen:])
		nonce = h.nonce[:]
	} else {
		nonce = h.nonceXOR(seq)
	}
	p := len(dst)
	dst = append(dst, content...)
	sealed := h.aead.Seal(dst[p:p], nonce, dst[p:], aad)
	h.records++
	return dst[:p+len(sealed)]
}

// OpenAD12 is Open12 with the caller's additional data; aad may depend on
// the plaintext's length, which is len(payload) minus Overhead().
func (h *Half) OpenAD12(seq uint64, aad, payload []byte) ([]byte, error) {
	h.want(true, "OpenAD12")
	var nonce []byte
	if h.explicit {
		if len(payload) < explicitLen {
			return nil, ErrShortNonce
		}
		copy(h.nonce[:4], h.iv[:4])
		copy(h.nonce[4:], payload[:explicitLen])
		nonce = h.nonce[:]
		payload = payload[explicitLen:]
	}
	if len(payload) < h.aead.Overhead() {
		return nil, ErrShort
	}
	if !h.explicit {
		nonce = h.nonceXOR(seq)
	}
	plain, err := h.aead.Open(payload[:0], nonce, payload, aad)
	if err != nil {
		h.failures++
		return nil, ErrDecrypt
	}
	h.records++
	return plain, nil
}
