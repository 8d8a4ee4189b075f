package keysched

// Known answers for the typed key schedule. The hex is copied from the
// RFCs' example traces (facts): RFC 8448 sections 3 and 4, RFC 9001
// appendices A.1 and A.5. Transcript hashes are the "hash" lines of the
// RFC 8448 traces.

import (
	"bytes"
	"crypto"
	"crypto/hkdf"
	"testing"

	"github.com/hasp-tls/hasp/internal/testutil"
)

var unhex = testutil.Unhex

func check(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// RFC 8448 section 3 (Simple 1-RTT Handshake).
var (
	s3Shared       = unhex(`8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d`)
	s3Early        = unhex(`33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a`)
	s3Handshake    = unhex(`1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac`)
	s3Master       = unhex(`18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19`)
	s3HashSH       = unhex(`86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8`)
	s3HashSF       = unhex(`96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13`)
	s3HashCF       = unhex(`20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d`)
	s3ClientHS     = unhex(`b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21`)
	s3ServerHS     = unhex(`b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38`)
	s3ClientApp    = unhex(`9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5`)
	s3ServerApp    = unhex(`a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43`)
	s3ExpMaster    = unhex(`fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50`)
	s3ResMaster    = unhex(`7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c`)
	s3ServerHSKey  = unhex(`3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc`)
	s3ServerHSIV   = unhex(`5d 31 3e b2 67 12 76 ee 13 00 0b 30`)
	s3ClientHSKey  = unhex(`db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01`)
	s3ClientHSIV   = unhex(`5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f`)
	s3ServerAppKey = unhex(`9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56`)
	s3ServerAppIV  = unhex(`cf 78 2b 88 dd 83 54 9a ad f1 e9 84`)
	s3ClientAppKey = unhex(`17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51`)
	s3ClientAppIV  = unhex(`5b 78 92 3d ee 08 57 90 33 e5 23 d9`)
	s3ServerFinKey = unhex(`00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8`)
	s3ClientFinKey = unhex(`b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4`)
	s3ClientFin    = unhex(`a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61`)
	// The NewSessionTicket of section 3 carries ticket_nonce 00 00.
	s3TicketNonce = []byte{0, 0}
)

// RFC 8448 section 4 (Resumed 0-RTT Handshake).
var (
	s4PSK         = unhex(`4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3`)
	s4Early       = unhex(`9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb 41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c`)
	s4BinderKey   = unhex(`69 fe 13 1a 3b ba d5 d6 3c 64 ee bc c3 0e 39 5b 9d 81 07 72 6a 13 d0 74 e3 89 db c8 a4 e4 72 56`)
	s4BinderHash  = unhex(`63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04 f6 be 9e 05 71 1a 83 96 47 3a ef a0 1e 92 4a 14`)
	s4BinderFin   = unhex(`55 88 67 3e 72 cb 59 c8 7d 22 0c af fe 94 f2 de a9 a3 b1 60 9f 7d 50 e9 0a 48 22 7d b9 ed 7e aa`)
	s4Binder      = unhex(`3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d`)
	s4HashCH      = unhex(`08 ad 0f a0 5d 7c 72 33 b1 77 5b a2 ff 9f 4c 5b 8b 59 27 6b 7f 22 7f 13 a9 76 24 5f 5d 96 09 13`)
	s4ClientEarly = unhex(`3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62`)
	s4EarlyExp    = unhex(`b2 02 68 66 61 09 37 d7 42 3e 5b e9 08 62 cc f2 4c 0e 60 91 18 6d 34 f8 12 08 9f f5 be 2e f7 df`)
	s4EarlyKey    = unhex(`92 02 05 a5 b7 bf 21 15 e6 fc 5c 29 42 83 4f 54`)
	s4EarlyIV     = unhex(`6d 47 5f 09 93 c8 e5 64 61 0d b2 b9`)
)

func TestRFC8448Section3Stages(t *testing.T) {
	h := crypto.SHA256
	e := NewEarly(h, nil)
	// Without a PSK the early secret and its "derived" secret are
	// constants, computed once (derivedNoPSK).
	check(t, "early secret", Extract(h, nil, nil), s3Early)
	check(t, "derived (RFC 8448 section 3)", derivedNoPSK(TLS13, h), unhex(`6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba`))

	hs := e.Handshake(s3Shared)
	check(t, "handshake secret", hs.secret, s3Handshake)
	chs, shs := hs.ClientTraffic(s3HashSH), hs.ServerTraffic(s3HashSH)
	check(t, "c hs traffic", chs.Secret, s3ClientHS)
	check(t, "s hs traffic", shs.Secret, s3ServerHS)
	if chs.Dir != ClientToServer || shs.Dir != ServerToClient {
		t.Errorf("handshake directions %v %v", chs.Dir, shs.Dir)
	}
	key, iv := shs.Keys(TLS13Labels, 16, 12)
	check(t, "server handshake key", key, s3ServerHSKey)
	check(t, "server handshake iv", iv, s3ServerHSIV)
	key, iv = chs.Keys(TLS13Labels, 16, 12)
	check(t, "client handshake key", key, s3ClientHSKey)
	check(t, "client handshake iv", iv, s3ClientHSIV)
	check(t, "server finished key", shs.FinishedKey(), s3ServerFinKey)
	check(t, "client finished key", chs.FinishedKey(), s3ClientFinKey)
	check(t, "client Finished", chs.VerifyData(s3HashSF), s3ClientFin)

	m := hs.Master()
	check(t, "master secret", m.secret, s3Master)
	capp, sapp := m.ClientTraffic(s3HashSF), m.ServerTraffic(s3HashSF)
	check(t, "c ap traffic", capp.Secret, s3ClientApp)
	check(t, "s ap traffic", sapp.Secret, s3ServerApp)
	if capp.Dir != ClientToServer || sapp.Dir != ServerToClient {
		t.Errorf("application directions %v %v", capp.Dir, sapp.Dir)
	}
	key, iv = sapp.Keys(TLS13Labels, 16, 12)
	check(t, "server application key", key, s3ServerAppKey)
	check(t, "server application iv", iv, s3ServerAppIV)
	key, iv = capp.Keys(TLS13Labels, 16, 12)
	check(t, "client application key", key, s3ClientAppKey)
	check(t, "client application iv", iv, s3ClientAppIV)
	exp := m.Exporter(s3HashSF)
	check(t, "exp master", exp.Secret, s3ExpMaster)
	res := m.Resumption(s3HashCF)
	check(t, "res master", res.Secret, s3ResMaster)

	// The ticket of section 3 is the PSK of section 4.
	check(t, "ticket PSK", NewTicketPSK(h, res.Secret, s3TicketNonce).Secret(), s4PSK)
	check(t, "ticket PSK (method)", res.TicketPSK(s3TicketNonce).Secret(), s4PSK)
	check(t, "ticket PSK (legacy)", ResumptionPSK(h, s3ResMaster, s3TicketNonce), s4PSK)
}

func TestRFC8448Section4Early(t *testing.T) {
	h := crypto.SHA256
	psk := NewTicketPSK(h, s3ResMaster, s3TicketNonce)
	if psk.External() || psk.Hash() != h {
		t.Fatalf("ticket PSK: external %v hash %v", psk.External(), psk.Hash())
	}
	e := NewEarly(h, psk)
	check(t, "early secret", e.secret, s4Early)
	bk := e.BinderKey()
	check(t, "binder key", bk.Secret, s4BinderKey)
	check(t, "binder finished key", bk.FinishedKey(), s4BinderFin)
	check(t, "binder", bk.Binder(s4BinderHash), s4Binder)
	cet := e.ClientEarlyTraffic(s4HashCH)
	check(t, "c e traffic", cet.Secret, s4ClientEarly)
	if cet.Dir != ClientToServer {
		t.Errorf("early traffic direction %v", cet.Dir)
	}
	key, iv := cet.Keys(TLS13Labels, 16, 12)
	check(t, "early key", key, s4EarlyKey)
	check(t, "early iv", iv, s4EarlyIV)
	check(t, "e exp master", e.EarlyExporter(s4HashCH).Secret, s4EarlyExp)
}

// RFC 9001 appendix A.1.
func TestRFC9001InitialKeys(t *testing.T) {
	c, s := QUICInitialSecrets(unhex(`83 94 c8 f0 3e 51 57 08`))
	check(t, "client_initial_secret", c.Secret, unhex(`c00cf151ca5be075ed0ebfb5c80323c4 2d6b7db67881289af4008f1f6c357aea`))
	check(t, "server_initial_secret", s.Secret, unhex(`3c199828fd139efd216c155ad844cc81 fb82fa8d7446fa7d78be803acdda951b`))
	if c.Dir != ClientToServer || s.Dir != ServerToClient || c.Hash != crypto.SHA256 {
		t.Errorf("initial secrets: %v %v %v", c.Dir, s.Dir, c.Hash)
	}
	key, iv := c.Keys(QUICv1Labels, 16, 12)
	check(t, "client key", key, unhex(`1f369613dd76d5467730efcbe3b1a22d`))
	check(t, "client iv", iv, unhex(`fa044b2f42a3fd3b46fb255c`))
	check(t, "client hp", c.HeaderProtectionKey(QUICv1Labels, 16), unhex(`9f50449e04a0e810283a1e9933adedd2`))
	key, iv = s.Keys(QUICv1Labels, 16, 12)
	check(t, "server key", key, unhex(`cf3a5331653c364c88f0f379b6067e37`))
	check(t, "server iv", iv, unhex(`0ac1493ca1905853b0bba03e`))
	check(t, "server hp", s.HeaderProtectionKey(QUICv1Labels, 16), unhex(`c206b8d9b9f0f37644430b490eeaa314`))
}

// An empty Destination Connection ID is an empty IKM, not zeros.
func TestQUICInitialEmptyDCID(t *testing.T) {
	c, _ := QUICInitialSecrets(nil)
	initial, err := hkdf.Extract(crypto.SHA256.New, []byte{}, quicV1InitialSalt)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "client_initial_secret", c.Secret, ExpandLabel(crypto.SHA256, initial, "client in", nil, 32))
}

