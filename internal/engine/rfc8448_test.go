package engine

// Known answers from RFC 8448 ("Example Handshake Traces for TLS 1.3"),
// section 3 (Simple 1-RTT Handshake) and section 5 (HelloRetryRequest).
// The hex below is copied from the RFC's traces: these are facts, and the
// tests check hasp's codecs, key schedule and engines against them.

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"math/big"
	"testing"

	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/internal/wire"
)

var unhex = testutil.Unhex

// Section 3.
var (
	rfcClientHello = unhex(`
01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef
62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76
65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00
23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e
51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c
00 02 40 01`)
	rfcServerPrivate = unhex(`b1 58 0e ea df 6d d5 89 b8 ef 4f 2d 56 52 57 8c c8 10 e9 98 01 91 ec 8d 05 83 08 ce a2 16 a2 1e`)
	rfcServerHello   = unhex(`
02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55
77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db
f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04`)
	rfcEncryptedExtensions = unhex(`
08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c
00 02 40 01 00 00 00 00`)
	rfcCertificate = unhex(`
0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30 82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a
86 48 86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36
30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30 37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a
06 03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00
30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26
d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12
09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80
30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a
8d 88 d7 9f 7f 1e 3f 02 03 01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06 03 55
1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00 03 81 81 00 85 aa d2 a0 e5
b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5
8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02
70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0
a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8 96 12 29 ac 91 87 b4 2b 4d e1 00 00`)
	rfcCertificateVerify = unhex(`
0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2 e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a
b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3 3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee
aa a7 85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c
9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a 3d a5 04 3e 06 3d da 65 cd f5 ae a2
0d 53 df ac d4 2f 74 f3`)
	rfcServerFinished = unhex(`
14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54
b7 8f 07 18`)
	rfcClientFinished = unhex(`
14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2
ed d5 ce 61`)

	rfcSharedSecret   = unhex(`8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d`)
	rfcClientHS       = unhex(`b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21`)
	rfcServerHS       = unhex(`b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38`)
	rfcClientApp      = unhex(`9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5`)
	rfcServerApp      = unhex(`a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43`)
	rfcExporterMaster = unhex(`fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50`)
	rfcResMaster      = unhex(`7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c`)
	rfcServerHSKey    = unhex(`3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc`)
	rfcServerHSIV     = unhex(`5d 31 3e b2 67 12 76 ee 13 00 0b 30`)
	rfcClientAppIV    = unhex(`5b 78 92 3d ee 08 57 90 33 e5 23 d9`)
)

