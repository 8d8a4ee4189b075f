package wire

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// rawMessage builds a handshake message of type typ from a body prefix
// and an extension block written as given, whatever hasp makes of it.
func rawMessage(typ uint8, prefix func(b *Builder), exts []Extension) []byte {
	b := newBuilder(nil)
	b.AddUint8(typ)
	b.AddUint24LengthPrefixed(func(b *Builder) {
		prefix(b)
		b.AddUint16LengthPrefixed(func(b *Builder) { addExtra(b, exts) })
	})
	return b.BytesOrPanic()
}

func helloPrefix(b *Builder) {
	b.AddUint16(VersionTLS12)
	b.AddBytes(make([]byte, 32))
	b.AddUint8(0)
	addUint16List(b, []uint16{TLS_AES_128_GCM_SHA256})
	b.AddUint8LengthPrefixed(func(b *Builder) { b.AddUint8(0) })
}

func serverHelloPrefix(hrr bool) func(b *Builder) {
	return func(b *Builder) {
		b.AddUint16(VersionTLS12)
		if hrr {
			b.AddBytes(HelloRetryRequestRandom[:])
		} else {
			b.AddBytes(make([]byte, 32))
		}
		b.AddUint8(0)
		b.AddUint16(TLS_AES_128_GCM_SHA256)
		b.AddUint8(0)
	}
}

// sameExtensions compares type, data and order.
func sameExtensions(t *testing.T, what string, got, want []Extension) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d extensions %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Type != want[i].Type || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("%s: extension %d is %d %x, want %d %x", what, i, got[i].Type, got[i].Data, want[i].Type, want[i].Data)
		}
		if cap(got[i].Data) != len(got[i].Data) {
			t.Fatalf("%s: extension %d data has room to grow into the message", what, i)
		}
	}
}

func TestClientHelloKeepsUnknownExtensions(t *testing.T) {
	sni := []byte{0, 14, 0, 0, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'}
	psk := append([]byte{0, 7, 0, 1, 'x', 0, 0, 0, 9, 0, 33, 32}, make([]byte, 32)...)
	exts := []Extension{
		{0x7777, []byte("first")},
		{ExtServerName, sni},
		{0x0a0a, []byte{}}, // GREASE, empty
		{ExtSupportedVersions, []byte{2, 3, 4}},
		{ExtQUICTransportParameters, []byte{1, 2, 3, 4}},
		{ExtConnectionID, []byte{0}},
		{ExtPreSharedKey, psk},
	}
	raw := rawMessage(TypeClientHello, helloPrefix, exts)
	var ch ClientHello
	if err := ch.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "ClientHello", ch.Extensions, exts)
	// The typed fields are as before.
	if ch.ServerName != "example.com" || !slices.Equal(ch.SupportedVersions, []uint16{VersionTLS13}) ||
		len(ch.PSKIdentities) != 1 || ch.PSKIdentities[0].ObfuscatedTicketAge != 9 || !ch.Has(0x7777) {
		t.Fatalf("typed fields: %+v", ch)
	}
	if d, ok := FindExtension(ch.Extensions, ExtQUICTransportParameters); !ok || !bytes.Equal(d, []byte{1, 2, 3, 4}) {
		t.Fatalf("FindExtension(quic_transport_parameters) = %x, %v", d, ok)
	}
	if d, ok := FindExtension(ch.Extensions, 0x0a0a); !ok || len(d) != 0 {
		t.Fatalf("FindExtension(empty GREASE) = %x, %v", d, ok)
	}
	if _, ok := FindExtension(ch.Extensions, ExtCookie); ok {
		t.Fatal("FindExtension found an extension that is not there")
	}
	// Data points into the message.
	d, _ := FindExtension(ch.Extensions, 0x7777)
	if &d[0] != &raw[bytes.Index(raw, []byte("first"))] {
		t.Fatal("Extension.Data is a copy, not a view of the message")
	}
	// Marshal clears what described the parsed message.
	ch.Marshal()
	if ch.Extensions != nil {
		t.Fatal("Marshal left Extensions of the parsed message")
	}
}

