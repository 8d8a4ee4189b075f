package wire

import (
	"bytes"
	"testing"
)

// Every parser takes arbitrary bytes without panicking; whatever parses
// re-encodes to something that parses again to the same encoding.

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
		enc := m.Marshal()
		m2 := newMsg()
		if err := m2.Unmarshal(enc); err != nil {
			t.Fatalf("re-encoded message does not parse: %v\n%x", err, enc)
		}
		if enc2 := m2.Marshal(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable:\n%x\n%x", enc, enc2)
		}
	})
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
	fuzzMessage(f, [][]byte{seedHello(), {1, 0, 0, 0}}, func() message { return &ClientHello{} })
}

func FuzzServerHello(f *testing.F) {
	sh := ServerHello{Vers: VersionTLS12, CipherSuite: 0x1301, SupportedVersion: VersionTLS13, KeyShare: KeyShare{29, make([]byte, 32)}}
	hrr := ServerHello{Vers: VersionTLS12, Random: HelloRetryRequestRandom, CipherSuite: 0x1301, SupportedVersion: VersionTLS13, SelectedGroup: 23, Cookie: []byte("cookie")}
	tls12 := ServerHello{Vers: VersionTLS12, CipherSuite: 0xc02b, ALPN: "h2", EMS: true, HasSecureReneg: true, TicketSupported: true, HasPointFormats: true, PointFormats: []uint8{0}, SCTs: [][]byte{{1}}, StatusRequest: true}
	fuzzMessage(f, [][]byte{sh.Marshal(), hrr.Marshal(), tls12.Marshal()}, func() message { return &ServerHello{} })
}

func FuzzEncryptedExtensions(f *testing.F) {
	ee := EncryptedExtensions{ServerNameAck: true, ALPN: "h2", SupportedGroups: []uint16{29}, RecordSizeLimit: 0x4001, EarlyData: true}
	fuzzMessage(f, [][]byte{ee.Marshal()}, func() message { return &EncryptedExtensions{} })
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