// Section 5.
var (
	rfcHRRClientHello1 = unhex(`
01 00 00 b0 03 03 b0 b1 c5 a5 aa 37 c5 91 9f 2e d1 d5 c6 ff f7 fc b7 84 97 16 94 5a 2b 8c ee 92
58 a3 46 67 7b 6f 00 00 06 13 01 13 03 13 02 01 00 00 81 00 00 00 0b 00 09 00 00 06 73 65 72 76
65 72 ff 01 00 01 00 00 0a 00 08 00 06 00 1d 00 17 00 18 00 33 00 26 00 24 00 1d 00 20 e8 e8 e3
f3 b9 3a 25 ed 97 a1 4a 7d ca cb 8a 27 2c 62 88 e5 85 c6 48 4d 05 26 2f ca d0 62 ad 1f 00 2b 00
03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01
04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01`)
	rfcHRR = unhex(`
02 00 00 ac 03 03 cf 21 ad 74 e5 9a 61 11 be 1d 8c 02 1e 65 b8 91 c2 a2 11 16 7a bb 8c 5e 07 9e
09 e2 c8 a8 33 9c 00 13 01 00 00 84 00 33 00 02 00 17 00 2c 00 74 00 72 71 dc d0 4b b8 8b c3 18
91 19 39 8a 00 00 00 00 ee fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3 65 dd 00 30 95 3f 4e df 62 56
36 e5 f2 1b b2 e2 3f cc 65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3 6e 8a 1f 02 5f 7d fa 5d
6e 50 78 1b 5e da 4a a1 5b 0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9 e4 c0 34 22 67 e8 ca 0c
af 57 1f b2 b7 cf f0 f9 34 b0 00 2b 00 02 03 04`)
	rfcHRRClientHello2 = append(unhex(`
01 00 01 fc 03 03 b0 b1 c5 a5 aa 37 c5 91 9f 2e d1 d5 c6 ff f7 fc b7 84 97 16 94 5a 2b 8c ee 92
58 a3 46 67 7b 6f 00 00 06 13 01 13 03 13 02 01 00 01 cd 00 00 00 0b 00 09 00 00 06 73 65 72 76
65 72 ff 01 00 01 00 00 0a 00 08 00 06 00 1d 00 17 00 18 00 33 00 47 00 45 00 17 00 41 04 a6 da
73 92 ec 59 1e 17 ab fd 53 59 64 b9 98 94 d1 3b ef b2 21 b3 de f2 eb e3 83 0e ac 8f 01 51 81 26
77 c4 d6 d2 23 7e 85 cf 01 d6 91 0c fb 83 95 4e 76 ba 73 52 83 05 34 15 98 97 e8 06 57 80 00 2b
00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02
01 04 02 05 02 06 02 02 02 00 2c 00 74 00 72 71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00 ee
fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3 65 dd 00 30 95 3f 4e df 62 56 36 e5 f2 1b b2 e2 3f cc 65
4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3 6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1 5b
0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9 e4 c0 34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9 34
b0 00 2d 00 02 01 01 00 1c 00 02 40 01 00 15 00 af`), make([]byte, 0xaf)...)
	rfcHRRServerHello = unhex(`
02 00 00 77 03 03 bb 34 1d 84 7f d7 89 c4 7c 38 71 72 dc 0c 9b f1 47 fc ca cb 50 43 d8 6c a4 c5
98 d3 ff 57 1b 98 00 13 01 00 00 4f 00 33 00 45 00 17 00 41 04 58 3e 05 4b 7a 66 67 2a e0 20 ad
9d 26 86 fc c8 5b 5a d4 1a 13 4a 0f 03 ee 72 b8 93 05 2b d8 5b 4c 8d e6 77 6f 5b 04 ac 07 d8 35
40 ea b3 e3 d9 c5 47 bc 65 28 c4 31 7d 29 46 86 09 3a 6c ad 7d 00 2b 00 02 03 04`)
	// Transcript hash through ServerHello, with ClientHello1 replaced by
	// message_hash.
	rfcHRRServerHelloHash = unhex(`8a a8 e8 28 ec 2f 8a 88 4f ec 95 a3 13 9d e0 1c 15 a3 da a7 ff 5b fc 3f 4b fc c2 1b 43 8d 7b f8`)
)

func sha256sum(msgs ...[]byte) []byte {
	h := crypto.SHA256.New()
	for _, m := range msgs {
		h.Write(m)
	}
	return h.Sum(nil)
}