func TestServerMessagesKeepUnknownExtensions(t *testing.T) {
	sh := []Extension{
		{0x7777, []byte("a")},
		{ExtSupportedVersions, []byte{3, 4}},
		{ExtConnectionID, []byte{2, 0xaa, 0xbb}},
		{ExtKeyShare, append([]byte{0, 29, 0, 32}, make([]byte, 32)...)},
	}
	var s ServerHello
	if err := s.Unmarshal(rawMessage(TypeServerHello, serverHelloPrefix(false), sh)); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "ServerHello", s.Extensions, sh)
	if s.SupportedVersion != VersionTLS13 || s.KeyShare.Group != GroupX25519 {
		t.Fatalf("typed fields: %+v", s)
	}

	hrr := []Extension{
		{ExtKeyShare, []byte{0, 23}},
		{0x7777, nil},
		{ExtCookie, []byte{0, 2, 'h', 'i'}},
		{ExtSupportedVersions, []byte{3, 4}},
	}
	if err := s.Unmarshal(rawMessage(TypeServerHello, serverHelloPrefix(true), hrr)); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "HelloRetryRequest", s.Extensions, hrr)
	if !s.IsHelloRetryRequest() || s.SelectedGroup != GroupSecp256r1 || string(s.Cookie) != "hi" {
		t.Fatalf("typed fields: %+v", s)
	}

	ee := []Extension{
		{ExtQUICTransportParameters, []byte{0x0f, 0}},
		{ExtALPN, []byte{0, 3, 2, 'h', '2'}},
		{0x7777, []byte("zz")},
		{ExtRecordSizeLimit, []byte{0x40, 0x01}},
	}
	var e EncryptedExtensions
	if err := e.Unmarshal(rawMessage(TypeEncryptedExtensions, func(*Builder) {}, ee)); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "EncryptedExtensions", e.Extensions, ee)
	if e.ALPN != "h2" || e.RecordSizeLimit != 0x4001 {
		t.Fatalf("typed fields: %+v", e)
	}

	cr := []Extension{
		{0x7777, []byte{1}},
		{ExtSignatureAlgorithms, []byte{0, 2, 4, 3}},
		{ExtOIDFilters, []byte{0, 0}},
	}
	var c CertificateRequest
	if err := c.Unmarshal(rawMessage(TypeCertificateRequest, func(b *Builder) { b.AddUint8(0) }, cr)); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "CertificateRequest", c.Extensions, cr)
	if !slices.Equal(c.SigSchemes, []uint16{ECDSAWithP256AndSHA256}) {
		t.Fatalf("typed fields: %+v", c)
	}

	nst := []Extension{
		{0x7777, []byte("t")},
		{ExtEarlyData, []byte{0, 0, 4, 0}},
	}
	var n NewSessionTicket
	if err := n.Unmarshal(rawMessage(TypeNewSessionTicket, func(b *Builder) {
		b.AddUint32(60)
		b.AddUint32(7)
		b.AddUint8(0)
		b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes([]byte("ticket")) })
	}, nst)); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "NewSessionTicket", n.Extensions, nst)
	if !n.HasEarlyData || n.MaxEarlyData != 1024 {
		t.Fatalf("typed fields: %+v", n)
	}

	entry := []Extension{
		{0x7777, []byte("x")},
		{ExtSCT, []byte{0, 3, 0, 1, 9}},
	}
	b := newBuilder(nil)
	b.AddUint8(TypeCertificate)
	b.AddUint24LengthPrefixed(func(b *Builder) {
		b.AddUint8(0)
		b.AddUint24LengthPrefixed(func(b *Builder) {
			b.AddUint24LengthPrefixed(func(b *Builder) { b.AddBytes([]byte{0x30, 0}) })
			b.AddUint16LengthPrefixed(func(b *Builder) { addExtra(b, entry) })
			b.AddUint24LengthPrefixed(func(b *Builder) { b.AddBytes([]byte{0x30, 0}) })
			b.AddUint16(0)
		})
	})
	var cert Certificate
	if err := cert.Unmarshal(b.BytesOrPanic()); err != nil {
		t.Fatal(err)
	}
	if len(cert.Entries) != 2 || len(cert.Entries[0].SCTs) != 1 || cert.Entries[1].Extensions != nil {
		t.Fatalf("entries: %+v", cert.Entries)
	}
	sameExtensions(t, "CertificateEntry", cert.Entries[0].Extensions, entry)
}

