package wire

import (
	"golang.org/x/crypto/cryptobyte"
)

// KeyShare is a KeyShareEntry (RFC 8446 section 4.2.8).
type KeyShare struct {
	Group uint16
	Data  []byte
}

// PSKIdentity is one offered pre-shared key (RFC 8446 section 4.2.11).
type PSKIdentity struct {
	Identity            []byte
	ObfuscatedTicketAge uint32
}

// ClientHello (RFC 8446 section 4.1.2) with the extensions hasp knows.
// Slices point into the parsed message; copy what outlives it.
type ClientHello struct {
	Raw       []byte // the whole message as received or marshalled
	Vers      uint16
	Random    [32]byte
	SessionID []byte
	// Datagram: a DTLS ClientHello, with LegacyCookie after the session
	// ID (RFC 6347 section 4.2.1; empty in DTLS 1.3, RFC 9147 5.3).
	Datagram     bool
	LegacyCookie []byte
	CipherSuites []uint16
	Compression  []uint8

	ServerName        string
	HasServerName     bool
	SupportedGroups   []uint16
	PointFormats      []uint8
	SigSchemes        []uint16
	SigSchemesCert    []uint16
	SupportedVersions []uint16
	KeyShares         []KeyShare
	HasKeyShare       bool
	PSKModes          []uint8
	Cookie            []byte
	ALPN              []string
	StatusRequest     bool
	SCT               bool
	EarlyData         bool
	PostHandshakeAuth bool
	EMS               bool
	SecureReneg       []byte
	HasSecureReneg    bool
	SessionTicket     []byte
	HasSessionTicket  bool
	RecordSizeLimit   uint16
	CertAuthorities   [][]byte
	PSKIdentities     []PSKIdentity
	PSKBinders        [][]byte

	// Padding is the length of a padding extension to add when marshalling
	// (-1 for none).
	Padding int

	// Extensions is every extension of the parsed hello, known or not,
	// in wire order, with Data pointing into Raw. Unmarshal sets it;
	// Marshal does not read it and clears it.
	Extensions []Extension

	// Extra holds extensions a caller (a transport such as QUIC) adds
	// when marshalling, written as they are after those hasp encodes
	// from the fields above and before padding and pre_shared_key, which
	// stay last (RFC 8446 section 4.2.11). Types hasp encodes itself
	// (those KnownExtension reports) and repeated types are refused:
	// see CheckExtra. Unmarshal leaves it empty.
	Extra []Extension
}

// CheckExtra reports whether Extra can be marshalled: Marshal panics
// where this returns an error.
func (m *ClientHello) CheckExtra() error { return checkExtra(TypeClientHello, m.Extra) }

// Has reports whether the hello carried extension typ.
func (m *ClientHello) Has(typ uint16) bool {
	_, ok := FindExtension(m.Extensions, typ)
	return ok
}

// Unmarshal parses a whole ClientHello message (header included).
func (m *ClientHello) Unmarshal(msg []byte) error { return m.unmarshal(msg, false) }

// UnmarshalDatagram parses a DTLS ClientHello (with its legacy_cookie).
func (m *ClientHello) UnmarshalDatagram(msg []byte) error { return m.unmarshal(msg, true) }