// RFC 9001 appendix A.5: ChaCha20-Poly1305 keys and the "quic ku" update.
func TestRFC9001ChaChaKeysAndUpdate(t *testing.T) {
	ts := TrafficSecret{Hash: crypto.SHA256, Secret: unhex(`9ac312a7f877468ebe69422748ad00a1 5443f18203a07d6060f688f30f21632b`), Dir: ServerToClient}
	key, iv := ts.Keys(QUICv1Labels, 32, 12)
	check(t, "key", key, unhex(`c6d98ff3441c3fe1b2182094f69caa2e d4b716b65488960a7a984979fb23e1c8`))
	check(t, "iv", iv, unhex(`e0459b3474bdd0e44a41c144`))
	check(t, "hp", ts.HeaderProtectionKey(QUICv1Labels, 32), unhex(`25a282b9e82f06f21f488917a4fc8f1b 73573685608597d0efcb076b0ab7a7a4`))
	next := ts.NextWith(QUICv1Labels)
	check(t, "ku", next.Secret, unhex(`1223504755036d556342ee9361d25342 1a826c9ecdf3c7148684b36b714881f9`))
	if next.Dir != ServerToClient {
		t.Errorf("updated direction %v", next.Dir)
	}
}

// The typed API agrees with the untyped one, for SHA-384 and an external
// PSK (which RFC 8448 has no trace for).
func TestStagesMatchSchedule(t *testing.T) {
	h := crypto.SHA384
	key := bytes.Repeat([]byte{0x5a}, 48)
	th := func(b byte) []byte { return bytes.Repeat([]byte{b}, h.Size()) }
	shared := bytes.Repeat([]byte{0x11}, 32)

	old := New(h, key)
	e := NewEarly(h, NewExternalPSK(h, key))
	check(t, "ext binder key", e.BinderKey().Secret, old.BinderKey(false))
	check(t, "c e traffic", e.ClientEarlyTraffic(th(1)).Secret, old.Derive(LabelClientEarly, th(1)))
	check(t, "e exp master", e.EarlyExporter(th(1)).Secret, old.Derive(LabelEarlyExporter, th(1)))
	bk := e.BinderKey()
	check(t, "binder", bk.Binder(th(9)), FinishedMAC(h, bk.Secret, th(9)))

	old.Handshake(shared)
	hs := e.Handshake(shared)
	chs := hs.ClientTraffic(th(2))
	check(t, "c hs traffic", chs.Secret, old.Derive(LabelClientHandshake, th(2)))
	check(t, "s hs traffic", hs.ServerTraffic(th(2)).Secret, old.Derive(LabelServerHandshake, th(2)))
	check(t, "Finished", chs.VerifyData(th(3)), FinishedMAC(h, chs.Secret, th(3)))

	old.Master()
	m := hs.Master()
	capp := m.ClientTraffic(th(4))
	check(t, "c ap traffic", capp.Secret, old.Derive(LabelClientApp, th(4)))
	check(t, "s ap traffic", m.ServerTraffic(th(4)).Secret, old.Derive(LabelServerApp, th(4)))
	check(t, "traffic upd", capp.Next().Secret, NextTrafficSecret(h, capp.Secret))
	if capp.Next().Dir != ClientToServer {
		t.Error("Next changed the direction")
	}
	k1, iv1 := capp.Keys(TLS13Labels, 32, 12)
	k2, iv2 := TrafficKey(h, capp.Secret, 32, 12)
	check(t, "key", k1, k2)
	check(t, "iv", iv1, iv2)
	exp := m.Exporter(th(4))
	check(t, "exp master", exp.Secret, old.Derive(LabelExporter, th(4)))
	for _, ctx := range [][]byte{nil, {}, []byte("context")} {
		check(t, "exporter", exp.Export("EXPERIMENTAL test", ctx, 42), Export(h, exp.Secret, "EXPERIMENTAL test", ctx, 42))
	}
	res := m.Resumption(th(5))
	check(t, "res master", res.Secret, old.Derive(LabelResumption, th(5)))
	check(t, "ticket PSK", res.TicketPSK([]byte{7}).Secret(), ResumptionPSK(h, res.Secret, []byte{7}))

	// psk_ke: no shared secret is zeros.
	old = New(h, key)
	old.Handshake(nil)
	hs = NewEarly(h, NewExternalPSK(h, key)).Handshake(nil)
	check(t, "psk_ke handshake secret", hs.secret, old.Secret())
}

