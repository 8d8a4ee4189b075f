package wire

import (
	"golang.org/x/crypto/cryptobyte"
)

// TLS 1.2 messages (RFC 5246 with RFC 8422 for ECDHE).

// CurveTypeNamed is ECCurveType named_curve (RFC 8422 section 5.4).
const CurveTypeNamed uint8 = 3

// ServerKeyExchange carries the server's ECDHE share and its signature
// (RFC 8422 section 5.4, RFC 5246 section 7.4.3).
type ServerKeyExchange struct {
	Raw       []byte
	Group     uint16
	Public    []byte
	Scheme    uint16
	Signature []byte
}

// Params returns the signed ServerECDHParams bytes.
func (m *ServerKeyExchange) Params() []byte {
	p := []byte{CurveTypeNamed, byte(m.Group >> 8), byte(m.Group), byte(len(m.Public))}
	return append(p, m.Public...)
}

// Unmarshal parses a whole ServerKeyExchange.
func (m *ServerKeyExchange) Unmarshal(msg []byte) error {
	*m = ServerKeyExchange{Raw: msg}
	s, err := body(msg, TypeServerKeyExchange, "ServerKeyExchange")
	if err != nil {
		return err
	}
	var ct uint8
	var pub, sig cryptobyte.String
	if !s.ReadUint8(&ct) || !s.ReadUint16(&m.Group) || !s.ReadUint8LengthPrefixed(&pub) || len(pub) == 0 ||
		!s.ReadUint16(&m.Scheme) || !s.ReadUint16LengthPrefixed(&sig) || len(sig) == 0 || !s.Empty() {
		return decodeErr("ServerKeyExchange")
	}
	if ct != CurveTypeNamed {
		return Errorf(AlertIllegalParameter, "ServerKeyExchange curve type %d", ct)
	}
	m.Public, m.Signature = pub, sig
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *ServerKeyExchange) Marshal() []byte {
	m.Raw = marshalMessage(TypeServerKeyExchange, 16+len(m.Public)+len(m.Signature), func(b *Builder) {
		b.AddBytes(m.Params())
		b.AddUint16(m.Scheme)
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Signature) })
	})
	return m.Raw
}

// ClientKeyExchange carries the client's ECDHE share (RFC 8422 5.7).
type ClientKeyExchange struct {
	Raw    []byte
	Public []byte
}

// Unmarshal parses a whole ClientKeyExchange.
func (m *ClientKeyExchange) Unmarshal(msg []byte) error {
	*m = ClientKeyExchange{Raw: msg}
	s, err := body(msg, TypeClientKeyExchange, "ClientKeyExchange")
	if err != nil {
		return err
	}
	var pub cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&pub) || len(pub) == 0 || !s.Empty() {
		return decodeErr("ClientKeyExchange")
	}
	m.Public = pub
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *ClientKeyExchange) Marshal() []byte {
	m.Raw = marshalMessage(TypeClientKeyExchange, 1+len(m.Public), func(b *Builder) {
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Public) })
	})
	return m.Raw
}

// Certificate12 is the TLS 1.2 Certificate message: a plain chain.
type Certificate12 struct {
	Raw   []byte
	Chain [][]byte
}

// Unmarshal parses a whole TLS 1.2 Certificate.
func (m *Certificate12) Unmarshal(msg []byte) error {
	*m = Certificate12{Raw: msg}
	s, err := body(msg, TypeCertificate, "Certificate")
	if err != nil {
		return err
	}
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return decodeErr("Certificate")
	}
	for !list.Empty() {
		var c cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&c) || len(c) == 0 {
			return decodeErr("Certificate")
		}
		m.Chain = append(m.Chain, c)
	}
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *Certificate12) Marshal() []byte {
	size := 8
	for _, c := range m.Chain {
		size += 3 + len(c)
	}
	m.Raw = marshalMessage(TypeCertificate, size, func(b *Builder) {
		b.AddUint24LengthPrefixed(func(b *Builder) {
			for _, c := range m.Chain {
				b.AddUint24LengthPrefixed(func(b *Builder) { b.AddBytes(c) })
			}
		})
	})
	return m.Raw
}

// CertificateRequest12 is the TLS 1.2 CertificateRequest (RFC 5246
// section 7.4.4).
type CertificateRequest12 struct {
	Raw             []byte
	CertTypes       []uint8
	SigSchemes      []uint16
	CertAuthorities [][]byte
}

// Client certificate types (RFC 5246, RFC 8422).
const (
	CertTypeRSASign   uint8 = 1
	CertTypeECDSASign uint8 = 64
)

