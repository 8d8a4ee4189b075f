package wire

import (
	"fmt"
	"slices"
	"sync"

	"golang.org/x/crypto/cryptobyte"
)

// Error is a protocol failure: the alert to send and a reason a person can
// read.
type Error struct {
	Alert  Alert
	Reason string
	// NotTLS holds the first record header when the peer does not speak
	// TLS at all (plain HTTP, another text protocol), nil otherwise.
	NotTLS []byte
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return "tls: " + e.Alert.String()
	}
	return "tls: " + e.Reason + " (" + e.Alert.String() + ")"
}

// Errorf returns an *Error for alert a with a formatted reason.
func Errorf(a Alert, format string, args ...any) error {
	return &Error{Alert: a, Reason: fmt.Sprintf(format, args...)}
}

// AlertOf returns the alert an error asks for: the alert of an *Error or
// an Alert, internal_error otherwise.
func AlertOf(err error) Alert {
	switch e := err.(type) {
	case *Error:
		return e.Alert
	case Alert:
		return e
	}
	return AlertInternalError
}

func decodeErr(what string) error {
	return &Error{Alert: AlertDecodeError, Reason: "malformed " + what}
}

// HandshakeHeaderLen is the length of a handshake message header.
const HandshakeHeaderLen = 4

// MaxHandshakeLen bounds any handshake message body hasp accepts, to keep a
// peer from making us buffer without bound.
const MaxHandshakeLen = 1 << 18

// ParseHandshakeHeader returns the type and body length of a message.
func ParseHandshakeHeader(b []byte) (typ uint8, n int, ok bool) {
	if len(b) < HandshakeHeaderLen {
		return 0, 0, false
	}
	return b[0], int(b[1])<<16 | int(b[2])<<8 | int(b[3]), true
}

// body checks the header of a whole message and returns its body.
func body(msg []byte, typ uint8, name string) (cryptobyte.String, error) {
	t, n, ok := ParseHandshakeHeader(msg)
	if !ok || t != typ || n != len(msg)-HandshakeHeaderLen {
		return nil, decodeErr(name)
	}
	return cryptobyte.String(msg[HandshakeHeaderLen:]), nil
}

// newMessage starts a builder for a handshake message of type typ; the
// body goes inside the returned continuation.
func marshalMessage(typ uint8, sizeHint int, f BuilderContinuation) []byte {
	b := builderPool.Get().(*Builder)
	b.buf, b.err = make([]byte, 0, sizeHint+HandshakeHeaderLen), nil
	b.AddUint8(typ)
	b.AddUint24LengthPrefixed(f)
	out := b.BytesOrPanic()
	b.buf = nil
	builderPool.Put(b)
	return out
}

// builderPool keeps Builders: a message costs one allocation, its bytes.
var builderPool = sync.Pool{New: func() any { return new(Builder) }}

// readExtensions walks an extension block, calling fn for each extension in
// order. A missing block (s already empty) is allowed; duplicates are
// refused with illegal_parameter (RFC 8446 section 4.2: "There MUST NOT be
// more than one extension of the same type in a given extension block").
// It returns the extensions in the order they appeared, their data
// pointing into s.
func readExtensions(s *cryptobyte.String, name string, fn func(typ uint16, data cryptobyte.String) error) ([]Extension, error) {
	if s.Empty() {
		return nil, nil
	}
	exts, err := readExtBlock(s, name, fn)
	if err == nil && !s.Empty() {
		return nil, decodeErr(name + " (trailing bytes)")
	}
	return exts, err
}