// Duplicates are still refused, whatever the type.
func TestDuplicateUnknownExtension(t *testing.T) {
	raw := rawMessage(TypeClientHello, helloPrefix, []Extension{{0x7777, nil}, {ExtQUICTransportParameters, nil}, {0x7777, []byte{1}}})
	var ch ClientHello
	if err := ch.Unmarshal(raw); AlertOf(err) != AlertDecodeError {
		t.Fatalf("duplicate unknown extension: %v", err)
	}
	raw = rawMessage(TypeEncryptedExtensions, func(*Builder) {}, []Extension{{ExtQUICTransportParameters, nil}, {ExtQUICTransportParameters, nil}})
	var ee EncryptedExtensions
	if err := ee.Unmarshal(raw); AlertOf(err) != AlertDecodeError {
		t.Fatalf("duplicate quic_transport_parameters: %v", err)
	}
}

func TestClientHelloExtra(t *testing.T) {
	tp := []byte{0x01, 0x02, 0x40, 0x64}
	extra := []Extension{{ExtQUICTransportParameters, tp}, {0x7777, nil}, {ExtConnectionID, []byte{0}}}
	ch := ClientHello{
		Vers: VersionTLS12, CipherSuites: []uint16{TLS_AES_128_GCM_SHA256}, Compression: []uint8{0},
		ServerName: "example.com", SupportedVersions: []uint16{VersionTLS13}, ALPN: []string{"h3"},
		HasKeyShare: true, KeyShares: []KeyShare{{GroupX25519, make([]byte, 32)}}, PSKModes: []uint8{PSKModeDHEKE},
		Extra: extra, Padding: 7,
		PSKIdentities: []PSKIdentity{{Identity: []byte("ticket"), ObfuscatedTicketAge: 1}},
		PSKBinders:    [][]byte{bytes.Repeat([]byte{0xbb}, 32)},
	}
	raw := ch.Marshal()
	var back ClientHello
	if err := back.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	n := len(back.Extensions)
	if n < 5 {
		t.Fatalf("extensions: %v", back.Extensions)
	}
	// Extra follows hasp's own, then padding, then pre_shared_key last.
	sameExtensions(t, "Extra", back.Extensions[n-5:n-2], extra)
	if back.Extensions[n-2].Type != ExtPadding || len(back.Extensions[n-2].Data) != 7 || back.Extensions[n-1].Type != ExtPreSharedKey {
		t.Fatalf("tail of the extensions: %v", back.Extensions[n-5:])
	}
	for _, e := range back.Extensions[:n-5] {
		if !KnownExtension(e.Type) {
			t.Fatalf("hasp's own extensions include %s", ExtName(e.Type))
		}
	}
	if back.ServerName != "example.com" || back.ALPN[0] != "h3" || len(back.Extra) != 0 {
		t.Fatalf("typed fields: %+v", back)
	}
	// The binders are still the last bytes of the message, as the
	// engine's binder hash expects.
	binders := append([]byte{0, 33, 32}, ch.PSKBinders[0]...)
	if !bytes.HasSuffix(raw, binders) {
		t.Fatal("binders are not at the end of the hello")
	}

	// AppendPadding after Extra gives what Padding gives.
	ch.PSKIdentities, ch.PSKBinders = nil, nil
	ch.Padding = -1
	padded := AppendPadding(ch.Marshal(), 20)
	ch.Padding = 20
	if want := ch.Marshal(); !bytes.Equal(padded, want) {
		t.Fatalf("AppendPadding with Extra:\n%x\nwant\n%x", padded, want)
	}
}

