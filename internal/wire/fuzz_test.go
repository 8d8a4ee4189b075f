package wire

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// Every parser takes arbitrary bytes without panicking; whatever parses
// re-encodes to something that parses again to the same encoding. Parsed
// Extensions cover each extension block exactly, and unknown extensions
// handed back as Extra come through a second encoding unchanged.

type message interface {
	Unmarshal([]byte) error
	Marshal() []byte
}

func fuzzMessage(f *testing.F, seeds [][]byte, newMsg func() message) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := newMsg()
		if err := m.Unmarshal(b); err != nil {
			if AlertOf(err) == AlertInternalError {
				t.Fatalf("parser error without an alert: %v", err)
			}
			return
		}
		checkExtensionsCover(t, m)
		unknown := unknownExtensions(m)
		enc := m.Marshal()
		m2 := newMsg()
		if err := m2.Unmarshal(enc); err != nil {
			t.Fatalf("re-encoded message does not parse: %v\n%x", err, enc)
		}
		checkExtensionsCover(t, m2)
		if enc2 := m2.Marshal(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable:\n%x\n%x", enc, enc2)
		}
		if unknown == nil {
			return
		}
		// The extensions hasp does not encode itself, given back as
		// Extra, come out again in the same order with the same data.
		setExtra(m2, unknown)
		enc3 := m2.Marshal()
		m3 := newMsg()
		if err := m3.Unmarshal(enc3); err != nil {
			t.Fatalf("message with Extra does not parse: %v\n%x", err, enc3)
		}
		checkExtensionsCover(t, m3)
		again := unknownExtensions(m3)
		if len(again) != len(unknown) {
			t.Fatalf("Extra %v came back as %v", unknown, again)
		}
		for i := range unknown {
			if again[i].Type != unknown[i].Type || !bytes.Equal(again[i].Data, unknown[i].Data) {
				t.Fatalf("Extra %v came back as %v", unknown, again)
			}
		}
		setExtra(m3, again)
		if enc4 := m3.Marshal(); !bytes.Equal(enc3, enc4) {
			t.Fatalf("encoding with Extra not stable:\n%x\n%x", enc3, enc4)
		}
	})
}

// extensionBlocks finds the extension blocks of a parsed message from its
// Raw, independently of the parser, and pairs each with the Extensions
// the parser reported for it. A message with no block at all gets an
// empty one.
func extensionBlocks(m message) (blocks []cryptobyte.String, parsed [][]Extension) {
	var raw []byte
	switch m := m.(type) {
	case *ClientHello:
		raw = m.Raw
	case *ServerHello:
		raw = m.Raw
	case *EncryptedExtensions:
		raw = m.Raw
	case *CertificateRequest:
		raw = m.Raw
	case *NewSessionTicket:
		raw = m.Raw
	case *Certificate:
		raw = m.Raw
	default:
		return nil, nil
	}
	s := cryptobyte.String(raw[HandshakeHeaderLen:])
	var skip, block cryptobyte.String
	tail := func(exts []Extension) {
		if !s.Empty() && !s.ReadUint16LengthPrefixed(&block) {
			panic("no extension block")
		}
		blocks, parsed = append(blocks, block), append(parsed, exts)
	}
	switch m := m.(type) {
	case *ClientHello:
		_ = s.Skip(2+32) && s.ReadUint8LengthPrefixed(&skip) && s.ReadUint16LengthPrefixed(&skip) && s.ReadUint8LengthPrefixed(&skip)
		tail(m.Extensions)
	case *ServerHello:
		_ = s.Skip(2+32) && s.ReadUint8LengthPrefixed(&skip) && s.Skip(3)
		tail(m.Extensions)
	case *EncryptedExtensions:
		tail(m.Extensions)
	case *CertificateRequest:
		s.ReadUint8LengthPrefixed(&skip)
		tail(m.Extensions)
	case *NewSessionTicket:
		_ = s.Skip(8) && s.ReadUint8LengthPrefixed(&skip) && s.ReadUint16LengthPrefixed(&skip)
		tail(m.Extensions)
	case *Certificate:
		var list cryptobyte.String
		s.ReadUint8LengthPrefixed(&skip)
		s.ReadUint24LengthPrefixed(&list)
		for _, e := range m.Entries {
			if !list.ReadUint24LengthPrefixed(&skip) || !list.ReadUint16LengthPrefixed(&block) {
				panic("entry without an extension block")
			}
			blocks, parsed = append(blocks, block), append(parsed, e.Extensions)
		}
	}
	return blocks, parsed
}