// readExtBlock reads one extension block from s and leaves what follows.
func readExtBlock(s *cryptobyte.String, name string, fn func(typ uint16, data cryptobyte.String) error) ([]Extension, error) {
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) {
		return nil, decodeErr(name + " extensions")
	}
	if block.Empty() {
		return nil, nil
	}
	// Counted first, so that the list is one allocation of its size (a
	// ServerHello has two or three, a ClientHello some fifteen).
	n := 0
	for b := block; !b.Empty(); n++ {
		var typ uint16
		var data cryptobyte.String
		if !b.ReadUint16(&typ) || !b.ReadUint16LengthPrefixed(&data) {
			break // reported by the loop below
		}
	}
	exts := make([]Extension, 0, n)
	for !block.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !block.ReadUint16(&typ) || !block.ReadUint16LengthPrefixed(&data) {
			return nil, decodeErr(name + " extensions")
		}
		exts = append(exts, Extension{Type: typ, Data: data[:len(data):len(data)]})
		if err := fn(typ, data); err != nil {
			return nil, err
		}
	}
	if hasDuplicate(exts) {
		// RFC 8446 4.2 forbids two extensions of a type in a block but
		// names no alert; decode_error, as BoringSSL and crypto/tls send
		// (BoGo's DuplicateExtension tests expect it).
		return nil, Errorf(AlertDecodeError, "duplicate extension in %s", name)
	}
	return exts, nil
}

func hasDuplicate(exts []Extension) bool {
	if len(exts) <= 32 {
		for i := range exts {
			for j := i + 1; j < len(exts); j++ {
				if exts[i].Type == exts[j].Type {
					return true
				}
			}
		}
		return false
	}
	s := extTypes(exts)
	slices.Sort(s)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return true
		}
	}
	return false
}

// readUint16List reads a uint16-length-prefixed, non-empty vector of
// uint16 values.
func readUint16List(s *cryptobyte.String, out *[]uint16) bool {
	var l cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&l) || len(l) == 0 || len(l)%2 != 0 {
		return false
	}
	v := make([]uint16, 0, len(l)/2)
	for !l.Empty() {
		var x uint16
		l.ReadUint16(&x)
		v = append(v, x)
	}
	*out = v
	return true
}

func addUint16List(b *Builder, v []uint16) {
	b.AddUint16LengthPrefixed(func(b *Builder) {
		for _, x := range v {
			b.AddUint16(x)
		}
	})
}

func addExtension(b *Builder, typ uint16, f BuilderContinuation) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(f)
}

// addExtra writes extensions a caller supplied as they are.
func addExtra(b *Builder, extra []Extension) {
	for _, e := range extra {
		addExtension(b, e.Type, func(b *Builder) { b.AddBytes(e.Data) })
	}
}

func empty(*Builder) {}

// readALPN reads a ProtocolNameList (RFC 7301 section 3.1).
func readALPN(data cryptobyte.String) ([]string, bool) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return nil, false
	}
	var out []string
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) || len(p) == 0 {
			return nil, false
		}
		out = append(out, string(p))
	}
	return out, true
}

func addALPN(b *Builder, protos []string) {
	addExtension(b, ExtALPN, func(b *Builder) {
		b.AddUint16LengthPrefixed(func(b *Builder) {
			for _, p := range protos {
				b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes([]byte(p)) })
			}
		})
	})
}

// readCertAuthorities reads a certificate_authorities body (RFC 8446
// section 4.2.4): a list of DER distinguished names.
func readCertAuthorities(data cryptobyte.String) ([][]byte, bool) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return nil, false
	}
	var out [][]byte
	for !list.Empty() {
		var dn cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&dn) || len(dn) == 0 {
			return nil, false
		}
		out = append(out, dn)
	}
	return out, true
}

func addCertAuthorities(b *Builder, cas [][]byte) {
	addExtension(b, ExtCertAuthorities, func(b *Builder) {
		b.AddUint16LengthPrefixed(func(b *Builder) {
			for _, ca := range cas {
				b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(ca) })
			}
		})
	})
}

// readSCTList reads a SignedCertificateTimestampList (RFC 6962 section 3.3).
func readSCTList(data cryptobyte.String) ([][]byte, bool) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return nil, false
	}
	var out [][]byte
	for !list.Empty() {
		var sct cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&sct) || len(sct) == 0 {
			return nil, false
		}
		out = append(out, sct)
	}
	return out, true
}

func addSCTList(b *Builder, scts [][]byte) {
	addExtension(b, ExtSCT, func(b *Builder) {
		b.AddUint16LengthPrefixed(func(b *Builder) {
			for _, s := range scts {
				b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(s) })
			}
		})
	})
}
