package wire

import (
	"golang.org/x/crypto/cryptobyte"
)

// EncryptedExtensions (RFC 8446 section 4.3.1).
type EncryptedExtensions struct {
	Raw             []byte
	ServerNameAck   bool
	ALPN            string
	SupportedGroups []uint16
	EarlyData       bool
	RecordSizeLimit uint16

	// Extensions is every extension of the parsed message, known or
	// not, in wire order, with Data pointing into Raw. Unmarshal sets
	// it; Marshal does not read it.
	Extensions []Extension

	// Extra holds extensions a caller (a transport: QUIC's
	// quic_transport_parameters, say) adds when marshalling, written as
	// they are after those hasp encodes from the fields above. Types
	// hasp encodes itself in EncryptedExtensions and repeated types are
	// refused: see CheckExtra. Unmarshal leaves it empty.
	Extra []Extension
}

// CheckExtra reports whether Extra can be marshalled: Marshal panics
// where this returns an error.
func (m *EncryptedExtensions) CheckExtra() error {
	return checkExtra(TypeEncryptedExtensions, m.Extra)
}

// Unmarshal parses a whole EncryptedExtensions message.
func (m *EncryptedExtensions) Unmarshal(msg []byte) error {
	*m = EncryptedExtensions{Raw: msg}
	s, err := body(msg, TypeEncryptedExtensions, "EncryptedExtensions")
	if err != nil {
		return err
	}
	if s.Empty() {
		return decodeErr("EncryptedExtensions")
	}
	m.Extensions, err = readExtensions(&s, "EncryptedExtensions", func(typ uint16, d cryptobyte.String) error {
		ok := true
		switch typ {
		case ExtServerName:
			ok = d.Empty()
			m.ServerNameAck = true
		case ExtALPN:
			var protos []string
			protos, ok = readALPN(d)
			ok = ok && len(protos) == 1
			if ok {
				m.ALPN = protos[0]
			}
		case ExtSupportedGroups:
			ok = readUint16List(&d, &m.SupportedGroups) && d.Empty()
		case ExtEarlyData:
			ok = d.Empty()
			m.EarlyData = true
		case ExtRecordSizeLimit:
			ok = d.ReadUint16(&m.RecordSizeLimit) && d.Empty()
			if ok && m.RecordSizeLimit < 64 {
				return Errorf(AlertIllegalParameter, "record_size_limit %d below 64", m.RecordSizeLimit)
			}
		}
		if !ok {
			return decodeErr("EncryptedExtensions extension " + extName(typ))
		}
		return nil
	})
	return err
}

// Marshal encodes the message and sets Raw. It panics if Extra holds an
// extension CheckExtra refuses.
func (m *EncryptedExtensions) Marshal() []byte {
	if err := m.CheckExtra(); err != nil {
		panic("wire: EncryptedExtensions.Marshal: " + err.Error())
	}
	m.Raw = marshalMessage(TypeEncryptedExtensions, 64+extraSize(m.Extra), func(b *Builder) {
		b.AddUint16LengthPrefixed(func(b *Builder) {
			if len(m.SupportedGroups) > 0 {
				addExtension(b, ExtSupportedGroups, func(b *Builder) { addUint16List(b, m.SupportedGroups) })
			}
			if m.RecordSizeLimit != 0 {
				addExtension(b, ExtRecordSizeLimit, func(b *Builder) { b.AddUint16(m.RecordSizeLimit) })
			}
			if m.ServerNameAck {
				addExtension(b, ExtServerName, empty)
			}
			if m.ALPN != "" {
				addALPN(b, []string{m.ALPN})
			}
			if m.EarlyData {
				addExtension(b, ExtEarlyData, empty)
			}
			addExtra(b, m.Extra)
		})
	})
	return m.Raw
}

// CertificateRequest (RFC 8446 section 4.3.2).
type CertificateRequest struct {
	Raw             []byte
	Context         []byte
	SigSchemes      []uint16
	SigSchemesCert  []uint16
	CertAuthorities [][]byte
	StatusRequest   bool
	SCT             bool

	// Extensions is every extension of the parsed message, known or
	// not, in wire order, with Data pointing into Raw. Unmarshal sets
	// it; Marshal does not read it.
	Extensions []Extension
}

