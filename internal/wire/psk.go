package wire

import "golang.org/x/crypto/cryptobyte"

// TLS 1.2 pre-shared keys (RFC 4279 plain PSK, RFC 5489 ECDHE_PSK): the
// key exchange messages carry an identity hint and an identity instead of
// a signature and a certificate.

// PSKServerKeyExchange is the ServerKeyExchange of a PSK suite: the
// psk_identity_hint (RFC 4279 5.2), then for ECDHE_PSK the
// ServerECDHParams, not signed (RFC 5489 2).
type PSKServerKeyExchange struct {
	Hint   []byte
	ECDHE  bool
	Group  uint16
	Public []byte
}

// Unmarshal parses a whole message; ecdhe says whether the suite is an
// ECDHE_PSK one.
func (m *PSKServerKeyExchange) Unmarshal(msg []byte, ecdhe bool) error {
	*m = PSKServerKeyExchange{ECDHE: ecdhe}
	s, err := body(msg, TypeServerKeyExchange, "ServerKeyExchange")
	if err != nil {
		return err
	}
	var hint cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&hint) {
		return decodeErr("ServerKeyExchange")
	}
	m.Hint = hint
	if ecdhe {
		var curveType uint8
		var pub cryptobyte.String
		if !s.ReadUint8(&curveType) || curveType != 3 || !s.ReadUint16(&m.Group) ||
			!s.ReadUint8LengthPrefixed(&pub) || len(pub) == 0 {
			return decodeErr("ServerKeyExchange")
		}
		m.Public = pub
	}
	if !s.Empty() {
		return decodeErr("ServerKeyExchange")
	}
	return nil
}

// Marshal encodes the message.
func (m *PSKServerKeyExchange) Marshal() []byte {
	return marshalMessage(TypeServerKeyExchange, 8+len(m.Hint)+len(m.Public), func(b *Builder) {
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Hint) })
		if m.ECDHE {
			b.AddUint8(3) // named_curve
			b.AddUint16(m.Group)
			b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Public) })
		}
	})
}

// PSKClientKeyExchange is the ClientKeyExchange of a PSK suite: the
// psk_identity, then for ECDHE_PSK the client's public value.
type PSKClientKeyExchange struct {
	Identity []byte
	ECDHE    bool
	Public   []byte
}

// Unmarshal parses a whole message.
func (m *PSKClientKeyExchange) Unmarshal(msg []byte, ecdhe bool) error {
	*m = PSKClientKeyExchange{ECDHE: ecdhe}
	s, err := body(msg, TypeClientKeyExchange, "ClientKeyExchange")
	if err != nil {
		return err
	}
	var id cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&id) || len(id) == 0 {
		return decodeErr("ClientKeyExchange")
	}
	m.Identity = id
	if ecdhe {
		var pub cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&pub) || len(pub) == 0 {
			return decodeErr("ClientKeyExchange")
		}
		m.Public = pub
	}
	if !s.Empty() {
		return decodeErr("ClientKeyExchange")
	}
	return nil
}

// Marshal encodes the message.
func (m *PSKClientKeyExchange) Marshal() []byte {
	return marshalMessage(TypeClientKeyExchange, 3+len(m.Identity)+len(m.Public), func(b *Builder) {
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Identity) })
		if m.ECDHE {
			b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Public) })
		}
	})
}

// PSKPreMaster is the premaster secret of a PSK suite: other_secret (as
// many zeros as the key is long for plain PSK, RFC 4279 2; the ECDH
// shared secret for ECDHE_PSK, RFC 5489 2) and the key, each after its
// two-byte length.
func PSKPreMaster(other, psk []byte) []byte {
	out := make([]byte, 0, 4+len(other)+len(psk))
	out = append(out, byte(len(other)>>8), byte(len(other)))
	out = append(out, other...)
	out = append(out, byte(len(psk)>>8), byte(len(psk)))
	return append(out, psk...)
}