func (m *ClientHello) unmarshal(msg []byte, datagram bool) error {
	*m = ClientHello{Raw: msg, Padding: -1, Datagram: datagram}
	s, err := body(msg, TypeClientHello, "ClientHello")
	if err != nil {
		return err
	}
	var random, sid, cookie, suites, comp cryptobyte.String
	if !s.ReadUint16(&m.Vers) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sid) || len(sid) > 32 ||
		// RFC 6347 section 4.2.1: opaque cookie<0..2^8-1>.
		datagram && !s.ReadUint8LengthPrefixed(&cookie) ||
		!s.ReadUint16LengthPrefixed(&suites) || len(suites) < 2 || len(suites)%2 != 0 ||
		!s.ReadUint8LengthPrefixed(&comp) || len(comp) < 1 {
		return decodeErr("ClientHello")
	}
	copy(m.Random[:], random)
	m.SessionID = sid
	m.LegacyCookie = cookie
	m.CipherSuites = make([]uint16, 0, len(suites)/2)
	for !suites.Empty() {
		var c uint16
		suites.ReadUint16(&c)
		m.CipherSuites = append(m.CipherSuites, c)
	}
	m.Compression = comp
	pskSeen := false
	m.Extensions, err = readExtensions(&s, "ClientHello", func(typ uint16, d cryptobyte.String) error {
		if pskSeen {
			// RFC 8446 section 4.2.11: pre_shared_key MUST be the last
			// extension in the ClientHello.
			return Errorf(AlertIllegalParameter, "pre_shared_key is not the last extension")
		}
		ok := true
		switch typ {
		case ExtServerName:
			if err := m.readServerName(d); err != nil {
				return err
			}
		case ExtSupportedGroups:
			ok = readUint16List(&d, &m.SupportedGroups) && d.Empty()
		case ExtECPointFormats:
			var f cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&f) && len(f) > 0 && d.Empty()
			m.PointFormats = f
		case ExtSignatureAlgorithms:
			ok = readUint16List(&d, &m.SigSchemes) && d.Empty()
		case ExtSignatureAlgsCert:
			ok = readUint16List(&d, &m.SigSchemesCert) && d.Empty()
		case ExtSupportedVersions:
			var l cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&l) && d.Empty() && len(l) >= 2 && len(l)%2 == 0
			for ok && !l.Empty() {
				var v uint16
				l.ReadUint16(&v)
				m.SupportedVersions = append(m.SupportedVersions, v)
			}
		case ExtKeyShare:
			m.HasKeyShare = true
			var l cryptobyte.String
			ok = d.ReadUint16LengthPrefixed(&l) && d.Empty()
			for ok && !l.Empty() {
				var ks KeyShare
				var data cryptobyte.String
				if !l.ReadUint16(&ks.Group) || !l.ReadUint16LengthPrefixed(&data) || len(data) == 0 {
					ok = false
					break
				}
				ks.Data = data
				m.KeyShares = append(m.KeyShares, ks)
			}
		case ExtPSKModes:
			var l cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&l) && len(l) > 0 && d.Empty()
			m.PSKModes = l
		case ExtCookie:
			var c cryptobyte.String
			ok = d.ReadUint16LengthPrefixed(&c) && len(c) > 0 && d.Empty()
			m.Cookie = c
		case ExtALPN:
			m.ALPN, ok = readALPN(d)
		case ExtStatusRequest:
			// CertificateStatusRequest; only the OCSP type is acted on.
			var st uint8
			var ids, exts cryptobyte.String
			ok = d.ReadUint8(&st) && d.ReadUint16LengthPrefixed(&ids) &&
				d.ReadUint16LengthPrefixed(&exts) && d.Empty()
			m.StatusRequest = ok && st == StatusTypeOCSP
		case ExtSCT:
			ok = d.Empty()
			m.SCT = true
		case ExtEarlyData:
			ok = d.Empty()
			m.EarlyData = true
		case ExtPostHandshakeAuth:
			ok = d.Empty()
			m.PostHandshakeAuth = true
		case ExtExtendedMasterSecret:
			ok = d.Empty()
			m.EMS = true
		case ExtRenegotiationInfo:
			var r cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&r) && d.Empty()
			m.SecureReneg, m.HasSecureReneg = r, true
		case ExtSessionTicket:
			m.SessionTicket, m.HasSessionTicket = d, true
		case ExtRecordSizeLimit:
			ok = d.ReadUint16(&m.RecordSizeLimit) && d.Empty()
			if ok && m.RecordSizeLimit < 64 {
				// RFC 8449 section 4.
				return Errorf(AlertIllegalParameter, "record_size_limit %d below 64", m.RecordSizeLimit)
			}
		case ExtCertAuthorities:
			m.CertAuthorities, ok = readCertAuthorities(d)
		case ExtPadding:
			// Content is ignored (RFC 7685).
		case ExtPreSharedKey:
			pskSeen = true
			ok = m.readPSK(d)
			if ok && len(m.PSKBinders) != len(m.PSKIdentities) {
				// Well formed, but one binder per identity is wanted
				// (RFC 8446 4.2.11): inconsistent fields.
				return Errorf(AlertIllegalParameter, "%d PSK identities but %d binders", len(m.PSKIdentities), len(m.PSKBinders))
			}
		}
		if !ok {
			return decodeErr("ClientHello extension " + extName(typ))
		}
		return nil
	})
	return err
}