// RFC 8448 section 3 through the typed schedule the engine uses.
func TestRFC8448KeySchedule(t *testing.T) {
	h := crypto.SHA256
	early := keysched.NewEarly(h, nil)
	hs := early.Handshake(rfcSharedSecret)
	thSH := sha256sum(rfcClientHello, rfcServerHello)
	chs, shs := hs.ClientTraffic(thSH), hs.ServerTraffic(thSH)
	eq(t, "c hs traffic", chs.Secret, rfcClientHS)
	eq(t, "s hs traffic", shs.Secret, rfcServerHS)
	key, iv := shs.Keys(keysched.TLS13Labels, 16, 12)
	eq(t, "server handshake key", key, rfcServerHSKey)
	eq(t, "server handshake iv", iv, rfcServerHSIV)

	// Finished: server's over the transcript through CertificateVerify,
	// client's through the server's Finished.
	thCV := sha256sum(rfcClientHello, rfcServerHello, rfcEncryptedExtensions, rfcCertificate, rfcCertificateVerify)
	eq(t, "server Finished", shs.VerifyData(thCV), rfcServerFinished[4:])
	thSF := sha256sum(rfcClientHello, rfcServerHello, rfcEncryptedExtensions, rfcCertificate, rfcCertificateVerify, rfcServerFinished)
	eq(t, "client Finished", chs.VerifyData(thSF), rfcClientFinished[4:])

	m := hs.Master()
	capp := m.ClientTraffic(thSF)
	eq(t, "c ap traffic", capp.Secret, rfcClientApp)
	eq(t, "s ap traffic", m.ServerTraffic(thSF).Secret, rfcServerApp)
	eq(t, "exp master", m.Exporter(thSF).Secret, rfcExporterMaster)
	_, civ := capp.Keys(keysched.TLS13Labels, 16, 12)
	eq(t, "client application iv", civ, rfcClientAppIV)
	thCF := sha256sum(rfcClientHello, rfcServerHello, rfcEncryptedExtensions, rfcCertificate, rfcCertificateVerify, rfcServerFinished, rfcClientFinished)
	eq(t, "res master", m.Resumption(thCF).Secret, rfcResMaster)
}

