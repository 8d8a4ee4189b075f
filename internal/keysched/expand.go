package keysched

import (
	"crypto"
	"crypto/hmac"
	"hash"
)

// expander is HKDF-Expand (RFC 5869 section 2.3) for one pseudorandom
// key, with TLS 1.3's label encoding (RFC 8446 section 7.1). Its one
// crypto/hmac state, keyed once with the secret, serves every label
// expanded from that secret (Reset between uses): a stage's three or
// four secrets, a traffic secret's key and IV. hkdf.Expand would key a new
// HMAC for each. HMAC itself is crypto/hmac's; only the HKDF-Expand loop
// is here, checked against RFC 5869's vectors and crypto/hkdf.
type expander struct {
	mac    hash.Hash
	size   int
	prefix string
	used   bool // the state has absorbed input: Reset before the next
	// info holds HkdfLabel || counter; the usual labels and contexts fit.
	// A one-block output used at once (the "derived" secret) may be
	// written over it (tmpLabel).
	info [2 + 1 + 24 + 1 + 64 + 1]byte
}

// tmpLabel is label for an output of at most one hash block that the
// caller uses before the next call: it lands in e.info, whose HkdfLabel
// the HMAC has absorbed by then, and costs no allocation.
func (e *expander) tmpLabel(label string, context []byte, length int) []byte {
	if length > e.size {
		return e.label(label, context, length)
	}
	return e.appendLabel(e.info[:0], label, context, length)
}

func newExpander(h crypto.Hash, prefix string, secret []byte) *expander {
	return &expander{mac: hmac.New(h.New, secret), size: h.Size(), prefix: prefix}
}

// label is HKDF-Expand-Label(secret, label, context, length).
func (e *expander) label(label string, context []byte, length int) []byte {
	return e.appendLabel(nil, label, context, length)
}

// appendLabel appends HKDF-Expand-Label(secret, label, context, length)
// to dst; with room for whole hash blocks in dst it allocates nothing.
func (e *expander) appendLabel(dst []byte, label string, context []byte, length int) []byte {
	if len(e.prefix)+len(label) > 255 || len(context) > 255 || length > 0xffff {
		panic("keysched: label, context or length too long: " + label)
	}
	// HkdfLabel: uint16 length, opaque label<7..255> = prefix + label,
	// opaque context<0..255>.
	info := append(e.info[:0], byte(length>>8), byte(length), byte(len(e.prefix)+len(label)))
	info = append(info, e.prefix...)
	info = append(info, label...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	return e.expand(dst, info, length)
}

// expand is HKDF-Expand(PRK, info, L): T(i) = HMAC(PRK, T(i-1) | info |
// i), the output their concatenation cut to L bytes. info may lie in
// e.info; one byte past it is used for the counter. The output is
// appended to dst.
func (e *expander) expand(dst, info []byte, length int) []byte {
	n := (length + e.size - 1) / e.size
	if n > 255 {
		panic("keysched: HKDF-Expand output too long")
	}
	start := len(dst)
	out := dst
	if cap(out)-start < n*e.size {
		out = append(make([]byte, 0, start+n*e.size), dst...)
	}
	var prev []byte
	m := len(info)
	for i := 1; i <= n; i++ {
		if e.used {
			e.mac.Reset()
		}
		e.used = true
		e.mac.Write(prev)
		info = append(info[:m], byte(i))
		e.mac.Write(info)
		out = e.mac.Sum(out)
		prev = out[len(out)-e.size:]
	}
	return out[:start+length]
}