func TestServerExtra(t *testing.T) {
	cid := []Extension{{ExtConnectionID, []byte{2, 0xaa, 0xbb}}, {0x7777, []byte("sh")}}
	for _, hrr := range []bool{false, true} {
		sh := ServerHello{Vers: VersionTLS12, CipherSuite: TLS_AES_128_GCM_SHA256, SupportedVersion: VersionTLS13, Extra: cid}
		if hrr {
			sh.Random, sh.SelectedGroup = HelloRetryRequestRandom, GroupSecp256r1
		} else {
			sh.KeyShare = KeyShare{GroupX25519, make([]byte, 32)}
		}
		var back ServerHello
		if err := back.Unmarshal(sh.Marshal()); err != nil {
			t.Fatal(err)
		}
		n := len(back.Extensions)
		if n != 4 {
			t.Fatalf("hrr %v: extensions %v", hrr, back.Extensions)
		}
		sameExtensions(t, "ServerHello Extra", back.Extensions[2:], cid)
		if back.SupportedVersion != VersionTLS13 || back.IsHelloRetryRequest() != hrr {
			t.Fatalf("typed fields: %+v", back)
		}
	}

	tp := []Extension{{ExtQUICTransportParameters, []byte{0x0f, 0x00}}}
	ee := EncryptedExtensions{ALPN: "h3", Extra: tp}
	var back EncryptedExtensions
	if err := back.Unmarshal(ee.Marshal()); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "EncryptedExtensions Extra", back.Extensions[1:], tp)
	if back.ALPN != "h3" {
		t.Fatalf("typed fields: %+v", back)
	}
	// Extra alone makes a block of its own.
	ee = EncryptedExtensions{Extra: tp}
	if err := back.Unmarshal(ee.Marshal()); err != nil {
		t.Fatal(err)
	}
	sameExtensions(t, "EncryptedExtensions Extra alone", back.Extensions, tp)
}

func mustPanic(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("%s: Marshal did not panic", what)
		}
		if s, ok := r.(string); !ok || !strings.Contains(s, want) {
			t.Fatalf("%s: panic %v, want one mentioning %q", what, r, want)
		}
	}()
	f()
}