func eq(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// The codecs parse every RFC message, and re-encode byte for byte those
// whose extension order hasp's encoder shares with the RFC's traces.
func TestRFC8448Codecs(t *testing.T) {
	var ch wire.ClientHello
	if err := ch.Unmarshal(rfcClientHello); err != nil {
		t.Fatalf("ClientHello: %v", err)
	}
	if ch.ServerName != "server" || len(ch.KeyShares) != 1 || ch.KeyShares[0].Group != wire.GroupX25519 ||
		ch.RecordSizeLimit != 0x4001 || !ch.HasSessionTicket || !ch.HasSecureReneg || len(ch.SigSchemes) != 15 {
		t.Errorf("ClientHello fields: %+v", ch)
	}
	var sh wire.ServerHello
	if err := sh.Unmarshal(rfcServerHello); err != nil {
		t.Fatalf("ServerHello: %v", err)
	}
	raw := append([]byte(nil), sh.Raw...)
	eq(t, "ServerHello re-encoded", sh.Marshal(), raw)

	var ee wire.EncryptedExtensions
	if err := ee.Unmarshal(rfcEncryptedExtensions); err != nil {
		t.Fatalf("EncryptedExtensions: %v", err)
	}
	if !ee.ServerNameAck || ee.RecordSizeLimit != 0x4001 || len(ee.SupportedGroups) != 9 {
		t.Errorf("EncryptedExtensions fields: %+v", ee)
	}
	eq(t, "EncryptedExtensions re-encoded", ee.Marshal(), rfcEncryptedExtensions)

	var cm wire.Certificate
	if err := cm.Unmarshal(rfcCertificate); err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	eq(t, "Certificate re-encoded", cm.Marshal(), rfcCertificate)
	var cv wire.CertificateVerify
	if err := cv.Unmarshal(rfcCertificateVerify); err != nil {
		t.Fatalf("CertificateVerify: %v", err)
	}
	if cv.Scheme != wire.PSSWithSHA256 {
		t.Errorf("CertificateVerify scheme %x", cv.Scheme)
	}
	eq(t, "CertificateVerify re-encoded", cv.Marshal(), rfcCertificateVerify)
	var fin wire.Finished
	if err := fin.Unmarshal(rfcServerFinished); err != nil {
		t.Fatal(err)
	}
	eq(t, "Finished re-encoded", fin.Marshal(), rfcServerFinished)

	var hrr wire.ServerHello
	if err := hrr.Unmarshal(rfcHRR); err != nil {
		t.Fatalf("HelloRetryRequest: %v", err)
	}
	if !hrr.IsHelloRetryRequest() || hrr.SelectedGroup != wire.GroupSecp256r1 || len(hrr.Cookie) != 0x72 {
		t.Errorf("HelloRetryRequest fields: %+v", hrr)
	}
	raw = append([]byte(nil), hrr.Raw...)
	eq(t, "HelloRetryRequest re-encoded", hrr.Marshal(), raw)
	var ch2 wire.ClientHello
	if err := ch2.Unmarshal(rfcHRRClientHello2); err != nil {
		t.Fatalf("ClientHello2: %v", err)
	}
	if !bytes.Equal(ch2.Cookie, hrr.Cookie) || len(ch2.KeyShares) != 1 || ch2.KeyShares[0].Group != wire.GroupSecp256r1 {
		t.Errorf("ClientHello2 fields: %+v", ch2)
	}
}

// The transcript after a HelloRetryRequest starts with message_hash
// (RFC 8446 section 4.4.1); RFC 8448 section 5 gives the result.
func TestRFC8448HelloRetryTranscript(t *testing.T) {
	var tr keysched.Transcript
	tr.Write(rfcHRRClientHello1)
	tr.Reset(crypto.SHA256, wire.MessageHash(sha256sum(tr.Buffered())))
	tr.Write(rfcHRR)
	tr.Write(rfcHRRClientHello2)
	tr.Write(rfcHRRServerHello)
	eq(t, "transcript through ServerHello", tr.Sum(), rfcHRRServerHelloHash)
}

// fixedRand serves fixed bytes first, then real randomness.
type fixedRand struct{ b []byte }

func (r *fixedRand) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return rand.Read(p)
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

var _ io.Reader = (*fixedRand)(nil)

// The server engine, fed RFC 8448's ClientHello with the RFC's server key
// and random, answers the RFC's ServerHello byte for byte and derives the
// RFC's handshake traffic secrets.
func TestRFC8448ServerEngine(t *testing.T) {
	var cm wire.Certificate
	if err := cm.Unmarshal(rfcCertificate); err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{}
	cfg := &Config{
		Rand:         &fixedRand{append(append([]byte(nil), rfcServerPrivate...), rfcServerHello[6:38]...)},
		CipherSuites: suite.TLS13IDs(),
		Groups:       []uint16{wire.GroupX25519},
		SigSchemes:   []uint16{wire.PSSWithSHA256},
		GetCertificate: func(*HelloInfo) (*Certificate, error) {
			return &Certificate{Chain: [][]byte{cm.Entries[0].Data}, Signer: rfcSigner{}}, nil
		},
		KeyLog: func(label string, cr, secret []byte) {
			eq(t, label+" client random", cr, rfcClientHello[6:38])
			secrets[label] = append([]byte(nil), secret...)
		},
	}
	s := NewServer(cfg)
	acts, err := s.Handle(LevelInitial, rfcClientHello)
	if err != nil {
		t.Fatal(err)
	}
	if acts[0].Kind != ActSend || acts[0].Level != LevelInitial {
		t.Fatalf("first action %+v", acts[0])
	}
	eq(t, "ServerHello", acts[0].Msg, rfcServerHello)
	eq(t, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], rfcClientHS)
	eq(t, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"], rfcServerHS)
	// The CertificateVerify the engine made verifies with the RFC's
	// certificate (RSA-PSS is randomized, so bytes differ).
	st := s.State()
	if st.Group != wire.GroupX25519 || st.Suite.ID != wire.TLS_AES_128_GCM_SHA256 || st.SignatureScheme != wire.PSSWithSHA256 {
		t.Errorf("negotiated %+v", st)
	}
}

// rfcSigner signs with RFC 8448's RSA key (section 2).
type rfcSigner struct{}

var rfcRSAKey = func() *rsa.PrivateKey {
	n := func(s string) *big.Int { return new(big.Int).SetBytes(unhex(s)) }
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{
			N: n(`b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f`),
			E: 65537,
		},
		D: n(`04dea705d43a6ea7209dd8072111a83c81e322a59278b33480641eaf7c0a6985b8e31c44f6de62e1b4c2309f6126e77b7c41e923314bbfa3881305dc1217f16c819ce538e922f369828d0e57195d8c8488460207b2faa726bcf708bbd7db7f679f893492fc2a622e08970aac441ce4e0c3088df25ae679233df8a3bda2ff9941`),
		Primes: []*big.Int{
			n(`e435fb7cc83737756dacea96ab7f59a2cc1069db7deb190e17e33a532b273f30a327aa0aaabc58cd67466af9845fadc675fe094af92c4bd1f2c1bc33dd2e0515`),
			n(`cabd3bc0e0438664c8d4cc9f99977a94d9bbfead8e43870abae3f7eb8b4e0eee8af1d9b4719ba6196cf2cbbaeeebf8b3490afe9e9ffa74a88aa51fc645629303`),
		},
	}
	k.Precompute()
	return k
}()

