// Package ccm is the CCM mode of RFC 3610 and NIST SP 800-38C (counter
// mode encryption with a CBC-MAC) over a 128-bit block cipher, as a
// cipher.AEAD: what the TLS/DTLS AES-CCM and AES-CCM-8 suites (RFC 6655,
// RFC 7251, RFC 7925) need. The block cipher comes from crypto/aes; this
// package only arranges the blocks.
package ccm

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

const blockSize = 16

type ccm struct {
	b         cipher.Block
	nonceSize int
	tagSize   int
}

// New returns CCM over b (a 16-byte block cipher) with nonces of
// nonceSize bytes (7 to 13; 12 in TLS) and tags of tagSize bytes (4, 6,
// 8, 10, 12, 14 or 16; 8 for the _CCM_8 suites, 16 for _CCM).
func New(b cipher.Block, nonceSize, tagSize int) (cipher.AEAD, error) {
	if b.BlockSize() != blockSize {
		return nil, errors.New("ccm: needs a 128-bit block cipher")
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, errors.New("ccm: nonce size must be 7 to 13 bytes")
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, errors.New("ccm: tag size must be an even number from 4 to 16")
	}
	return &ccm{b: b, nonceSize: nonceSize, tagSize: tagSize}, nil
}

func (c *ccm) NonceSize() int { return c.nonceSize }
func (c *ccm) Overhead() int  { return c.tagSize }

// lenSize is L, the bytes that carry the message length (15 - nonce).
func (c *ccm) lenSize() int { return 15 - c.nonceSize }

// maxLen is the longest message L bytes can describe.
func (c *ccm) maxLen() uint64 {
	if c.lenSize() >= 8 {
		return 1<<63 - 1
	}
	return 1<<(8*uint(c.lenSize())) - 1
}

// counter sets a to the counter block A_i (RFC 3610 2.3): flags L-1, the
// nonce, then i in L bytes.
func (c *ccm) counter(a *[blockSize]byte, nonce []byte, i uint64) {
	a[0] = byte(c.lenSize() - 1)
	copy(a[1:], nonce)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], i)
	copy(a[1+c.nonceSize:], n[8-c.lenSize():])
}

// mac computes the CBC-MAC T (RFC 3610 2.2) of the message and the
// additional data into t.
func (c *ccm) mac(t *[blockSize]byte, nonce, plaintext, ad []byte) {
	var b [blockSize]byte
	flags := byte((c.tagSize-2)/2)<<3 | byte(c.lenSize()-1)
	if len(ad) > 0 {
		flags |= 0x40
	}
	b[0] = flags
	copy(b[1:], nonce)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(plaintext)))
	copy(b[1+c.nonceSize:], n[8-c.lenSize():])
	c.b.Encrypt(t[:], b[:])
	if len(ad) > 0 {
		// The additional data, after its length in 2, 6 or 10 bytes.
		var hdr [10]byte
		var h []byte
		switch l := uint64(len(ad)); {
		case l < 0xff00:
			binary.BigEndian.PutUint16(hdr[:], uint16(l))
			h = hdr[:2]
		case l <= 0xffffffff:
			hdr[0], hdr[1] = 0xff, 0xfe
			binary.BigEndian.PutUint32(hdr[2:], uint32(l))
			h = hdr[:6]
		default:
			hdr[0], hdr[1] = 0xff, 0xff
			binary.BigEndian.PutUint64(hdr[2:], l)
			h = hdr[:10]
		}
		c.absorb(t, h, ad)
	}
	c.absorb(t, plaintext, nil)
}

// absorb runs CBC-MAC blocks over a then b, as one string padded with
// zeros to a whole block.
func (c *ccm) absorb(t *[blockSize]byte, a, b []byte) {
	var blk [blockSize]byte
	n := 0
	feed := func(p []byte) {
		for len(p) > 0 {
			k := copy(blk[n:], p)
			n += k
			p = p[k:]
			if n == blockSize {
				subtle.XORBytes(t[:], t[:], blk[:])
				c.b.Encrypt(t[:], t[:])
				n = 0
			}
		}
	}
	feed(a)
	feed(b)
	if n > 0 {
		clear(blk[n:])
		subtle.XORBytes(t[:], t[:], blk[:])
		c.b.Encrypt(t[:], t[:])
	}
}

// ctr XORs src with the key stream from counter 1 into dst.
func (c *ccm) ctr(dst, src, nonce []byte) {
	var a, s [blockSize]byte
	for i := uint64(1); len(src) > 0; i++ {
		c.counter(&a, nonce, i)
		c.b.Encrypt(s[:], a[:])
		n := subtle.XORBytes(dst, src, s[:])
		dst, src = dst[n:], src[n:]
	}
}

// tag turns the CBC-MAC into the authentication value U (T XOR S_0).
func (c *ccm) tag(t *[blockSize]byte, nonce []byte) {
	var a, s0 [blockSize]byte
	c.counter(&a, nonce, 0)
	c.b.Encrypt(s0[:], a[:])
	subtle.XORBytes(t[:], t[:], s0[:])
}

func (c *ccm) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != c.nonceSize {
		panic("ccm: wrong nonce length")
	}
	if uint64(len(plaintext)) > c.maxLen() {
		panic("ccm: message too long for the nonce size")
	}
	var t [blockSize]byte
	c.mac(&t, nonce, plaintext, additionalData)
	c.tag(&t, nonce)
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	if inexactOverlap(out, plaintext) {
		panic("ccm: invalid buffer overlap")
	}
	c.ctr(out, plaintext, nonce)
	copy(out[len(plaintext):], t[:c.tagSize])
	return ret
}

var errOpen = errors.New("ccm: message authentication failed")

func (c *ccm) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize {
		panic("ccm: wrong nonce length")
	}
	if len(ciphertext) < c.tagSize {
		return nil, errOpen
	}
	n := len(ciphertext) - c.tagSize
	if uint64(n) > c.maxLen() {
		return nil, errOpen
	}
	got := ciphertext[n:]
	ret, out := sliceForAppend(dst, n)
	if inexactOverlap(out, ciphertext) {
		panic("ccm: invalid buffer overlap")
	}
	c.ctr(out, ciphertext[:n], nonce)
	var t [blockSize]byte
	c.mac(&t, nonce, out, additionalData)
	c.tag(&t, nonce)
	if subtle.ConstantTimeCompare(t[:c.tagSize], got) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes, returning the whole and the tail.
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}

// inexactOverlap reports whether x and y share memory other than at the
// same start (in-place use is allowed, as crypto/cipher's AEADs allow).
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	xs, xe := &x[0], &x[len(x)-1]
	ys, ye := &y[0], &y[len(y)-1]
	return uintptrOf(xs) <= uintptrOf(ye) && uintptrOf(ys) <= uintptrOf(xe)
}