// checkExtensionsCover asserts that the parsed Extensions account for
// every byte of each extension block, in order.
func checkExtensionsCover(t *testing.T, m message) {
	t.Helper()
	blocks, parsed := extensionBlocks(m)
	for i, block := range blocks {
		n := 0
		b := newBuilder(nil)
		for _, e := range parsed[i] {
			n += 4 + len(e.Data)
			addExtension(b, e.Type, func(b *Builder) { b.AddBytes(e.Data) })
		}
		if n != len(block) {
			t.Fatalf("block %d: extensions cover %d bytes of %d", i, n, len(block))
		}
		if !bytes.Equal(b.BytesOrPanic(), block) {
			t.Fatalf("block %d: extensions do not re-encode to the block", i)
		}
	}
}

// unknownExtensions lists the parsed extensions of a ClientHello,
// ServerHello or EncryptedExtensions that hasp does not encode itself
// (nil for other messages), copied.
func unknownExtensions(m message) []Extension {
	var typ uint8
	var exts []Extension
	switch m := m.(type) {
	case *ClientHello:
		typ, exts = TypeClientHello, m.Extensions
	case *ServerHello:
		typ, exts = TypeServerHello, m.Extensions
	case *EncryptedExtensions:
		typ, exts = TypeEncryptedExtensions, m.Extensions
	default:
		return nil
	}
	out := []Extension{}
	for _, e := range exts {
		if !marshalsItself(typ, e.Type) {
			out = append(out, Extension{e.Type, bytes.Clone(e.Data)})
		}
	}
	return out
}

func setExtra(m message, extra []Extension) {
	switch m := m.(type) {
	case *ClientHello:
		m.Extra = extra
	case *ServerHello:
		m.Extra = extra
	case *EncryptedExtensions:
		m.Extra = extra
	}
}

func seedHello() []byte {
	ch := ClientHello{
		Vers: VersionTLS12, SessionID: make([]byte, 32), CipherSuites: []uint16{0x1301, 0x1302},
		Compression: []uint8{0}, ServerName: "example.com", SupportedGroups: []uint16{29, 23},
		SigSchemes: []uint16{0x0403, 0x0804}, SigSchemesCert: []uint16{0x0401}, SupportedVersions: []uint16{0x0304},
		KeyShares: []KeyShare{{Group: 29, Data: make([]byte, 32)}}, PSKModes: []uint8{1}, ALPN: []string{"h2"},
		StatusRequest: true, SCT: true, Cookie: []byte("c"), EMS: true, HasSecureReneg: true, RecordSizeLimit: 0x4001,
		CertAuthorities: [][]byte{[]byte("dn")}, Padding: 3, PostHandshakeAuth: true, EarlyData: true,
		PSKIdentities: []PSKIdentity{{Identity: []byte("id"), ObfuscatedTicketAge: 7}}, PSKBinders: [][]byte{make([]byte, 32)},
	}
	return ch.Marshal()
}

func FuzzClientHello(f *testing.F) {
	quic := ClientHello{
		Vers: VersionTLS12, CipherSuites: []uint16{0x1301}, Compression: []uint8{0}, SupportedVersions: []uint16{0x0304},
		Padding: 2, Extra: []Extension{{ExtQUICTransportParameters, []byte{1, 2, 0x40, 0x64}}, {0x0a0a, nil}},
		PSKIdentities: []PSKIdentity{{Identity: []byte("id")}}, PSKBinders: [][]byte{make([]byte, 32)},
	}
	fuzzMessage(f, [][]byte{seedHello(), quic.Marshal(), {1, 0, 0, 0}}, func() message { return &ClientHello{} })
}