func (m *ClientHello) readServerName(d cryptobyte.String) error {
	// RFC 6066 section 3.
	var list cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&list) || !d.Empty() || list.Empty() {
		return decodeErr("ClientHello extension server_name")
	}
	for !list.Empty() {
		var nameType uint8
		var name cryptobyte.String
		if !list.ReadUint8(&nameType) || !list.ReadUint16LengthPrefixed(&name) || len(name) == 0 {
			return decodeErr("ClientHello extension server_name")
		}
		if nameType != 0 {
			continue
		}
		if m.HasServerName {
			// "The ServerNameList MUST NOT contain more than one name of
			// the same name_type."
			return Errorf(AlertIllegalParameter, "server_name with two host_names")
		}
		if !validHostName(name) {
			// Peer bytes that are no DNS name (NUL, control, escape or
			// non-ASCII bytes) never reach a log or a callback.
			return Errorf(AlertIllegalParameter, "server_name %q is not an ASCII DNS name (RFC 6066 section 3)", truncate(string(name), 64))
		}
		m.ServerName, m.HasServerName = string(name), true
	}
	return nil
}

// validHostName accepts what RFC 6066 section 3 calls a HostName: an
// ASCII DNS name without a trailing dot: labels of letters, digits,
// hyphens (and underscores, which some names carry), 1 to 63 bytes each,
// 253 bytes in all.
func validHostName(b []byte) bool {
	if len(b) > 253 || b[len(b)-1] == '.' {
		return false
	}
	label := 0
	for _, c := range b {
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return label > 0
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (m *ClientHello) readPSK(d cryptobyte.String) bool {
	var ids, binders cryptobyte.String
	if !d.ReadUint16LengthPrefixed(&ids) || !d.ReadUint16LengthPrefixed(&binders) || !d.Empty() ||
		ids.Empty() || binders.Empty() {
		return false
	}
	for !ids.Empty() {
		var id PSKIdentity
		var ident cryptobyte.String
		if !ids.ReadUint16LengthPrefixed(&ident) || len(ident) == 0 || !ids.ReadUint32(&id.ObfuscatedTicketAge) {
			return false
		}
		id.Identity = ident
		m.PSKIdentities = append(m.PSKIdentities, id)
	}
	for !binders.Empty() {
		var b cryptobyte.String
		if !binders.ReadUint8LengthPrefixed(&b) || len(b) < 32 {
			return false
		}
		m.PSKBinders = append(m.PSKBinders, b)
	}
	return true
}

// Marshal encodes the hello, sets Raw, and returns it. It panics if Extra
// holds an extension CheckExtra refuses.
func (m *ClientHello) Marshal() []byte {
	if err := m.CheckExtra(); err != nil {
		panic("wire: ClientHello.Marshal: " + err.Error())
	}
	size := 256 + len(m.Cookie) + len(m.LegacyCookie) + extraSize(m.Extra)
	for _, ks := range m.KeyShares {
		size += 4 + len(ks.Data)
	}
	m.Raw = marshalMessage(TypeClientHello, size, func(b *Builder) {
		b.AddUint16(m.Vers)
		b.AddBytes(m.Random[:])
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.SessionID) })
		if m.Datagram {
			b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.LegacyCookie) })
		}
		addUint16List(b, m.CipherSuites)
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.Compression) })
		b.AddUint16LengthPrefixed(func(b *Builder) {
			m.addExtensions(b)
		})
	})
	m.Extensions = nil
	return m.Raw
}