// Unmarshal parses a whole TLS 1.2 CertificateRequest.
func (m *CertificateRequest12) Unmarshal(msg []byte) error {
	*m = CertificateRequest12{Raw: msg}
	s, err := body(msg, TypeCertificateRequest, "CertificateRequest")
	if err != nil {
		return err
	}
	var types, cas cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&types) || len(types) == 0 || !readUint16List(&s, &m.SigSchemes) ||
		!s.ReadUint16LengthPrefixed(&cas) || !s.Empty() {
		return decodeErr("CertificateRequest")
	}
	m.CertTypes = types
	for !cas.Empty() {
		var dn cryptobyte.String
		if !cas.ReadUint16LengthPrefixed(&dn) || len(dn) == 0 {
			return decodeErr("CertificateRequest")
		}
		m.CertAuthorities = append(m.CertAuthorities, dn)
	}
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *CertificateRequest12) Marshal() []byte {
	m.Raw = marshalMessage(TypeCertificateRequest, 64, func(b *Builder) {
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.CertTypes) })
		addUint16List(b, m.SigSchemes)
		b.AddUint16LengthPrefixed(func(b *Builder) {
			for _, ca := range m.CertAuthorities {
				b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(ca) })
			}
		})
	})
	return m.Raw
}

// NewSessionTicket12 is the RFC 5077 NewSessionTicket.
type NewSessionTicket12 struct {
	Raw      []byte
	Lifetime uint32
	Ticket   []byte
}

// Unmarshal parses a whole RFC 5077 NewSessionTicket.
func (m *NewSessionTicket12) Unmarshal(msg []byte) error {
	*m = NewSessionTicket12{Raw: msg}
	s, err := body(msg, TypeNewSessionTicket, "NewSessionTicket")
	if err != nil {
		return err
	}
	var t cryptobyte.String
	if !s.ReadUint32(&m.Lifetime) || !s.ReadUint16LengthPrefixed(&t) || !s.Empty() {
		return decodeErr("NewSessionTicket")
	}
	m.Ticket = t
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *NewSessionTicket12) Marshal() []byte {
	m.Raw = marshalMessage(TypeNewSessionTicket, 8+len(m.Ticket), func(b *Builder) {
		b.AddUint32(m.Lifetime)
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Ticket) })
	})
	return m.Raw
}

// ServerHelloDone has an empty body.
var ServerHelloDone = []byte{TypeServerHelloDone, 0, 0, 0}

// HelloRequest has an empty body.
var HelloRequest = []byte{TypeHelloRequest, 0, 0, 0}

// CertificateStatus carries a stapled OCSP response in TLS 1.2 (RFC 6066
// section 8).
type CertificateStatus struct {
	Raw      []byte
	Response []byte
}

// Unmarshal parses a whole CertificateStatus.
func (m *CertificateStatus) Unmarshal(msg []byte) error {
	*m = CertificateStatus{Raw: msg}
	s, err := body(msg, TypeCertificateStatus, "CertificateStatus")
	if err != nil {
		return err
	}
	var st uint8
	var resp cryptobyte.String
	if !s.ReadUint8(&st) || !s.ReadUint24LengthPrefixed(&resp) || len(resp) == 0 || !s.Empty() {
		return decodeErr("CertificateStatus")
	}
	if st != StatusTypeOCSP {
		return Errorf(AlertIllegalParameter, "CertificateStatus of type %d", st)
	}
	m.Response = resp
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *CertificateStatus) Marshal() []byte {
	m.Raw = marshalMessage(TypeCertificateStatus, 4+len(m.Response), func(b *Builder) {
		b.AddUint8(StatusTypeOCSP)
		b.AddUint24LengthPrefixed(func(b *Builder) { b.AddBytes(m.Response) })
	})
	return m.Raw
}

// HelloVerifyRequest is a DTLS 1.2 server's answer to a ClientHello
// without a valid cookie (RFC 6347 section 4.2.1): the client sends its
// ClientHello again with Cookie.
type HelloVerifyRequest struct {
	// Vers is DTLS 1.0 (0xfeff) whatever will be negotiated (RFC 6347
	// 4.2.1 lets a server send it for any version, and peers expect it).
	Vers   uint16
	Cookie []byte
}

// MaxHelloVerifyCookie is the largest cookie DTLS 1.2 carries (RFC 6347
// section 4.2.1: opaque cookie<0..2^8-1>).
const MaxHelloVerifyCookie = 255

// Unmarshal parses a whole HelloVerifyRequest.
func (m *HelloVerifyRequest) Unmarshal(msg []byte) error {
	s, err := body(msg, TypeHelloVerifyRequest, "HelloVerifyRequest")
	if err != nil {
		return err
	}
	var cookie cryptobyte.String
	if !s.ReadUint16(&m.Vers) || !s.ReadUint8LengthPrefixed(&cookie) || !s.Empty() {
		return decodeErr("HelloVerifyRequest")
	}
	m.Cookie = cookie
	return nil
}

// Marshal encodes the message.
func (m *HelloVerifyRequest) Marshal() []byte {
	return marshalMessage(TypeHelloVerifyRequest, 3+len(m.Cookie), func(b *Builder) {
		b.AddUint16(m.Vers)
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Cookie) })
	})
}