// Unmarshal parses a whole TLS 1.3 CertificateRequest.
func (m *CertificateRequest) Unmarshal(msg []byte) error {
	*m = CertificateRequest{Raw: msg}
	s, err := body(msg, TypeCertificateRequest, "CertificateRequest")
	if err != nil {
		return err
	}
	var ctx cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&ctx) || s.Empty() {
		return decodeErr("CertificateRequest")
	}
	m.Context = ctx
	m.Extensions, err = readExtensions(&s, "CertificateRequest", func(typ uint16, d cryptobyte.String) error {
		ok := true
		switch typ {
		case ExtSignatureAlgorithms:
			ok = readUint16List(&d, &m.SigSchemes) && d.Empty()
		case ExtSignatureAlgsCert:
			ok = readUint16List(&d, &m.SigSchemesCert) && d.Empty()
		case ExtCertAuthorities:
			m.CertAuthorities, ok = readCertAuthorities(d)
		case ExtStatusRequest:
			m.StatusRequest = true
		case ExtSCT:
			ok = d.Empty()
			m.SCT = true
		}
		if !ok {
			return decodeErr("CertificateRequest extension " + extName(typ))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(m.SigSchemes) == 0 {
		// RFC 8446 section 4.3.2: signature_algorithms MUST be specified.
		return Errorf(AlertMissingExtension, "CertificateRequest without signature_algorithms")
	}
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *CertificateRequest) Marshal() []byte {
	m.Raw = marshalMessage(TypeCertificateRequest, 64, func(b *Builder) {
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Context) })
		b.AddUint16LengthPrefixed(func(b *Builder) {
			if m.StatusRequest {
				addExtension(b, ExtStatusRequest, func(b *Builder) {
					b.AddUint8(StatusTypeOCSP)
					b.AddUint16(0)
					b.AddUint16(0)
				})
			}
			if m.SCT {
				addExtension(b, ExtSCT, empty)
			}
			addExtension(b, ExtSignatureAlgorithms, func(b *Builder) { addUint16List(b, m.SigSchemes) })
			if len(m.SigSchemesCert) > 0 {
				addExtension(b, ExtSignatureAlgsCert, func(b *Builder) { addUint16List(b, m.SigSchemesCert) })
			}
			if len(m.CertAuthorities) > 0 {
				addCertAuthorities(b, m.CertAuthorities)
			}
		})
	})
	return m.Raw
}

// CertificateEntry is one certificate of a TLS 1.3 Certificate message
// with the per-certificate extensions hasp carries.
type CertificateEntry struct {
	Data []byte
	OCSP []byte
	SCTs [][]byte

	// Extensions is every extension of the parsed entry, known or not,
	// in wire order, with Data pointing into the message. Unmarshal sets
	// it; Marshal does not read it.
	Extensions []Extension
}

// Certificate is the TLS 1.3 Certificate message (RFC 8446 section 4.4.2).
type Certificate struct {
	Raw     []byte
	Context []byte
	Entries []CertificateEntry
}

// Unmarshal parses a whole TLS 1.3 Certificate message.
func (m *Certificate) Unmarshal(msg []byte) error {
	*m = Certificate{Raw: msg}
	s, err := body(msg, TypeCertificate, "Certificate")
	if err != nil {
		return err
	}
	var ctx, list cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&ctx) || !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return decodeErr("Certificate")
	}
	m.Context = ctx
	for !list.Empty() {
		var e CertificateEntry
		var data cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&data) || len(data) == 0 {
			return decodeErr("Certificate entry")
		}
		e.Data = data
		// Every entry carries an extensions field, even when empty.
		e.Extensions, err = readExtBlock(&list, "CertificateEntry", func(typ uint16, d cryptobyte.String) error {
			ok := true
			switch typ {
			case ExtStatusRequest:
				// CertificateStatus (RFC 8446 section 4.4.2.1).
				var st uint8
				var resp cryptobyte.String
				ok = d.ReadUint8(&st) && st == StatusTypeOCSP && d.ReadUint24LengthPrefixed(&resp) && len(resp) > 0 && d.Empty()
				e.OCSP = resp
			case ExtSCT:
				e.SCTs, ok = readSCTList(d)
			}
			if !ok {
				return decodeErr("CertificateEntry extension " + extName(typ))
			}
			return nil
		})
		if err != nil {
			return err
		}
		m.Entries = append(m.Entries, e)
	}
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *Certificate) Marshal() []byte {
	size := 16
	for _, e := range m.Entries {
		size += 16 + len(e.Data) + len(e.OCSP)
	}
	m.Raw = marshalMessage(TypeCertificate, size, func(b *Builder) {
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Context) })
		b.AddUint24LengthPrefixed(func(b *Builder) {
			for _, e := range m.Entries {
				b.AddUint24LengthPrefixed(func(b *Builder) { b.AddBytes(e.Data) })
				b.AddUint16LengthPrefixed(func(b *Builder) {
					if len(e.OCSP) > 0 {
						addExtension(b, ExtStatusRequest, func(b *Builder) {
							b.AddUint8(StatusTypeOCSP)
							b.AddUint24LengthPrefixed(func(b *Builder) { b.AddBytes(e.OCSP) })
						})
					}
					if len(e.SCTs) > 0 {
						addSCTList(b, e.SCTs)
					}
				})
			}
		})
	})
	return m.Raw
}

// CertificateVerify (RFC 8446 section 4.4.3), also TLS 1.2's form with a
// signature scheme.
type CertificateVerify struct {
	Raw       []byte
	Scheme    uint16
	Signature []byte
}