func (m *ClientHello) addExtensions(b *Builder) {
	if m.ServerName != "" {
		addExtension(b, ExtServerName, func(b *Builder) {
			b.AddUint16LengthPrefixed(func(b *Builder) {
				b.AddUint8(0)
				b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes([]byte(m.ServerName)) })
			})
		})
	}
	if m.EMS {
		addExtension(b, ExtExtendedMasterSecret, empty)
	}
	if m.HasSecureReneg {
		addExtension(b, ExtRenegotiationInfo, func(b *Builder) {
			b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.SecureReneg) })
		})
	}
	if len(m.SupportedGroups) > 0 {
		addExtension(b, ExtSupportedGroups, func(b *Builder) { addUint16List(b, m.SupportedGroups) })
	}
	if len(m.PointFormats) > 0 {
		addExtension(b, ExtECPointFormats, func(b *Builder) {
			b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.PointFormats) })
		})
	}
	if m.HasSessionTicket {
		addExtension(b, ExtSessionTicket, func(b *Builder) { b.AddBytes(m.SessionTicket) })
	}
	if len(m.ALPN) > 0 {
		addALPN(b, m.ALPN)
	}
	if m.StatusRequest {
		addExtension(b, ExtStatusRequest, func(b *Builder) {
			b.AddUint8(StatusTypeOCSP)
			b.AddUint16(0)
			b.AddUint16(0)
		})
	}
	if len(m.SigSchemes) > 0 {
		addExtension(b, ExtSignatureAlgorithms, func(b *Builder) { addUint16List(b, m.SigSchemes) })
	}
	if len(m.SigSchemesCert) > 0 {
		addExtension(b, ExtSignatureAlgsCert, func(b *Builder) { addUint16List(b, m.SigSchemesCert) })
	}
	if m.SCT {
		addExtension(b, ExtSCT, empty)
	}
	if m.HasKeyShare || len(m.KeyShares) > 0 {
		addExtension(b, ExtKeyShare, func(b *Builder) {
			b.AddUint16LengthPrefixed(func(b *Builder) {
				for _, ks := range m.KeyShares {
					b.AddUint16(ks.Group)
					b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(ks.Data) })
				}
			})
		})
	}
	if len(m.SupportedVersions) > 0 {
		addExtension(b, ExtSupportedVersions, func(b *Builder) {
			b.AddUint8LengthPrefixed(func(b *Builder) {
				for _, v := range m.SupportedVersions {
					b.AddUint16(v)
				}
			})
		})
	}
	if len(m.Cookie) > 0 {
		addExtension(b, ExtCookie, func(b *Builder) {
			b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Cookie) })
		})
	}
	if len(m.PSKModes) > 0 {
		addExtension(b, ExtPSKModes, func(b *Builder) {
			b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.PSKModes) })
		})
	}
	if m.PostHandshakeAuth {
		addExtension(b, ExtPostHandshakeAuth, empty)
	}
	if m.RecordSizeLimit != 0 {
		addExtension(b, ExtRecordSizeLimit, func(b *Builder) { b.AddUint16(m.RecordSizeLimit) })
	}
	if len(m.CertAuthorities) > 0 {
		addCertAuthorities(b, m.CertAuthorities)
	}
	if m.EarlyData {
		addExtension(b, ExtEarlyData, empty)
	}
	// The caller's extensions: after hasp's own, so that AppendPadding
	// (which pads at the very end) gives what Padding does; before
	// pre_shared_key, whose binders the engine finds at the very end.
	addExtra(b, m.Extra)
	if m.Padding >= 0 {
		addExtension(b, ExtPadding, func(b *Builder) { b.AddBytes(make([]byte, m.Padding)) })
	}
	if len(m.PSKIdentities) > 0 {
		addExtension(b, ExtPreSharedKey, func(b *Builder) {
			b.AddUint16LengthPrefixed(func(b *Builder) {
				for _, id := range m.PSKIdentities {
					b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(id.Identity) })
					b.AddUint32(id.ObfuscatedTicketAge)
				}
			})
			b.AddUint16LengthPrefixed(func(b *Builder) {
				for _, bd := range m.PSKBinders {
					b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(bd) })
				}
			})
		})
	}
}

