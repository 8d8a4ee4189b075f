package wire

import "fmt"

// Builder writes handshake messages: integers, bytes and length-prefixed
// vectors (RFC 8446 section 3), with the same methods as cryptobyte's
// Builder, which the codec used before. A vector's length is written
// after its continuation returns, in place, so a nested vector costs no
// allocation (cryptobyte makes a child builder for each): message
// building was about a tenth of a handshake's allocations.
type Builder struct {
	buf []byte
	err error
}

// BuilderContinuation writes the contents of a vector.
type BuilderContinuation func(*Builder)

func newBuilder(buf []byte) *Builder { return &Builder{buf: buf} }

// AddUint8 appends a byte.
func (b *Builder) AddUint8(v uint8) { b.buf = append(b.buf, v) }

// AddUint16 appends a big-endian uint16.
func (b *Builder) AddUint16(v uint16) { b.buf = append(b.buf, byte(v>>8), byte(v)) }

// AddUint24 appends the low 24 bits of v, big-endian.
func (b *Builder) AddUint24(v uint32) { b.buf = append(b.buf, byte(v>>16), byte(v>>8), byte(v)) }

// AddUint32 appends a big-endian uint32.
func (b *Builder) AddUint32(v uint32) {
	b.buf = append(b.buf, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// AddBytes appends v.
func (b *Builder) AddBytes(v []byte) { b.buf = append(b.buf, v...) }

// AddUint8LengthPrefixed writes a vector with a one-byte length.
func (b *Builder) AddUint8LengthPrefixed(f BuilderContinuation) { b.vector(1, f) }

// AddUint16LengthPrefixed writes a vector with a two-byte length.
func (b *Builder) AddUint16LengthPrefixed(f BuilderContinuation) { b.vector(2, f) }

// AddUint24LengthPrefixed writes a vector with a three-byte length.
func (b *Builder) AddUint24LengthPrefixed(f BuilderContinuation) { b.vector(3, f) }

func (b *Builder) vector(lenLen int, f BuilderContinuation) {
	at := len(b.buf)
	b.buf = append(b.buf, 0, 0, 0, 0)[:at+lenLen]
	f(b)
	n := len(b.buf) - at - lenLen
	if n >= 1<<(8*lenLen) {
		if b.err == nil {
			b.err = fmt.Errorf("wire: vector of %d bytes does not fit a %d-byte length", n, lenLen)
		}
		return
	}
	for i := lenLen - 1; i >= 0; i-- {
		b.buf[at+i] = byte(n)
		n >>= 8
	}
}

// Bytes returns what was written, or the first error (a vector too long
// for its length field).
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.buf, nil
}

// BytesOrPanic is Bytes for callers whose vectors were bounded before.
func (b *Builder) BytesOrPanic() []byte {
	if b.err != nil {
		panic(b.err)
	}
	return b.buf
}