func FuzzServerHello(f *testing.F) {
	sh := ServerHello{Vers: VersionTLS12, CipherSuite: 0x1301, SupportedVersion: VersionTLS13, KeyShare: KeyShare{29, make([]byte, 32)}}
	hrr := ServerHello{Vers: VersionTLS12, Random: HelloRetryRequestRandom, CipherSuite: 0x1301, SupportedVersion: VersionTLS13, SelectedGroup: 23, Cookie: []byte("cookie")}
	tls12 := ServerHello{Vers: VersionTLS12, CipherSuite: 0xc02b, ALPN: "h2", EMS: true, HasSecureReneg: true, TicketSupported: true, HasPointFormats: true, PointFormats: []uint8{0}, SCTs: [][]byte{{1}}, StatusRequest: true}
	dtls := ServerHello{Vers: VersionTLS12, CipherSuite: 0x1301, SupportedVersion: VersionTLS13, Extra: []Extension{{ExtConnectionID, []byte{1, 7}}}}
	fuzzMessage(f, [][]byte{sh.Marshal(), hrr.Marshal(), tls12.Marshal(), dtls.Marshal()}, func() message { return &ServerHello{} })
}

func FuzzEncryptedExtensions(f *testing.F) {
	ee := EncryptedExtensions{ServerNameAck: true, ALPN: "h2", SupportedGroups: []uint16{29}, RecordSizeLimit: 0x4001, EarlyData: true}
	quic := EncryptedExtensions{ALPN: "h3", Extra: []Extension{{ExtQUICTransportParameters, []byte{0x0f, 0}}}}
	fuzzMessage(f, [][]byte{ee.Marshal(), quic.Marshal()}, func() message { return &EncryptedExtensions{} })
}

func FuzzCertificateRequest(f *testing.F) {
	cr := CertificateRequest{Context: []byte{1}, SigSchemes: []uint16{0x0403}, SigSchemesCert: []uint16{0x0401}, CertAuthorities: [][]byte{[]byte("dn")}, StatusRequest: true, SCT: true}
	fuzzMessage(f, [][]byte{cr.Marshal()}, func() message { return &CertificateRequest{} })
}

func FuzzCertificate(f *testing.F) {
	c := Certificate{Entries: []CertificateEntry{{Data: []byte{0x30, 1, 0}, OCSP: []byte{1}, SCTs: [][]byte{{2}}}, {Data: []byte{0x30, 0}}}}
	fuzzMessage(f, [][]byte{c.Marshal(), (&Certificate{}).Marshal()}, func() message { return &Certificate{} })
}

func FuzzCertificateVerify(f *testing.F) {
	fuzzMessage(f, [][]byte{(&CertificateVerify{Scheme: 0x0403, Signature: []byte{1, 2}}).Marshal()}, func() message { return &CertificateVerify{} })
}

func FuzzFinished(f *testing.F) {
	fuzzMessage(f, [][]byte{(&Finished{VerifyData: make([]byte, 32)}).Marshal()}, func() message { return &Finished{} })
}

func FuzzNewSessionTicket(f *testing.F) {
	n := NewSessionTicket{Lifetime: 7, AgeAdd: 9, Nonce: []byte{1}, Ticket: []byte("t"), HasEarlyData: true, MaxEarlyData: 1024}
	fuzzMessage(f, [][]byte{n.Marshal()}, func() message { return &NewSessionTicket{} })
}

func FuzzKeyUpdate(f *testing.F) {
	fuzzMessage(f, [][]byte{(&KeyUpdate{Request: 1}).Marshal()}, func() message { return &KeyUpdate{} })
}

func TestFinishedLongVerifyData(t *testing.T) {
	m := Finished{VerifyData: make([]byte, 300)}
	var back Finished
	if err := back.Unmarshal(m.Marshal()); err != nil || len(back.VerifyData) != 300 {
		t.Fatalf("300-byte Finished: %v", err)
	}
}

func FuzzServerKeyExchange(f *testing.F) {
	ske := ServerKeyExchange{Group: 29, Public: make([]byte, 32), Scheme: 0x0403, Signature: []byte{1, 2, 3}}
	fuzzMessage(f, [][]byte{ske.Marshal()}, func() message { return &ServerKeyExchange{} })
}

func FuzzClientKeyExchange(f *testing.F) {
	fuzzMessage(f, [][]byte{(&ClientKeyExchange{Public: make([]byte, 65)}).Marshal()}, func() message { return &ClientKeyExchange{} })
}