// ServerHello (RFC 8446 section 4.1.3), also used for HelloRetryRequest
// and for TLS 1.2 ServerHello.
type ServerHello struct {
	Raw         []byte
	Vers        uint16
	Random      [32]byte
	SessionID   []byte
	CipherSuite uint16
	Compression uint8

	SupportedVersion uint16
	KeyShare         KeyShare // ServerHello: the server's share
	SelectedGroup    uint16   // HelloRetryRequest: the group asked for
	Cookie           []byte
	SelectedPSK      uint16
	HasSelectedPSK   bool

	// TLS 1.2 extensions.
	ALPN            string
	StatusRequest   bool
	SCTs            [][]byte
	EMS             bool
	SecureReneg     []byte
	HasSecureReneg  bool
	TicketSupported bool
	// ServerNameAck: an empty server_name, which a TLS 1.2 server sends
	// when it used the client's name (RFC 6066 section 3).
	ServerNameAck    bool
	PointFormats     []uint8
	HasPointFormats  bool
	HasRenegotiation bool

	// Extensions is every extension of the parsed message, known or
	// not, in wire order, with Data pointing into Raw. Unmarshal sets
	// it; Marshal does not read it.
	Extensions []Extension

	// Extra holds extensions a caller adds when marshalling, written as
	// they are after those hasp encodes from the fields above. Types
	// hasp encodes itself in a ServerHello and repeated types are
	// refused: see CheckExtra. Unmarshal leaves it empty.
	Extra []Extension
}

// CheckExtra reports whether Extra can be marshalled: Marshal panics
// where this returns an error.
func (m *ServerHello) CheckExtra() error { return checkExtra(TypeServerHello, m.Extra) }

// IsHelloRetryRequest reports whether the message is a HelloRetryRequest.
func (m *ServerHello) IsHelloRetryRequest() bool { return m.Random == HelloRetryRequestRandom }

// Has reports whether the message carried extension typ.
func (m *ServerHello) Has(typ uint16) bool {
	_, ok := FindExtension(m.Extensions, typ)
	return ok
}

// Unmarshal parses a whole ServerHello message.
func (m *ServerHello) Unmarshal(msg []byte) error {
	*m = ServerHello{Raw: msg}
	s, err := body(msg, TypeServerHello, "ServerHello")
	if err != nil {
		return err
	}
	var random, sid cryptobyte.String
	if !s.ReadUint16(&m.Vers) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sid) || len(sid) > 32 ||
		!s.ReadUint16(&m.CipherSuite) || !s.ReadUint8(&m.Compression) {
		return decodeErr("ServerHello")
	}
	copy(m.Random[:], random)
	m.SessionID = sid
	hrr := m.IsHelloRetryRequest()
	m.Extensions, err = readExtensions(&s, "ServerHello", func(typ uint16, d cryptobyte.String) error {
		ok := true
		switch typ {
		case ExtSupportedVersions:
			ok = d.ReadUint16(&m.SupportedVersion) && d.Empty()
		case ExtKeyShare:
			if hrr {
				ok = d.ReadUint16(&m.SelectedGroup) && d.Empty()
			} else {
				var data cryptobyte.String
				ok = d.ReadUint16(&m.KeyShare.Group) && d.ReadUint16LengthPrefixed(&data) && len(data) > 0 && d.Empty()
				m.KeyShare.Data = data
			}
		case ExtCookie:
			var c cryptobyte.String
			ok = d.ReadUint16LengthPrefixed(&c) && len(c) > 0 && d.Empty()
			m.Cookie = c
		case ExtPreSharedKey:
			ok = d.ReadUint16(&m.SelectedPSK) && d.Empty()
			m.HasSelectedPSK = true
		case ExtALPN:
			var protos []string
			protos, ok = readALPN(d)
			ok = ok && len(protos) == 1
			if ok {
				m.ALPN = protos[0]
			}
		case ExtStatusRequest:
			ok = d.Empty()
			m.StatusRequest = true
		case ExtSCT:
			m.SCTs, ok = readSCTList(d)
		case ExtExtendedMasterSecret:
			ok = d.Empty()
			m.EMS = true
		case ExtRenegotiationInfo:
			var r cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&r) && d.Empty()
			m.SecureReneg, m.HasSecureReneg = r, true
		case ExtSessionTicket:
			ok = d.Empty()
			m.TicketSupported = true
		case ExtServerName:
			ok = d.Empty()
			m.ServerNameAck = true
		case ExtECPointFormats:
			var f cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&f) && len(f) > 0 && d.Empty()
			m.PointFormats, m.HasPointFormats = f, true
		}
		if !ok {
			return decodeErr("ServerHello extension " + extName(typ))
		}
		return nil
	})
	return err
}