func TestExtraRefused(t *testing.T) {
	msgs := []struct {
		typ   uint8
		check func([]Extension) error
		marsh func([]Extension)
	}{
		{TypeClientHello, func(x []Extension) error { return (&ClientHello{Extra: x}).CheckExtra() },
			func(x []Extension) { (&ClientHello{Padding: -1, Extra: x}).Marshal() }},
		{TypeServerHello, func(x []Extension) error { return (&ServerHello{Extra: x}).CheckExtra() },
			func(x []Extension) { (&ServerHello{Extra: x}).Marshal() }},
		{TypeEncryptedExtensions, func(x []Extension) error { return (&EncryptedExtensions{Extra: x}).CheckExtra() },
			func(x []Extension) { (&EncryptedExtensions{Extra: x}).Marshal() }},
	}
	for _, m := range msgs {
		name := HandshakeName(m.typ)
		owned := 0
		for typ := range 1 << 16 {
			x := []Extension{{uint16(typ), nil}}
			err := m.check(x)
			if marshalsItself(m.typ, uint16(typ)) != (err != nil) {
				t.Fatalf("%s Extra %s: %v", name, ExtName(uint16(typ)), err)
			}
			if err != nil {
				owned++
				if AlertOf(err) != AlertInternalError || !strings.Contains(err.Error(), ExtName(uint16(typ))) {
					t.Fatalf("%s Extra %s: %v", name, ExtName(uint16(typ)), err)
				}
				mustPanic(t, name, ExtName(uint16(typ)), func() { m.marsh(x) })
			}
		}
		if owned == 0 {
			t.Fatalf("%s: nothing refused", name)
		}
		dup := []Extension{{ExtQUICTransportParameters, nil}, {0x7777, nil}, {ExtQUICTransportParameters, []byte{1}}}
		if err := m.check(dup); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("%s: repeated Extra type: %v", name, err)
		}
		mustPanic(t, name+" repeated", "twice", func() { m.marsh(dup) })
		long := []Extension{{0x7777, make([]byte, 0x10000)}}
		if err := m.check(long); err == nil {
			t.Fatalf("%s: Extra data of 65536 bytes accepted", name)
		}
		if err := m.check([]Extension{{ExtQUICTransportParameters, make([]byte, 100)}, {0x7777, nil}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Refusing padding and pre_shared_key keeps them last.
	for _, typ := range []uint16{ExtPadding, ExtPreSharedKey, ExtKeyShare, ExtEarlyData} {
		if (&ClientHello{Extra: []Extension{{typ, nil}}}).CheckExtra() == nil {
			t.Fatalf("ClientHello Extra %s accepted", ExtName(typ))
		}
	}
}

// What each Marshal writes from full typed fields is exactly the set
// refused as Extra: every type it can write is refused, and every type
// refused is one it writes (so a transport is refused nothing hasp does
// not in fact produce).
func TestExtraRefusalMatchesEncoder(t *testing.T) {
	ch := ClientHello{
		Vers: VersionTLS12, CipherSuites: []uint16{0x1301}, Compression: []uint8{0}, ServerName: "x",
		SupportedGroups: []uint16{29}, PointFormats: []uint8{0}, SigSchemes: []uint16{0x0403}, SigSchemesCert: []uint16{0x0403},
		SupportedVersions: []uint16{0x0304}, KeyShares: []KeyShare{{29, make([]byte, 32)}}, PSKModes: []uint8{1},
		Cookie: []byte("c"), ALPN: []string{"h2"}, StatusRequest: true, SCT: true, EarlyData: true, PostHandshakeAuth: true,
		EMS: true, HasSecureReneg: true, HasSessionTicket: true, RecordSizeLimit: 0x4001, CertAuthorities: [][]byte{[]byte("dn")},
		Padding:       1,
		PSKIdentities: []PSKIdentity{{Identity: []byte("id")}}, PSKBinders: [][]byte{make([]byte, 32)},
	}
	var chBack ClientHello
	if err := chBack.Unmarshal(ch.Marshal()); err != nil {
		t.Fatal(err)
	}
	sh12 := ServerHello{Vers: VersionTLS12, CipherSuite: 0xc02b, ALPN: "h2", StatusRequest: true, SCTs: [][]byte{{1}},
		EMS: true, HasSecureReneg: true, TicketSupported: true, HasPointFormats: true, PointFormats: []uint8{0}, ServerNameAck: true}
	sh13 := ServerHello{Vers: VersionTLS12, CipherSuite: 0x1301, SupportedVersion: 0x0304, KeyShare: KeyShare{29, []byte{1}},
		HasSelectedPSK: true, Cookie: []byte("c")}
	var shBack, shBack2 ServerHello
	if err := shBack.Unmarshal(sh12.Marshal()); err != nil {
		t.Fatal(err)
	}
	if err := shBack2.Unmarshal(sh13.Marshal()); err != nil {
		t.Fatal(err)
	}
	ee := EncryptedExtensions{ServerNameAck: true, ALPN: "h2", SupportedGroups: []uint16{29}, EarlyData: true, RecordSizeLimit: 0x4001}
	var eeBack EncryptedExtensions
	if err := eeBack.Unmarshal(ee.Marshal()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		msg   uint8
		types []uint16
	}{
		{TypeClientHello, extTypes(chBack.Extensions)},
		{TypeServerHello, append(extTypes(shBack.Extensions), extTypes(shBack2.Extensions)...)},
		{TypeEncryptedExtensions, extTypes(eeBack.Extensions)},
	} {
		for typ := range 1 << 16 {
			if marshalsItself(c.msg, uint16(typ)) != slices.Contains(c.types, uint16(typ)) {
				t.Errorf("%s: %s written %v, refused as Extra %v", HandshakeName(c.msg), ExtName(uint16(typ)),
					slices.Contains(c.types, uint16(typ)), marshalsItself(c.msg, uint16(typ)))
			}
		}
	}
}

// KnownExtension answers as it did before the table: the types a
// ClientHello parses into fields.
func TestKnownExtensionUnchanged(t *testing.T) {
	known := []uint16{
		ExtServerName, ExtStatusRequest, ExtSupportedGroups, ExtECPointFormats, ExtSignatureAlgorithms, ExtALPN,
		ExtSCT, ExtPadding, ExtExtendedMasterSecret, ExtRecordSizeLimit, ExtSessionTicket, ExtPreSharedKey,
		ExtEarlyData, ExtSupportedVersions, ExtCookie, ExtPSKModes, ExtCertAuthorities, ExtPostHandshakeAuth,
		ExtSignatureAlgsCert, ExtKeyShare, ExtRenegotiationInfo,
	}
	for typ := range 1 << 16 {
		if KnownExtension(uint16(typ)) != slices.Contains(known, uint16(typ)) {
			t.Errorf("KnownExtension(%s) = %v", ExtName(uint16(typ)), KnownExtension(uint16(typ)))
		}
	}
}

// The IANA registry's values for the constants.
func TestExtensionConstants(t *testing.T) {
	for _, c := range []struct {
		typ  uint16
		val  uint16
		name string
	}{
		{ExtServerName, 0, "server_name"},
		{ExtMaxFragmentLength, 1, "max_fragment_length"},
		{ExtStatusRequest, 5, "status_request"},
		{ExtSupportedGroups, 10, "supported_groups"},
		{ExtECPointFormats, 11, "ec_point_formats"},
		{ExtSignatureAlgorithms, 13, "signature_algorithms"},
		{ExtUseSRTP, 14, "use_srtp"},
		{ExtHeartbeat, 15, "heartbeat"},
		{ExtALPN, 16, "application_layer_protocol_negotiation"},
		{ExtSCT, 18, "signed_certificate_timestamp"},
		{ExtClientCertType, 19, "client_certificate_type"},
		{ExtServerCertType, 20, "server_certificate_type"},
		{ExtPadding, 21, "padding"},
		{ExtExtendedMasterSecret, 23, "extended_master_secret"},
		{ExtCompressCertificate, 27, "compress_certificate"},
		{ExtRecordSizeLimit, 28, "record_size_limit"},
		{ExtSessionTicket, 35, "session_ticket"},
		{ExtPreSharedKey, 41, "pre_shared_key"},
		{ExtEarlyData, 42, "early_data"},
		{ExtSupportedVersions, 43, "supported_versions"},
		{ExtCookie, 44, "cookie"},
		{ExtPSKModes, 45, "psk_key_exchange_modes"},
		{ExtCertAuthorities, 47, "certificate_authorities"},
		{ExtOIDFilters, 48, "oid_filters"},
		{ExtPostHandshakeAuth, 49, "post_handshake_auth"},
		{ExtSignatureAlgsCert, 50, "signature_algorithms_cert"},
		{ExtKeyShare, 51, "key_share"},
		{ExtConnectionID, 54, "connection_id"},
		{ExtQUICTransportParameters, 57, "quic_transport_parameters"},
		{ExtRenegotiationInfo, 65281, "renegotiation_info"},
	} {
		if c.typ != c.val || ExtName(c.typ) != c.name {
			t.Errorf("%s: constant %d, name %q; want %d", c.name, c.typ, ExtName(c.typ), c.val)
		}
	}
	if ExtName(0x7777) != "extension(30583)" {
		t.Errorf("ExtName(0x7777) = %q", ExtName(0x7777))
	}
}

// columns lists the TLS 1.3 messages of the RFC 8446 section 4.2 table.
var columns = []struct {
	name string
	msg  uint8
	hrr  bool
}{
	{"CH", TypeClientHello, false},
	{"SH", TypeServerHello, false},
	{"HRR", TypeServerHello, true},
	{"EE", TypeEncryptedExtensions, false},
	{"CT", TypeCertificate, false},
	{"CR", TypeCertificateRequest, false},
	{"NST", TypeNewSessionTicket, false},
}

func checkRow(t *testing.T, typ uint16, name, in string) {
	t.Helper()
	if name != "" && ExtName(typ) != name {
		t.Errorf("type %d is named %q, want %q", typ, ExtName(typ), name)
	}
	want := strings.Split(in, ", ")
	for _, c := range columns {
		if got := ExtensionAllowed(typ, c.msg, c.hrr); got != slices.Contains(want, c.name) {
			t.Errorf("ExtensionAllowed(%s, %s) = %v, want %q", ExtName(typ), c.name, got, in)
		}
	}
}

// Row by row, the table of RFC 8446 section 4.2.
func TestExtensionAllowedRFC8446(t *testing.T) {
	for _, r := range []struct {
		typ  uint16
		name string
		in   string
	}{
		{ExtServerName, "server_name", "CH, EE"},
		{ExtMaxFragmentLength, "max_fragment_length", "CH, EE"},
		{ExtStatusRequest, "status_request", "CH, CR, CT"},
		{ExtSupportedGroups, "supported_groups", "CH, EE"},
		{ExtSignatureAlgorithms, "signature_algorithms", "CH, CR"},
		{ExtUseSRTP, "use_srtp", "CH, EE"},
		{ExtHeartbeat, "heartbeat", "CH, EE"},
		{ExtALPN, "application_layer_protocol_negotiation", "CH, EE"},
		{ExtSCT, "signed_certificate_timestamp", "CH, CR, CT"},
		{ExtClientCertType, "client_certificate_type", "CH, EE"},
		{ExtServerCertType, "server_certificate_type", "CH, EE"},
		{ExtPadding, "padding", "CH"},
		{ExtKeyShare, "key_share", "CH, SH, HRR"},
		{ExtPreSharedKey, "pre_shared_key", "CH, SH"},
		{ExtPSKModes, "psk_key_exchange_modes", "CH"},
		{ExtEarlyData, "early_data", "CH, EE, NST"},
		{ExtCookie, "cookie", "CH, HRR"},
		{ExtSupportedVersions, "supported_versions", "CH, SH, HRR"},
		{ExtCertAuthorities, "certificate_authorities", "CH, CR"},
		{ExtOIDFilters, "oid_filters", "CR"},
		{ExtPostHandshakeAuth, "post_handshake_auth", "CH"},
		{ExtSignatureAlgsCert, "signature_algorithms_cert", "CH, CR"},
	} {
		checkRow(t, r.typ, r.name, r.in)
	}
}

// Other registered extensions, and the rule for unknown ones.
func TestExtensionAllowedRegistry(t *testing.T) {
	for _, r := range []struct {
		typ  uint16
		name string
		in   string
	}{
		{ExtQUICTransportParameters, "quic_transport_parameters", "CH, EE"},
		{ExtConnectionID, "connection_id", "CH, SH"},
		{ExtRecordSizeLimit, "record_size_limit", "CH, EE"},
		{ExtCompressCertificate, "compress_certificate", "CH, CR"},
		{34, "delegated_credential", "CH, CR, CT"},
		{52, "transparency_info", "CH, CR, CT"},
		{58, "ticket_request", "CH, EE"},
		{59, "dnssec_chain", "CH, CT"},
		{0xfe0d, "encrypted_client_hello", "CH, HRR, EE"},
		// "-" in the TLS 1.3 column: a ClientHello offering TLS 1.2
		// may carry them, no TLS 1.3 response may.
		{ExtECPointFormats, "ec_point_formats", "CH"},
		{ExtExtendedMasterSecret, "extended_master_secret", "CH"},
		{ExtSessionTicket, "session_ticket", "CH"},
		{ExtRenegotiationInfo, "renegotiation_info", "CH"},
		{22, "encrypt_then_mac", "CH"},
		{53, "connection_id_deprecated", "CH"},
		// Unknown, GREASE (RFC 8701) included.
		{0x7777, "", "CH"},
		{0x0a0a, "", "CH"},
		{40, "", "CH"},
	} {
		checkRow(t, r.typ, r.name, r.in)
	}
	// Messages that carry no extensions, and hrr outside ServerHello.
	for _, msg := range []uint8{TypeFinished, TypeCertificateVerify, TypeKeyUpdate, TypeEndOfEarlyData, TypeMessageHash} {
		if ExtensionAllowed(ExtEarlyData, msg, false) || ExtensionAllowed(0x7777, msg, false) {
			t.Errorf("extension allowed in %s", HandshakeName(msg))
		}
	}
	if !ExtensionAllowed(ExtEarlyData, TypeEncryptedExtensions, true) || !ExtensionAllowed(ExtCookie, TypeClientHello, true) {
		t.Error("hrr changed the answer for a message other than ServerHello")
	}
	// Names are the registry's, one per type.
	names := map[string]uint16{}
	for typ, info := range extensionTable {
		if info.name == "" || strings.HasPrefix(info.name, "extension(") {
			t.Errorf("type %d: name %q", typ, info.name)
		}
		if other, dup := names[info.name]; dup {
			t.Errorf("types %d and %d both named %q", typ, other, info.name)
		}
		names[info.name] = typ
	}
}