func (rfcSigner) Public() crypto.PublicKey { return &rfcRSAKey.PublicKey }
func (rfcSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return rfcRSAKey.Sign(r, digest, opts)
}

// The RFC's CertificateVerify verifies with hasp's verifier and the RFC's
// certificate, over the RFC's transcript.
func TestRFC8448CertificateVerify(t *testing.T) {
	if err := rfcRSAKey.Validate(); err != nil {
		t.Fatalf("RFC 8448 RSA key: %v", err)
	}
	var cv wire.CertificateVerify
	if err := cv.Unmarshal(rfcCertificateVerify); err != nil {
		t.Fatal(err)
	}
	th := sha256sum(rfcClientHello, rfcServerHello, rfcEncryptedExtensions, rfcCertificate)
	if err := sig.Verify(&rfcRSAKey.PublicKey, cv.Scheme, sig.Content13(true, th), cv.Signature); err != nil {
		t.Errorf("RFC CertificateVerify: %v", err)
	}
	if err := sig.Verify(&rfcRSAKey.PublicKey, cv.Scheme, sig.Content13(false, th), cv.Signature); err == nil {
		t.Errorf("CertificateVerify verified with the client's context string")
	}
}

// The server engine, preferring P-256, answers RFC 8448 section 5's
// ClientHello1 with the RFC's HelloRetryRequest; only the cookie, which is
// the server's own opaque state, differs.
func TestRFC8448ServerHelloRetry(t *testing.T) {
	cfg := &Config{
		Rand:         rand.Reader,
		CipherSuites: suite.TLS13IDs(),
		Groups:       []uint16{wire.GroupSecp256r1},
		SigSchemes:   []uint16{wire.PSSWithSHA256},
		GetCertificate: func(*HelloInfo) (*Certificate, error) {
			t.Fatal("certificate chosen before ClientHello2")
			return nil, nil
		},
	}
	s := NewServer(cfg)
	acts, err := s.Handle(LevelInitial, rfcHRRClientHello1)
	if err != nil {
		t.Fatal(err)
	}
	// The HelloRetryRequest, then the compatibility CCS, which a hasp
	// server sends after its first message whatever the session ID (RFC
	// 8446 D.4; the RFC 8448 trace, made without it, has no record of it).
	if len(acts) != 2 || acts[0].Kind != ActSend || acts[1].Kind != ActSendCCS {
		t.Fatalf("actions %+v, want the HelloRetryRequest and the CCS", acts)
	}
	var ours, theirs wire.ServerHello
	if err := ours.Unmarshal(acts[0].Msg); err != nil {
		t.Fatal(err)
	}
	if err := theirs.Unmarshal(rfcHRR); err != nil {
		t.Fatal(err)
	}
	ours.Cookie = theirs.Cookie
	eq(t, "HelloRetryRequest with the RFC's cookie", ours.Marshal(), rfcHRR)
	if !s.State().HelloRetry {
		t.Error("State().HelloRetry not set")
	}
}