// Marshal encodes the message and sets Raw. It panics if Extra holds an
// extension CheckExtra refuses.
func (m *ServerHello) Marshal() []byte {
	if err := m.CheckExtra(); err != nil {
		panic("wire: ServerHello.Marshal: " + err.Error())
	}
	m.Raw = marshalMessage(TypeServerHello, 128+len(m.KeyShare.Data)+len(m.Cookie)+extraSize(m.Extra), func(b *Builder) {
		b.AddUint16(m.Vers)
		b.AddBytes(m.Random[:])
		b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.SessionID) })
		b.AddUint16(m.CipherSuite)
		b.AddUint8(m.Compression)
		b.AddUint16LengthPrefixed(func(b *Builder) {
			if m.SecureReneg != nil || m.HasSecureReneg {
				addExtension(b, ExtRenegotiationInfo, func(b *Builder) {
					b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.SecureReneg) })
				})
			}
			if m.EMS {
				addExtension(b, ExtExtendedMasterSecret, empty)
			}
			if m.TicketSupported {
				addExtension(b, ExtSessionTicket, empty)
			}
			if m.ServerNameAck {
				addExtension(b, ExtServerName, empty)
			}
			if m.HasPointFormats {
				addExtension(b, ExtECPointFormats, func(b *Builder) {
					b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(m.PointFormats) })
				})
			}
			if m.ALPN != "" {
				addALPN(b, []string{m.ALPN})
			}
			if m.StatusRequest {
				addExtension(b, ExtStatusRequest, empty)
			}
			if len(m.SCTs) > 0 {
				addSCTList(b, m.SCTs)
			}
			if m.HasSelectedPSK {
				addExtension(b, ExtPreSharedKey, func(b *Builder) { b.AddUint16(m.SelectedPSK) })
			}
			if m.KeyShare.Group != 0 {
				addExtension(b, ExtKeyShare, func(b *Builder) {
					b.AddUint16(m.KeyShare.Group)
					b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.KeyShare.Data) })
				})
			}
			if m.SelectedGroup != 0 {
				addExtension(b, ExtKeyShare, func(b *Builder) { b.AddUint16(m.SelectedGroup) })
			}
			// Order as in RFC 8448's traces: key_share, cookie,
			// supported_versions.
			if len(m.Cookie) > 0 {
				addExtension(b, ExtCookie, func(b *Builder) {
					b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(m.Cookie) })
				})
			}
			if m.SupportedVersion != 0 {
				addExtension(b, ExtSupportedVersions, func(b *Builder) { b.AddUint16(m.SupportedVersion) })
			}
			addExtra(b, m.Extra)
		})
	})
	return m.Raw
}

func extName(t uint16) string {
	if info, ok := extensionTable[t]; ok {
		return info.name
	}
	return "extension(" + itoa(int(t)) + ")"
}

// KnownExtension reports whether hasp itself parses extension type t into
// the typed fields of a ClientHello (and encodes it from them). Types
// that are only named (see ExtName) or only listed by ExtensionAllowed
// are not known in this sense.
func KnownExtension(t uint16) bool { return parsesItself(t) }

// ExtName names an extension type as the IANA registry does, or
// "extension(N)" for a type hasp has no name for.
func ExtName(t uint16) string { return extName(t) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [8]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// AppendPadding adds a padding extension (RFC 7685) of n zero bytes at the
// end of a marshalled ClientHello, fixing its lengths, so that padding
// does not cost a second encoding. The hello must not carry
// pre_shared_key, which has to stay last.
func AppendPadding(raw []byte, n int) []byte {
	p := HandshakeHeaderLen + 2 + 32
	p += 1 + int(raw[p])
	p += 2 + (int(raw[p])<<8 | int(raw[p+1]))
	p += 1 + int(raw[p])
	out := make([]byte, len(raw), len(raw)+4+n)
	copy(out, raw)
	out = append(out, byte(ExtPadding>>8), byte(ExtPadding), byte(n>>8), byte(n))
	out = append(out, make([]byte, n)...)
	if p == len(raw) {
		// No extensions block yet.
		return nil
	}
	extLen := int(raw[p])<<8 | int(raw[p+1]) + 4 + n
	out[p], out[p+1] = byte(extLen>>8), byte(extLen)
	body := len(out) - HandshakeHeaderLen
	out[1], out[2], out[3] = byte(body>>16), byte(body>>8), byte(body)
	return out
}