// Unmarshal parses a whole CertificateVerify.
func (m *CertificateVerify) Unmarshal(msg []byte) error {
	*m = CertificateVerify{Raw: msg}
	s, err := body(msg, TypeCertificateVerify, "CertificateVerify")
	if err != nil {
		return err
	}
	var sig cryptobyte.String
	if !s.ReadUint16(&m.Scheme) || !s.ReadUint16LengthPrefixed(&sig) || len(sig) == 0 || !s.Empty() {
		return decodeErr("CertificateVerify")
	}
	m.Signature = sig
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *CertificateVerify) Marshal() []byte {
	m.Raw = marshalMessage(TypeCertificateVerify, 8+len(m.Signature), func(b *Builder) {
		b.AddUint16(m.Scheme)
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Signature) })
	})
	return m.Raw
}

// Finished (RFC 8446 section 4.4.4). The length of verify_data is fixed by
// the hash, so the caller checks it.
type Finished struct {
	Raw        []byte
	VerifyData []byte
}

// Unmarshal parses a whole Finished message.
func (m *Finished) Unmarshal(msg []byte) error {
	*m = Finished{Raw: msg}
	s, err := body(msg, TypeFinished, "Finished")
	if err != nil {
		return err
	}
	m.VerifyData = s
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *Finished) Marshal() []byte {
	n := len(m.VerifyData)
	msg := make([]byte, HandshakeHeaderLen+n)
	msg[0], msg[1], msg[2], msg[3] = TypeFinished, byte(n>>16), byte(n>>8), byte(n)
	copy(msg[4:], m.VerifyData)
	m.Raw = msg
	return msg
}

// NewSessionTicket is the TLS 1.3 message (RFC 8446 section 4.6.1).
type NewSessionTicket struct {
	Raw          []byte
	Lifetime     uint32
	AgeAdd       uint32
	Nonce        []byte
	Ticket       []byte
	MaxEarlyData uint32
	HasEarlyData bool

	// Extensions is every extension of the parsed message, known or
	// not, in wire order, with Data pointing into Raw. Unmarshal sets
	// it; Marshal does not read it.
	Extensions []Extension
}

// Unmarshal parses a whole TLS 1.3 NewSessionTicket.
func (m *NewSessionTicket) Unmarshal(msg []byte) error {
	*m = NewSessionTicket{Raw: msg}
	s, err := body(msg, TypeNewSessionTicket, "NewSessionTicket")
	if err != nil {
		return err
	}
	var nonce, ticket cryptobyte.String
	if !s.ReadUint32(&m.Lifetime) || !s.ReadUint32(&m.AgeAdd) ||
		!s.ReadUint8LengthPrefixed(&nonce) || !s.ReadUint16LengthPrefixed(&ticket) || len(ticket) == 0 {
		return decodeErr("NewSessionTicket")
	}
	if s.Empty() {
		return decodeErr("NewSessionTicket")
	}
	m.Nonce, m.Ticket = nonce, ticket
	m.Extensions, err = readExtensions(&s, "NewSessionTicket", func(typ uint16, d cryptobyte.String) error {
		if typ == ExtEarlyData {
			if !d.ReadUint32(&m.MaxEarlyData) || !d.Empty() {
				return decodeErr("NewSessionTicket early_data")
			}
			m.HasEarlyData = true
		}
		return nil
	})
	return err
}

// Marshal encodes the message and sets Raw.
func (m *NewSessionTicket) Marshal() []byte {
	m.Raw = marshalMessage(TypeNewSessionTicket, 32+len(m.Nonce)+len(m.Ticket), func(b *Builder) {
		b.AddUint32(m.Lifetime)
		b.AddUint32(m.AgeAdd)
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Nonce) })
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Ticket) })
		b.AddUint16LengthPrefixed(func(b *Builder) {
			if m.HasEarlyData {
				addExtension(b, ExtEarlyData, func(b *Builder) { b.AddUint32(m.MaxEarlyData) })
			}
		})
	})
	return m.Raw
}

// KeyUpdate (RFC 8446 section 4.6.3).
type KeyUpdate struct {
	Raw     []byte
	Request uint8
}

// Unmarshal parses a whole KeyUpdate; a request value other than 0 or 1
// is illegal_parameter.
func (m *KeyUpdate) Unmarshal(msg []byte) error {
	*m = KeyUpdate{Raw: msg}
	s, err := body(msg, TypeKeyUpdate, "KeyUpdate")
	if err != nil {
		return err
	}
	if !s.ReadUint8(&m.Request) || !s.Empty() {
		return decodeErr("KeyUpdate")
	}
	if m.Request > KeyUpdateRequested {
		return Errorf(AlertIllegalParameter, "KeyUpdate request_update %d", m.Request)
	}
	return nil
}

// Marshal encodes the message and sets Raw.
func (m *KeyUpdate) Marshal() []byte {
	m.Raw = []byte{TypeKeyUpdate, 0, 0, 1, m.Request}
	return m.Raw
}

// MessageHash builds the synthetic message_hash message that replaces
// ClientHello1 in the transcript after a HelloRetryRequest (RFC 8446
// section 4.4.1).
func MessageHash(hash []byte) []byte {
	m := make([]byte, HandshakeHeaderLen+len(hash))
	m[0] = TypeMessageHash
	m[3] = byte(len(hash))
	copy(m[4:], hash)
	return m
}