func FuzzNewSessionTicket12(f *testing.F) {
	fuzzMessage(f, [][]byte{(&NewSessionTicket12{Lifetime: 100, Ticket: []byte("t")}).Marshal()}, func() message { return &NewSessionTicket12{} })
}

func FuzzCertificateRequest12(f *testing.F) {
	cr := CertificateRequest12{CertTypes: []uint8{1, 64}, SigSchemes: []uint16{0x0403}, CertAuthorities: [][]byte{[]byte("dn")}}
	fuzzMessage(f, [][]byte{cr.Marshal()}, func() message { return &CertificateRequest12{} })
}

func FuzzCertificate12(f *testing.F) {
	fuzzMessage(f, [][]byte{(&Certificate12{Chain: [][]byte{{0x30, 0}}}).Marshal()}, func() message { return &Certificate12{} })
}

func TestAppendPadding(t *testing.T) {
	ch := ClientHello{Vers: VersionTLS12, CipherSuites: []uint16{0x1301}, Compression: []uint8{0}, ServerName: "x", Padding: -1}
	raw := ch.Marshal()
	padded := AppendPadding(raw, 10)
	ch.Padding = 10
	if want := ch.Marshal(); !bytes.Equal(padded, want) {
		t.Fatalf("AppendPadding:\n%x\nwant\n%x", padded, want)
	}
}

func FuzzCertificateStatus(f *testing.F) {
	fuzzMessage(f, [][]byte{(&CertificateStatus{Response: []byte("ocsp")}).Marshal()}, func() message { return &CertificateStatus{} })
}

// datagramHello is a ClientHello parsed as DTLS's, with legacy_cookie.
type datagramHello struct{ ClientHello }

func (m *datagramHello) Unmarshal(b []byte) error { return m.UnmarshalDatagram(b) }

func FuzzDatagramClientHello(f *testing.F) {
	ch := ClientHello{Vers: 0xfefd, Datagram: true, LegacyCookie: []byte("cookie"), SessionID: []byte{},
		CipherSuites: []uint16{0xc02b}, Compression: []uint8{0}, EMS: true, Padding: -1}
	fuzzMessage(f, [][]byte{ch.Marshal()}, func() message { return &datagramHello{} })
}

func FuzzHelloVerifyRequest(f *testing.F) {
	hvr := HelloVerifyRequest{Vers: 0xfeff, Cookie: []byte("0123456789abcdef")}
	fuzzMessage(f, [][]byte{hvr.Marshal(), {3, 0, 0, 3, 0xfe, 0xff, 0}}, func() message { return &HelloVerifyRequest{} })
}

// pskMessage parses as a PSK suite's key exchange message would.
type pskSKE struct {
	PSKServerKeyExchange
	ecdhe bool
}

func (m *pskSKE) Unmarshal(b []byte) error { return m.PSKServerKeyExchange.Unmarshal(b, m.ecdhe) }

type pskCKE struct {
	PSKClientKeyExchange
	ecdhe bool
}

func (m *pskCKE) Unmarshal(b []byte) error { return m.PSKClientKeyExchange.Unmarshal(b, m.ecdhe) }

func FuzzPSKKeyExchange(f *testing.F) {
	ske := PSKServerKeyExchange{Hint: []byte("hint"), ECDHE: true, Group: 29, Public: make([]byte, 32)}
	cke := PSKClientKeyExchange{Identity: []byte("id"), ECDHE: true, Public: make([]byte, 32)}
	f.Add(ske.Marshal(), true)
	f.Add(cke.Marshal(), true)
	f.Add((&PSKServerKeyExchange{}).Marshal(), false)
	f.Fuzz(func(t *testing.T, b []byte, ecdhe bool) {
		for _, m := range []message{&pskSKE{ecdhe: ecdhe}, &pskCKE{ecdhe: ecdhe}} {
			if err := m.Unmarshal(b); err != nil {
				continue
			}
			if enc := m.Marshal(); !bytes.Equal(enc, b) {
				t.Fatalf("%T: %x re-encodes as %x", m, b, enc)
			}
		}
	})
}