// DTLS 1.3 uses the prefix "dtls13" for every HKDF-Expand-Label (RFC 9147
// section 5.9) and "sn" for the record number key (section 4.2.3). RFC
// 9147 has no traces: the HkdfLabel is built by hand here.
func TestDTLS13Prefix(t *testing.T) {
	h := crypto.SHA256
	expand := func(secret []byte, label string, context []byte, n int) []byte {
		full := "dtls13" + label
		info := append([]byte{byte(n >> 8), byte(n), byte(len(full))}, full...)
		info = append(append(info, byte(len(context))), context...)
		out, err := hkdf.Expand(h.New, secret, string(info), n)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ts := TrafficSecret{Hash: h, Secret: s3ClientApp, Dir: ClientToServer, Variant: DTLS13}
	key, iv := ts.Keys(DTLS13Labels, 16, 12)
	check(t, "dtls key", key, expand(ts.Secret, "key", nil, 16))
	check(t, "dtls iv", iv, expand(ts.Secret, "iv", nil, 12))
	check(t, "dtls sn key", ts.HeaderProtectionKey(DTLS13Labels, 16), expand(ts.Secret, "sn", nil, 16))
	check(t, "dtls traffic upd", ts.Next().Secret, expand(ts.Secret, "traffic upd", nil, 32))
	check(t, "dtls finished key", ts.FinishedKey(), expand(ts.Secret, "finished", nil, 32))

	e := NewEarlyVariant(DTLS13, h, nil)
	check(t, "dtls derived", derivedNoPSK(DTLS13, h), expand(s3Early, "derived", emptyHash(h), 32))
	hs := e.Handshake(s3Shared)
	derived := expand(s3Early, "derived", emptyHash(h), 32)
	want, _ := hkdf.Extract(h.New, s3Shared, derived)
	check(t, "dtls handshake secret", hs.secret, want)
	chs := hs.ClientTraffic(s3HashSH)
	check(t, "dtls c hs traffic", chs.Secret, expand(want, "c hs traffic", s3HashSH, 32))
	if chs.Variant != DTLS13 {
		t.Error("variant lost")
	}
	if bytes.Equal(chs.Secret, s3ClientHS) {
		t.Error("DTLS 1.3 and TLS 1.3 secrets agree")
	}
	m := hs.Master()
	x := m.Exporter(s3HashSF)
	check(t, "dtls exporter", x.Export("label", nil, 16),
		expand(expand(x.Secret, "label", emptyHash(h), 32), "exporter", emptyHash(h), 16))
	r := m.Resumption(s3HashCF)
	check(t, "dtls ticket PSK", r.TicketPSK(s3TicketNonce).Secret(), expand(r.Secret, "resumption", s3TicketNonce, 32))
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestStageMisuse(t *testing.T) {
	h := crypto.SHA256
	th := make([]byte, 32)
	noPSK := NewEarly(h, nil)
	mustPanic(t, "BinderKey without PSK", func() { noPSK.BinderKey() })
	mustPanic(t, "ClientEarlyTraffic without PSK", func() { noPSK.ClientEarlyTraffic(th) })
	mustPanic(t, "EarlyExporter without PSK", func() { noPSK.EarlyExporter(th) })
	mustPanic(t, "PSK of another hash", func() { NewEarly(crypto.SHA384, NewExternalPSK(h, []byte("k"))) })
	mustPanic(t, "empty PSK", func() { NewEarly(h, NewExternalPSK(h, nil)) })
	mustPanic(t, "unknown variant", func() { NewEarlyVariant(Variant(7), h, nil) })

	e := NewEarly(h, NewExternalPSK(h, []byte("k")))
	mustPanic(t, "short transcript hash", func() { e.ClientEarlyTraffic(th[:20]) })
	hs := e.Handshake(nil)
	mustPanic(t, "Handshake twice", func() { e.Handshake(nil) })
	mustPanic(t, "BinderKey after Handshake", func() { e.BinderKey() })
	mustPanic(t, "ClientEarlyTraffic after Handshake", func() { e.ClientEarlyTraffic(th) })
	m := hs.Master()
	mustPanic(t, "Master twice", func() { hs.Master() })
	mustPanic(t, "handshake traffic after Master", func() { hs.ClientTraffic(th) })
	mustPanic(t, "Finished over a message", func() { m.ClientTraffic(th).VerifyData([]byte("Finished")) })

	ts := m.ServerTraffic(th)
	mustPanic(t, "TLS header protection key", func() { ts.HeaderProtectionKey(TLS13Labels, 16) })
	mustPanic(t, "update without label", func() { ts.NextWith(Labels{Key: "key", IV: "iv"}) })
}

// The external PSK is copied: changing the caller's key later does not
// change the schedule.
func TestExternalPSKCopied(t *testing.T) {
	key := []byte("0123456789abcdef")
	p := NewExternalPSK(crypto.SHA256, key)
	key[0] ^= 1
	if p.Secret()[0] != '0' || !p.External() {
		t.Error("external PSK aliases the caller's key")
	}
}

// The typed API adds no allocations beyond those of the HKDF expansions
// themselves (the existing ExpandLabel's).
func TestStageAllocations(t *testing.T) {
	h := crypto.SHA256
	th := make([]byte, 32)
	secret := bytes.Repeat([]byte{1}, 32)
	one := testing.AllocsPerRun(50, func() { ExpandLabel(h, secret, LabelClientApp, th, 32) })
	m := NewEarly(h, nil).Handshake(secret).Master()
	ts := m.ClientTraffic(th)
	for _, c := range []struct {
		what  string
		f     func()
		calls float64
	}{
		{"MasterStage.ClientTraffic", func() { m.ClientTraffic(th) }, 1},
		{"TrafficSecret.Next", func() { ts.Next() }, 1},
		{"TrafficSecret.Keys", func() { ts.Keys(TLS13Labels, 16, 12) }, 2},
		{"TrafficSecret.FinishedKey", func() { ts.FinishedKey() }, 1},
		{"TrafficSecret.HeaderProtectionKey", func() { ts.HeaderProtectionKey(QUICv1Labels, 16) }, 1},
	} {
		if got := testing.AllocsPerRun(50, c.f); got > c.calls*one {
			t.Errorf("%s: %v allocations, want at most %v", c.what, got, c.calls*one)
		}
	}

	// A whole schedule costs what the untyped Schedule costs: the stages
	// share one allocation.
	typed := testing.AllocsPerRun(20, func() { fullSchedule(th) })
	untyped := testing.AllocsPerRun(20, func() {
		s := New(h, nil)
		scheduleSink = s
		s.Handshake(s3Shared)
		TrafficKey(h, s.Derive(LabelClientHandshake, th), 16, 12)
		TrafficKey(h, s.Derive(LabelServerHandshake, th), 16, 12)
		s.Master()
		TrafficKey(h, s.Derive(LabelClientApp, th), 16, 12)
		TrafficKey(h, s.Derive(LabelServerApp, th), 16, 12)
		s.Derive(LabelExporter, th)
		s.Derive(LabelResumption, th)
	})
	if typed > untyped {
		t.Errorf("typed schedule: %v allocations, untyped %v", typed, untyped)
	}
}

var scheduleSink *Schedule

// fullSchedule is a 1-RTT handshake's derivations.
func fullSchedule(th []byte) {
	hs := NewEarly(crypto.SHA256, nil).Handshake(s3Shared)
	hs.ClientTraffic(th).Keys(TLS13Labels, 16, 12)
	hs.ServerTraffic(th).Keys(TLS13Labels, 16, 12)
	m := hs.Master()
	m.ClientTraffic(th).Keys(TLS13Labels, 16, 12)
	m.ServerTraffic(th).Keys(TLS13Labels, 16, 12)
	m.Exporter(th)
	m.Resumption(th)
}

func BenchmarkHandshakeSchedule(b *testing.B) {
	th := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		fullSchedule(th)
	}
}
