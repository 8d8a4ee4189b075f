package engine

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

var testCert = func() *Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "engine test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return &Certificate{Chain: [][]byte{der}, Signer: key, NotAfter: tmpl.NotAfter}
}()

func clientConfig() *Config {
	return &Config{
		Rand:         rand.Reader,
		ServerName:   "localhost",
		CipherSuites: suite.TLS13IDs(),
		Groups:       []uint16{wire.GroupX25519MLKEM768, wire.GroupX25519, wire.GroupSecp256r1},
		KeyShares:    []uint16{wire.GroupX25519MLKEM768, wire.GroupX25519},
		SigSchemes:   []uint16{wire.ECDSAWithP256AndSHA256, wire.Ed25519, wire.PSSWithSHA256},
	}
}

func serverConfig() *Config {
	return &Config{
		Rand:           rand.Reader,
		CipherSuites:   suite.TLS13IDs(),
		Groups:         []uint16{wire.GroupX25519MLKEM768, wire.GroupX25519, wire.GroupSecp256r1},
		SigSchemes:     []uint16{wire.ECDSAWithP256AndSHA256, wire.Ed25519, wire.PSSWithSHA256},
		GetCertificate: func(*HelloInfo) (*Certificate, error) { return testCert, nil },
		Tickets:        1,
		SealTicket:     func(p []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil },
	}
}

// msg is a handshake message in flight.
type msg struct {
	level Level
	data  []byte
}

// tamper may change, drop (nil) or add to the messages one side sends
// before the other sees them. from is "client" or "server".
type tamper func(from string, m []msg) []msg

// result of a scripted handshake between two engines.
type result struct {
	err     error
	errSide string
}

// drive runs a client and a server engine against each other with no
// record layer: each side's sends go to the other at their level.
func drive(t *testing.T, c, s Engine, tm tamper) result {
	t.Helper()
	acts, err := c.Start()
	if err != nil {
		return result{err, "client"}
	}
	toServer := sends(acts)
	var toClient []msg
	for steps := 0; steps < 64; steps++ {
		if tm != nil {
			toServer = tm("client", toServer)
		}
		for _, m := range toServer {
			acts, err := s.Handle(m.level, m.data)
			if err != nil {
				return result{err, "server"}
			}
			toClient = append(toClient, sends(acts)...)
		}
		toServer = nil
		if tm != nil {
			toClient = tm("server", toClient)
		}
		for _, m := range toClient {
			acts, err := c.Handle(m.level, m.data)
			if err != nil {
				return result{err, "client"}
			}
			toServer = append(toServer, sends(acts)...)
		}
		toClient = nil
		if c.Done() && s.Done() && len(toServer) == 0 {
			return result{}
		}
	}
	t.Fatal("handshake did not finish in 64 steps")
	return result{}
}

func sends(acts []Action) []msg {
	var out []msg
	for _, a := range acts {
		if a.Kind == ActSend {
			out = append(out, msg{a.Level, append([]byte(nil), a.Msg...)})
		}
	}
	return out
}

func TestEnginesHandshake(t *testing.T) {
	c, s := NewClient(clientConfig()), NewServer(serverConfig())
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatalf("%s: %v", r.errSide, r.err)
	}
	cs, ss := c.State(), s.State()
	if cs.Group != wire.GroupX25519MLKEM768 || ss.Group != cs.Group || cs.Suite != ss.Suite {
		t.Errorf("client %+v server %+v", cs, ss)
	}
	if string(cs.ExporterSecret) != string(ss.ExporterSecret) || len(cs.ExporterSecret) == 0 {
		t.Errorf("exporter secrets differ")
	}
}

// The client learns tickets the server sends after the handshake, and a
// KeyUpdate with update_requested is answered.
func TestEnginesPostHandshake(t *testing.T) {
	ccfg := clientConfig()
	var got []*Ticket
	ccfg.OnTicket = func(t *Ticket) { got = append(got, t) }
	c, s := NewClient(ccfg), NewServer(serverConfig())
	// Capture the ticket the server sends after the client's Finished.
	var tickets []msg
	r := drive(t, c, s, func(from string, m []msg) []msg {
		if from != "server" {
			return m
		}
		var keep []msg
		for _, x := range m {
			if x.data[0] == wire.TypeNewSessionTicket {
				tickets = append(tickets, x)
			} else {
				keep = append(keep, x)
			}
		}
		return keep
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(tickets) != 1 {
		t.Fatalf("%d tickets", len(tickets))
	}
	if _, err := c.Handle(LevelApplication, tickets[0].data); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Ticket) == 0 || len(got[0].ResumptionSecret) == 0 {
		t.Fatalf("client handed on %d tickets", len(got))
	}
	acts, err := c.UpdateKeys(true)
	if err != nil {
		t.Fatal(err)
	}
	m := sends(acts)
	acts, err = s.Handle(LevelApplication, m[0].data)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []ActionKind
	for _, a := range acts {
		kinds = append(kinds, a.Kind)
	}
	// New read key for the client's update, and an update owed: the
	// transport answers before its next data (RFC 8446 4.6.3).
	if len(kinds) != 2 || kinds[0] != ActReadKey || kinds[1] != ActUpdateOwed {
		t.Fatalf("server took a requested KeyUpdate with %v", kinds)
	}
	// A second request while the answer is owed adds nothing: one answer.
	acts, err = c.UpdateKeys(true)
	if err != nil {
		t.Fatal(err)
	}
	acts, err = s.Handle(LevelApplication, sends(acts)[0].data)
	if err != nil || len(acts) != 1 || acts[0].Kind != ActReadKey {
		t.Fatalf("second request: %v %v", acts, err)
	}
	acts, err = s.UpdateKeys(false)
	if err != nil {
		t.Fatal(err)
	}
	if m := sends(acts); len(m) != 1 || m[0].data[4] != wire.KeyUpdateNotRequested {
		t.Fatalf("the answer: %v", acts)
	}
	// Answered: the next request is owed again.
	acts, err = c.UpdateKeys(true)
	if err != nil {
		t.Fatal(err)
	}
	acts, err = s.Handle(LevelApplication, sends(acts)[0].data)
	if err != nil || len(acts) != 2 || acts[1].Kind != ActUpdateOwed {
		t.Fatalf("request after the answer: %v %v", acts, err)
	}
}

func wantAlert(t *testing.T, r result, side string, a wire.Alert) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("handshake succeeded; want %s from the %s", a, side)
	}
	if got := wire.AlertOf(r.err); got != a || r.errSide != side {
		t.Fatalf("%s raised %s (%v); want %s from the %s", r.errSide, got, r.err, a, side)
	}
}

// replace edits the first message of type typ from side.
func replace(side string, typ uint8, f func([]byte) []byte) tamper {
	done := false
	return func(from string, m []msg) []msg {
		if from != side || done {
			return m
		}
		for i := range m {
			if m[i].data[0] == typ {
				m[i].data = f(m[i].data)
				done = true
				break
			}
		}
		return m
	}
}

func setLen(b []byte) []byte {
	n := len(b) - 4
	b[1], b[2], b[3] = byte(n>>16), byte(n>>8), byte(n)
	return b
}

func modifyHello(f func(*wire.ClientHello)) func([]byte) []byte {
	return func(b []byte) []byte {
		var ch wire.ClientHello
		if err := ch.Unmarshal(b); err != nil {
			panic(err)
		}
		f(&ch)
		return ch.Marshal()
	}
}

func modifyServerHello(f func(*wire.ServerHello)) func([]byte) []byte {
	return func(b []byte) []byte {
		var sh wire.ServerHello
		if err := sh.Unmarshal(b); err != nil {
			panic(err)
		}
		f(&sh)
		return sh.Marshal()
	}
}

// addExtension appends a raw extension to a ClientHello.
func addRawExtension(b []byte, typ uint16, data []byte) []byte {
	// ClientHello: header(4) version(2) random(32) sid suites comp exts
	p := 4 + 2 + 32
	p += 1 + int(b[p])
	p += 2 + (int(b[p])<<8 | int(b[p+1]))
	p += 1 + int(b[p])
	extLen := int(b[p])<<8 | int(b[p+1])
	ext := []byte{byte(typ >> 8), byte(typ), byte(len(data) >> 8), byte(len(data))}
	ext = append(ext, data...)
	extLen += len(ext)
	b[p], b[p+1] = byte(extLen>>8), byte(extLen)
	out := append(append([]byte(nil), b...), ext...)
	return setLen(out)
}

// Hostile and broken peers: each case asserts the exact alert and who
// raises it.
func TestHostileHandshakes(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(c, s *Config)
		tm    tamper
		side  string
		alert wire.Alert
	}{
		{"truncated ClientHello", nil, replace("client", wire.TypeClientHello, func(b []byte) []byte {
			return setLen(b[:len(b)-10])
		}), "server", wire.AlertDecodeError},
		{"ClientHello length beyond its body", nil, replace("client", wire.TypeClientHello, func(b []byte) []byte {
			b[3]++
			return b
		}), "server", wire.AlertDecodeError},
		{"trailing bytes after ClientHello extensions", nil, replace("client", wire.TypeClientHello, func(b []byte) []byte {
			return setLen(append(b, 0, 0))
		}), "server", wire.AlertDecodeError},
		{"duplicate extension", nil, replace("client", wire.TypeClientHello, func(b []byte) []byte {
			return addRawExtension(b, wire.ExtSCT, nil)
		}), "server", wire.AlertDecodeError},
		{"pre_shared_key not last", nil, replace("client", wire.TypeClientHello, func(b []byte) []byte {
			psk := []byte{0, 7, 0, 1, 'x', 0, 0, 0, 0, 0, 33, 32}
			psk = append(psk, make([]byte, 32)...)
			return addRawExtension(addRawExtension(b, wire.ExtPreSharedKey, psk), 0x7777, nil)
		}), "server", wire.AlertIllegalParameter},
		{"no common version", nil, replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.SupportedVersions = []uint16{wire.VersionTLS11, wire.VersionTLS10}
		})), "server", wire.AlertProtocolVersion},
		{"compression offered", nil, replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.Compression = []uint8{1, 0}
		})), "server", wire.AlertIllegalParameter},
		// RFC 8446 4.1.3 names no alert; decode_error as crypto/tls and BoringSSL.
		{"TLS 1.3 ServerHello with a compression method", nil, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.Compression = 1
		})), "client", wire.AlertDecodeError},
		{"no signature_algorithms", nil, replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.SigSchemes = nil
		})), "server", wire.AlertMissingExtension},
		{"key share for a group not in supported_groups", nil, replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.SupportedGroups = []uint16{wire.GroupSecp256r1, wire.GroupX25519}
		})), "server", wire.AlertIllegalParameter},
		{"malformed x25519 share", nil, replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.KeyShares = []wire.KeyShare{{Group: wire.GroupX25519, Data: make([]byte, 31)}}
		})), "server", wire.AlertIllegalParameter},
		{"malformed X25519MLKEM768 share", nil, replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.KeyShares = ch.KeyShares[:1]
			ch.KeyShares[0].Data = ch.KeyShares[0].Data[:100]
		})), "server", wire.AlertIllegalParameter},
		{"no suite in common", func(c, s *Config) {
			c.CipherSuites = []uint16{wire.TLS_AES_128_GCM_SHA256}
			s.CipherSuites = []uint16{wire.TLS_AES_256_GCM_SHA384}
		}, nil, "server", wire.AlertHandshakeFailure},
		{"no ALPN in common", func(c, s *Config) {
			c.NextProtos = []string{"h2"}
			s.NextProtos = []string{"http/1.1"}
		}, nil, "server", wire.AlertNoApplicationProtocol},
		{"ServerHello key share for a group not offered", func(c, s *Config) {
			c.KeyShares = []uint16{wire.GroupX25519}
		}, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.KeyShare.Group = wire.GroupSecp256r1
		})), "client", wire.AlertIllegalParameter},
		{"ServerHello with a suite not offered", func(c, s *Config) {
			c.CipherSuites = []uint16{wire.TLS_AES_128_GCM_SHA256}
		}, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.CipherSuite = wire.TLS_AES_256_GCM_SHA384
		})), "client", wire.AlertIllegalParameter},
		{"ServerHello not echoing the session ID", nil, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.SessionID = nil
		})), "client", wire.AlertIllegalParameter},
		{"ServerHello choosing TLS 1.2", nil, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.SupportedVersion = 0
		})), "client", wire.AlertProtocolVersion},
		{"unsolicited extension in ServerHello", nil, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.TicketSupported = true
		})), "client", wire.AlertUnsupportedExtension},
		{"malformed server key share", nil, replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.KeyShare.Data = sh.KeyShare.Data[:10]
		})), "client", wire.AlertIllegalParameter},
		{"out of order: Certificate before EncryptedExtensions", nil, func(from string, m []msg) []msg {
			if from == "server" && len(m) > 2 && m[1].data[0] == wire.TypeEncryptedExtensions {
				m[1], m[2] = m[2], m[1]
			}
			return m
		}, "client", wire.AlertUnexpectedMessage},
		{"out of order: Finished before ClientHello", nil, func(from string, m []msg) []msg {
			if from == "client" && m[0].data[0] == wire.TypeClientHello {
				return []msg{{LevelInitial, append([]byte{wire.TypeFinished, 0, 0, 32}, make([]byte, 32)...)}}
			}
			return m
		}, "server", wire.AlertUnexpectedMessage},
		{"handshake message at the wrong level", nil, func(from string, m []msg) []msg {
			if from == "server" && len(m) > 1 && m[1].data[0] == wire.TypeEncryptedExtensions {
				m[1].level = LevelInitial
			}
			return m
		}, "client", wire.AlertUnexpectedMessage},
		{"wrong server Finished", nil, replace("server", wire.TypeFinished, func(b []byte) []byte {
			b[len(b)-1] ^= 1
			return b
		}), "client", wire.AlertDecryptError},
		{"server Finished of the wrong length", nil, replace("server", wire.TypeFinished, func(b []byte) []byte {
			return setLen(b[:len(b)-1])
		}), "client", wire.AlertDecodeError},
		{"wrong client Finished", nil, replace("client", wire.TypeFinished, func(b []byte) []byte {
			b[10] ^= 0x80
			return b
		}), "server", wire.AlertDecryptError},
		{"bad CertificateVerify signature", nil, replace("server", wire.TypeCertificateVerify, func(b []byte) []byte {
			b[len(b)-3] ^= 1
			return b
		}), "client", wire.AlertDecryptError},
		{"CertificateVerify with a scheme not offered", nil, replace("server", wire.TypeCertificateVerify, func(b []byte) []byte {
			b[4], b[5] = 0x02, 0x01 // rsa_pkcs1_sha1
			return b
		}), "client", wire.AlertIllegalParameter},
		// RFC 8446 section 4.2.3: rsa_pkcs1_* may be listed for TLS 1.2's
		// sake but is never offered for a TLS 1.3 CertificateVerify, so it
		// is an illegal parameter, not a bad signature.
		{"TLS 1.3 CertificateVerify with rsa_pkcs1_sha256", func(c, s *Config) {
			c.SigSchemes = append(c.SigSchemes, wire.PKCS1WithSHA256)
		}, replace("server", wire.TypeCertificateVerify, func(b []byte) []byte {
			b[4], b[5] = 0x04, 0x01
			return b
		}), "client", wire.AlertIllegalParameter},
		{"empty server Certificate", nil, replace("server", wire.TypeCertificate, func([]byte) []byte {
			return (&wire.Certificate{}).Marshal()
		}), "client", wire.AlertDecodeError},
		{"garbage certificate", nil, replace("server", wire.TypeCertificate, func([]byte) []byte {
			return (&wire.Certificate{Entries: []wire.CertificateEntry{{Data: []byte{0x30, 0x03, 1, 2, 3}}}}).Marshal()
		}), "client", wire.AlertBadCertificate},
		{"verification refused", func(c, s *Config) {
			c.VerifyPeer = func(State) ([][]*x509.Certificate, error) { return nil, errors.New("nope") }
		}, nil, "client", wire.AlertBadCertificate},
		{"verification with a typed alert", func(c, s *Config) {
			c.VerifyPeer = func(State) ([][]*x509.Certificate, error) { return nil, &wire.Error{Alert: wire.AlertUnknownCA} }
		}, nil, "client", wire.AlertUnknownCA},
		{"client certificate required but not sent", func(c, s *Config) {
			s.RequestClientCert, s.RequireClientCert = true, true
		}, nil, "server", wire.AlertCertificateRequired},
		// RFC 8446 4.4.2: a client's Certificate extensions answer the
		// CertificateRequest's; hasp's asks for none.
		{"unrequested extension in the client's Certificate", func(c, s *Config) {
			s.RequestClientCert = true
			c.GetClientCertificate = func(*CertRequestInfo) (*Certificate, error) { return testCert, nil }
		}, replace("client", wire.TypeCertificate, func(b []byte) []byte {
			var cm wire.Certificate
			if err := cm.Unmarshal(b); err != nil {
				panic(err)
			}
			cm.Entries[0].OCSP = []byte{1}
			return cm.Marshal()
		}), "server", wire.AlertUnsupportedExtension},
		{"unsolicited ALPN in EncryptedExtensions", nil, replace("server", wire.TypeEncryptedExtensions, func([]byte) []byte {
			return (&wire.EncryptedExtensions{ALPN: "h2"}).Marshal()
		}), "client", wire.AlertUnsupportedExtension},
		{"key_share in EncryptedExtensions", nil, replace("server", wire.TypeEncryptedExtensions, func([]byte) []byte {
			return []byte{8, 0, 0, 6, 0, 4, 0, 51, 0, 0}
		}), "client", wire.AlertIllegalParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := clientConfig(), serverConfig()
			if tc.cfg != nil {
				tc.cfg(cc, sc)
			}
			r := drive(t, NewClient(cc), NewServer(sc), tc.tm)
			wantAlert(t, r, tc.side, tc.alert)
		})
	}
}

// HelloRetryRequest misbehaviour, on the client side.
func TestHostileHelloRetry(t *testing.T) {
	hrr := func(group uint16, cookie []byte) []byte {
		return (&wire.ServerHello{
			Vers: wire.VersionTLS12, Random: wire.HelloRetryRequestRandom,
			CipherSuite: wire.TLS_AES_128_GCM_SHA256, SupportedVersion: wire.VersionTLS13,
			SelectedGroup: group, Cookie: cookie,
		}).Marshal()
	}
	start := func(t *testing.T) (*Client, []byte) {
		cfg := clientConfig()
		cfg.NoCompatMode = true
		c := NewClient(cfg)
		if _, err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c, nil
	}
	t.Run("group already offered", func(t *testing.T) {
		c, _ := start(t)
		_, err := c.Handle(LevelInitial, hrr(wire.GroupX25519, nil))
		if wire.AlertOf(err) != wire.AlertIllegalParameter {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("group not supported", func(t *testing.T) {
		c, _ := start(t)
		_, err := c.Handle(LevelInitial, hrr(wire.GroupSecp521r1, nil))
		if wire.AlertOf(err) != wire.AlertIllegalParameter {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("second HelloRetryRequest", func(t *testing.T) {
		c, _ := start(t)
		if _, err := c.Handle(LevelInitial, hrr(wire.GroupSecp256r1, []byte("cookie"))); err != nil {
			t.Fatal(err)
		}
		_, err := c.Handle(LevelInitial, hrr(0, []byte("cookie2")))
		if wire.AlertOf(err) != wire.AlertUnexpectedMessage {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("changes nothing", func(t *testing.T) {
		c, _ := start(t)
		_, err := c.Handle(LevelInitial, hrr(0, nil))
		if wire.AlertOf(err) != wire.AlertIllegalParameter {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ClientHello2 answers with the cookie and one share", func(t *testing.T) {
		c, _ := start(t)
		acts, err := c.Handle(LevelInitial, hrr(wire.GroupSecp256r1, []byte("cookie")))
		if err != nil {
			t.Fatal(err)
		}
		var ch wire.ClientHello
		if err := ch.Unmarshal(sends(acts)[0].data); err != nil {
			t.Fatal(err)
		}
		if string(ch.Cookie) != "cookie" || len(ch.KeyShares) != 1 || ch.KeyShares[0].Group != wire.GroupSecp256r1 {
			t.Fatalf("ClientHello2: cookie %q shares %v", ch.Cookie, ch.KeyShares)
		}
	})
}

// ClientHello2 checks on the server (RFC 8446 section 4.1.2).
func TestHostileSecondClientHello(t *testing.T) {
	cases := []struct {
		name string
		f    func(ch *wire.ClientHello)
	}{
		{"changed random", func(ch *wire.ClientHello) { ch.Random[0] ^= 1 }},
		{"changed suites", func(ch *wire.ClientHello) { ch.CipherSuites = ch.CipherSuites[:1] }},
		{"dropped cookie", func(ch *wire.ClientHello) { ch.Cookie = nil }},
		{"wrong cookie", func(ch *wire.ClientHello) { ch.Cookie = []byte("forged") }},
		{"share for another group", func(ch *wire.ClientHello) {
			ch.KeyShares = []wire.KeyShare{{Group: wire.GroupX25519, Data: make([]byte, 32)}}
		}},
		{"early_data added", func(ch *wire.ClientHello) { ch.EarlyData = true }},
		{"changed server_name", func(ch *wire.ClientHello) { ch.ServerName = "other" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := clientConfig(), serverConfig()
			cc.KeyShares = []uint16{wire.GroupX25519}
			sc.Groups = []uint16{wire.GroupSecp256r1}
			second := false
			r := drive(t, NewClient(cc), NewServer(sc), func(from string, m []msg) []msg {
				if from != "client" || m[0].data[0] != wire.TypeClientHello {
					return m
				}
				if second {
					m[0].data = modifyHello(tc.f)(m[0].data)
				}
				second = true
				return m
			})
			wantAlert(t, r, "server", wire.AlertIllegalParameter)
		})
	}
}

// A server declines 0-RTT: no early_data in EncryptedExtensions, and the
// state tells the transport to skip the client's early records.
func TestServerDeclinesEarlyData(t *testing.T) {
	c, s := NewClient(clientConfig()), NewServer(serverConfig())
	var ee wire.EncryptedExtensions
	r := drive(t, c, s, func(from string, m []msg) []msg {
		for i := range m {
			switch {
			case from == "client" && m[i].data[0] == wire.TypeClientHello:
				// The client engine does not offer early data yet; add
				// it to the hello the server sees (the client's
				// transcript then differs, which is fine here).
				m[i].data = modifyHello(func(ch *wire.ClientHello) { ch.EarlyData = true })(m[i].data)
			case from == "server" && m[i].data[0] == wire.TypeEncryptedExtensions:
				if err := ee.Unmarshal(m[i].data); err != nil {
					t.Fatal(err)
				}
			}
		}
		return m
	})
	if !s.State().EarlyDataOffered {
		t.Error("server state does not record the early data offer")
	}
	if ee.Raw == nil || ee.EarlyData {
		t.Errorf("EncryptedExtensions %+v: early_data must not be accepted", ee)
	}
	// The tampered hello makes the transcripts differ, so the client
	// refuses the server's Finished: that is the expected end here.
	wantAlert(t, r, "client", wire.AlertDecryptError)
}

// The server's order decides, except that ChaCha20 wins when the client
// puts it first and the server prefers it (no AES hardware).
func TestSuitePreference(t *testing.T) {
	for _, tc := range []struct {
		preferChaCha bool
		client       []uint16
		want         uint16
	}{
		{false, []uint16{wire.TLS_CHACHA20_POLY1305_SHA256, wire.TLS_AES_128_GCM_SHA256}, wire.TLS_AES_128_GCM_SHA256},
		{true, []uint16{wire.TLS_CHACHA20_POLY1305_SHA256, wire.TLS_AES_128_GCM_SHA256}, wire.TLS_CHACHA20_POLY1305_SHA256},
		{true, []uint16{wire.TLS_AES_256_GCM_SHA384, wire.TLS_CHACHA20_POLY1305_SHA256}, wire.TLS_AES_256_GCM_SHA384},
		{false, []uint16{wire.TLS_AES_256_GCM_SHA384, wire.TLS_AES_128_GCM_SHA256}, wire.TLS_AES_128_GCM_SHA256},
	} {
		cc, sc := clientConfig(), serverConfig()
		cc.CipherSuites, sc.PreferChaCha = tc.client, tc.preferChaCha
		c, s := NewClient(cc), NewServer(sc)
		if r := drive(t, c, s, nil); r.err != nil {
			t.Fatal(r.err)
		}
		if got := s.State().Suite.ID; got != tc.want {
			t.Errorf("preferChaCha=%v client %x: got %s, want %s", tc.preferChaCha, tc.client, wire.SuiteName(got), wire.SuiteName(tc.want))
		}
	}
}

// A malformed share of every group is illegal_parameter, on both sides.
func TestMalformedShares(t *testing.T) {
	groups := []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1,
		wire.GroupX25519MLKEM768, wire.GroupSecP256r1MLKEM768, wire.GroupSecP384r1MLKEM1024}
	for _, g := range groups {
		t.Run(wire.GroupName(g), func(t *testing.T) {
			for _, side := range []string{"client", "server"} {
				cc, sc := clientConfig(), serverConfig()
				cc.Groups, cc.KeyShares, sc.Groups = []uint16{g}, []uint16{g}, []uint16{g}
				var tm tamper
				if side == "client" {
					tm = replace("client", wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
						ch.KeyShares[0].Data = corrupt(g, ch.KeyShares[0].Data)
					}))
				} else {
					tm = replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
						sh.KeyShare.Data = corrupt(g, sh.KeyShare.Data)
					}))
				}
				other := map[string]string{"client": "server", "server": "client"}[side]
				wantAlert(t, drive(t, NewClient(cc), NewServer(sc), tm), other, wire.AlertIllegalParameter)
			}
		})
	}
}

// corrupt makes a share invalid: the wrong length for hybrids and
// x25519 (whose every 32-byte string is a valid point), a point off the
// curve for the NIST groups.
func corrupt(g uint16, b []byte) []byte {
	switch g {
	case wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1:
		out := append([]byte(nil), b...)
		out[len(out)-1] ^= 1 // y no longer matches x
		return out
	}
	return b[:len(b)-1]
}

// resumablePair makes a first handshake with tickets sealed by a test
// sealer, and returns configs for a second that offers the ticket.
func resumablePair(t *testing.T) (*Config, *Config) {
	t.Helper()
	sealed := map[string][]byte{}
	seal := func(p []byte) ([]byte, error) {
		k := fmt.Sprintf("ticket-%d", len(sealed))
		sealed[k] = append([]byte(nil), p...)
		return []byte(k), nil
	}
	open := func(b []byte) ([]byte, error) {
		p, ok := sealed[string(b)]
		if !ok {
			return nil, errors.New("unknown ticket")
		}
		return p, nil
	}
	cc, sc := clientConfig(), serverConfig()
	sc.SealTicket, sc.OpenTicket = seal, open
	var tickets []*Ticket
	cc.OnTicket = func(tk *Ticket) { tickets = append(tickets, tk) }
	c, s := NewClient(cc), NewServer(sc)
	var nst []msg
	r := drive(t, c, s, func(from string, m []msg) []msg {
		var keep []msg
		for _, x := range m {
			if from == "server" && x.data[0] == wire.TypeNewSessionTicket {
				nst = append(nst, x)
			} else {
				keep = append(keep, x)
			}
		}
		return keep
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, m := range nst {
		if _, err := c.Handle(LevelApplication, m.data); err != nil {
			t.Fatal(err)
		}
	}
	if len(tickets) == 0 {
		t.Fatal("no ticket")
	}
	cc2, sc2 := clientConfig(), serverConfig()
	sc2.SealTicket, sc2.OpenTicket = seal, open
	cc2.Session = tickets[0]
	return cc2, sc2
}

func TestEngineResumption(t *testing.T) {
	cc, sc := resumablePair(t)
	c, s := NewClient(cc), NewServer(sc)
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	if !c.State().Resumed || !s.State().Resumed {
		t.Fatalf("resumed: client %v server %v", c.State().Resumed, s.State().Resumed)
	}
}

// A TLS 1.3 server resumes a session at another suite of the same hash,
// and not across hashes (RFC 8446 4.2.11: the PSK's hash must match the
// suite's). BoringSSL declines the first; BoGo's
// Resume-Server-UnofferedCipher-TLS13 is disabled for it.
func TestResumptionAcrossSuites(t *testing.T) {
	for _, tc := range []struct {
		suite  uint16
		resume bool
	}{
		{wire.TLS_CHACHA20_POLY1305_SHA256, true},
		{wire.TLS_AES_256_GCM_SHA384, false},
	} {
		cc, sc := resumablePair(t)
		if cc.Session == nil || cc.Session.Suite.ID == tc.suite {
			t.Fatalf("the first session has suite %v", cc.Session)
		}
		sc.CipherSuites = []uint16{tc.suite}
		c, s := NewClient(cc), NewServer(sc)
		if r := drive(t, c, s, nil); r.err != nil {
			t.Fatal(r.err)
		}
		if c.State().Resumed != tc.resume || s.State().Resumed != tc.resume || s.State().Suite.ID != tc.suite {
			t.Errorf("%s: resumed %v/%v at %s, want resumed %v", wire.SuiteName(tc.suite),
				c.State().Resumed, s.State().Resumed, s.State().Suite.Name, tc.resume)
		}
	}
}

func TestHostileResumption(t *testing.T) {
	t.Run("binder that does not verify", func(t *testing.T) {
		cc, sc := resumablePair(t)
		r := drive(t, NewClient(cc), NewServer(sc), replace("client", wire.TypeClientHello, func(b []byte) []byte {
			b[len(b)-1] ^= 1 // the binder is the last byte of the hello
			return b
		}))
		wantAlert(t, r, "server", wire.AlertDecryptError)
	})
	t.Run("PSK identity index out of range", func(t *testing.T) {
		cc, sc := resumablePair(t)
		r := drive(t, NewClient(cc), NewServer(sc), replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.SelectedPSK = 1
		})))
		wantAlert(t, r, "client", wire.AlertIllegalParameter)
	})
	t.Run("PSK selected though none was offered", func(t *testing.T) {
		r := drive(t, NewClient(clientConfig()), NewServer(serverConfig()), replace("server", wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
			sh.HasSelectedPSK = true
		})))
		wantAlert(t, r, "client", wire.AlertUnsupportedExtension)
	})
	t.Run("forged ticket: full handshake", func(t *testing.T) {
		cc, sc := resumablePair(t)
		cc.Session.Ticket = []byte("forged ticket")
		c, s := NewClient(cc), NewServer(sc)
		if r := drive(t, c, s, nil); r.err != nil {
			t.Fatal(r.err)
		}
		if c.State().Resumed || s.State().Resumed {
			t.Fatal("a forged ticket resumed")
		}
	})
	t.Run("ticket under an unknown key: full handshake", func(t *testing.T) {
		cc, sc := resumablePair(t)
		sc.OpenTicket = func([]byte) ([]byte, error) { return nil, errors.New("key rotated away") }
		c, s := NewClient(cc), NewServer(sc)
		if r := drive(t, c, s, nil); r.err != nil || s.State().Resumed {
			t.Fatalf("err %v resumed %v", r.err, s.State().Resumed)
		}
	})
	t.Run("psk_key_exchange_modes missing", func(t *testing.T) {
		cc, sc := resumablePair(t)
		r := drive(t, NewClient(cc), NewServer(sc), replace("client", wire.TypeClientHello, func(b []byte) []byte {
			var ch wire.ClientHello
			ch.Unmarshal(b)
			ch.PSKModes = nil
			return ch.Marshal()
		}))
		wantAlert(t, r, "server", wire.AlertMissingExtension)
	})
	t.Run("ticket age far off: full handshake", func(t *testing.T) {
		cc, sc := resumablePair(t)
		cc.Session.AgeAdd += 60_000 // a minute off
		c, s := NewClient(cc), NewServer(sc)
		if r := drive(t, c, s, nil); r.err != nil || s.State().Resumed {
			t.Fatalf("err %v resumed %v", r.err, s.State().Resumed)
		}
	})
}

// Tickets never outlive the certificate: the lifetime stops at NotAfter.
func TestTicketLifetimeBoundByCertificate(t *testing.T) {
	cc, sc := clientConfig(), serverConfig()
	cert := *testCert
	cert.NotAfter = time.Now().Add(30 * time.Minute)
	sc.GetCertificate = func(*HelloInfo) (*Certificate, error) { return &cert, nil }
	var got []*Ticket
	cc.OnTicket = func(t *Ticket) { got = append(got, t) }
	c, s := NewClient(cc), NewServer(sc)
	var nst [][]byte
	drive(t, c, s, func(from string, m []msg) []msg {
		var keep []msg
		for _, x := range m {
			if from == "server" && x.data[0] == wire.TypeNewSessionTicket {
				nst = append(nst, x.data)
			} else {
				keep = append(keep, x)
			}
		}
		return keep
	})
	for _, m := range nst {
		c.Handle(LevelApplication, m)
	}
	if len(got) == 0 || got[0].Lifetime > 30*time.Minute || got[0].Lifetime < 29*time.Minute {
		t.Fatalf("tickets %v", got)
	}
}

// RFC 8446 section 4.2.9: a server should not send tickets that do not
// fit the client's psk_key_exchange_modes; a client that lists none gets
// none (and the server seals none).
func TestNoTicketsWithoutPSKModes(t *testing.T) {
	for _, keeps := range []bool{false, true} {
		cc, sc := clientConfig(), serverConfig()
		if keeps {
			cc.OnTicket = func(*Ticket) {}
		}
		sealed := 0
		sc.Tickets = 2
		sc.SealTicket = func(p []byte) ([]byte, error) { sealed++; return append([]byte("sealed:"), p...), nil }
		nst, modes := 0, -1
		r := drive(t, NewClient(cc), NewServer(sc), func(from string, m []msg) []msg {
			for _, x := range m {
				if from == "client" && x.data[0] == wire.TypeClientHello {
					var ch wire.ClientHello
					ch.Unmarshal(x.data)
					modes = len(ch.PSKModes)
				}
				if from == "server" && x.data[0] == wire.TypeNewSessionTicket {
					nst++
				}
			}
			return m
		})
		if r.err != nil {
			t.Fatal(r.err)
		}
		want, wantModes := 0, 0
		if keeps {
			want, wantModes = 2, 1
		}
		if nst != want || sealed != want || modes != wantModes {
			t.Errorf("client keeps tickets %v: %d psk modes offered, %d tickets sent, %d sealed; want %d, %d", keeps, modes, nst, sealed, wantModes, want)
		}
	}
}

// RFC 8446 section 4.6.2: a CertificateRequest after the handshake when
// post_handshake_auth was not offered is unexpected_message.
func TestCertificateRequestWithoutPHA(t *testing.T) {
	c, s := NewClient(clientConfig()), NewServer(serverConfig())
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	cr := (&wire.CertificateRequest{Context: []byte{1}, SigSchemes: []uint16{wire.ECDSAWithP256AndSHA256}}).Marshal()
	if _, err := c.Handle(LevelApplication, cr); wire.AlertOf(err) != wire.AlertUnexpectedMessage {
		t.Fatalf("got %v, want unexpected_message", err)
	}
	if _, err := s.RequestCertificate(); !errors.Is(err, ErrNoPostHandshakeAuth) {
		t.Fatalf("server asked anyway: %v", err)
	}
}

// Post-handshake authentication between the engines, and a forged
// Finished in it.
func TestEnginePostHandshakeAuth(t *testing.T) {
	for _, forge := range []bool{false, true} {
		cc, sc := clientConfig(), serverConfig()
		cc.PostHandshakeAuth = true
		cc.GetClientCertificate = func(*CertRequestInfo) (*Certificate, error) { return testCert, nil }
		c, s := NewClient(cc), NewServer(sc)
		if r := drive(t, c, s, func(from string, m []msg) []msg {
			var keep []msg
			for _, x := range m {
				if x.data[0] != wire.TypeNewSessionTicket {
					keep = append(keep, x)
				}
			}
			return keep
		}); r.err != nil {
			t.Fatal(r.err)
		}
		acts, err := s.RequestCertificate()
		if err != nil {
			t.Fatal(err)
		}
		acts, err = c.Handle(LevelApplication, sends(acts)[0].data)
		if err != nil {
			t.Fatal(err)
		}
		answer := sends(acts)
		if len(answer) != 3 {
			t.Fatalf("client answered with %d messages", len(answer))
		}
		if forge {
			answer[2].data[len(answer[2].data)-1] ^= 1
		}
		var done bool
		for i, m := range answer {
			acts, err := s.Handle(LevelApplication, m.data)
			if forge && i == 2 {
				if wire.AlertOf(err) != wire.AlertDecryptError {
					t.Fatalf("forged Finished: %v", err)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range acts {
				done = done || a.Kind == ActAuthDone
			}
		}
		if !forge && (!done || len(s.State().PeerCertificates) != 1) {
			t.Fatalf("authentication done %v, chain %d", done, len(s.State().PeerCertificates))
		}
	}
}

// Once connected, neither engine keeps what only the handshake needed:
// an idle connection should hold its traffic secrets and little else.
func TestEnginesReleaseHandshakeState(t *testing.T) {
	c, s := NewClient(clientConfig()), NewServer(serverConfig())
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	c.Idle()
	s.Idle()
	if c.hello != nil || c.shares != nil || c.hsStage != nil || c.master != nil || c.clientHS.Secret != nil || c.acts != nil {
		t.Error("client keeps handshake state")
	}
	if s.ch1 != nil || s.hsStage != nil || s.master != nil || s.serverHS.Secret != nil || s.acts != nil {
		t.Error("server keeps handshake state")
	}
	if len(c.clientApp.Secret) == 0 || len(s.serverApp.Secret) == 0 || len(c.st.ResumptionSecret) == 0 || len(s.st.ExporterSecret) == 0 {
		t.Error("traffic, resumption or exporter secrets were dropped")
	}
	// Post-handshake work still runs on the released engines.
	acts, err := c.UpdateKeys(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Handle(LevelApplication, sends(acts)[0].data); err != nil {
		t.Fatal(err)
	}
}

// Peer certificates are parsed once and shared while any connection holds
// them; different bytes never hit another certificate's entry.
func TestCertificateCache(t *testing.T) {
	ca := testcerts.NewCA("cache CA")
	a, b := ca.Issue(testcerts.P256, "a.test"), ca.Issue(testcerts.P256, "b.test")
	a1, err := parseCertificate(a.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := parseCertificate(bytes.Clone(a.Chain[0]))
	b1, _ := parseCertificate(b.Chain[0])
	if a1 != a2 {
		t.Error("the same certificate was parsed twice")
	}
	if a1 == b1 || b1.Subject.CommonName == a1.Subject.CommonName && b1.DNSNames[0] == a1.DNSNames[0] {
		t.Error("different certificates share an entry")
	}
	bad := bytes.Clone(a.Chain[0])
	bad[len(bad)-1] ^= 1
	if c, err := parseCertificate(bad); err == nil && c == a1 {
		t.Error("altered bytes returned the cached certificate")
	}
	// The cache does not keep certificates alive on its own.
	key := sha256.Sum256(b.Chain[0])
	b1 = nil
	for i := 0; i < 20; i++ {
		runtime.GC()
		if _, ok := certCache.Load(key); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("an unused certificate stayed in the cache")
}

// A server takes a group the client sent a key share for when it accepts
// it, though it prefers another: no HelloRetryRequest, a round trip saved
// (RFC 8446 4.2.8 leaves the choice to the server; crypto/tls does the
// same). BoringSSL always takes its first choice, so BoGo's
// SendHelloRetryRequest-2-TLS13 is disabled for it.
func TestServerTakesPredictedGroup(t *testing.T) {
	cc, sc := clientConfig(), serverConfig()
	cc.Groups = []uint16{wire.GroupSecp256r1, wire.GroupX25519}
	cc.KeyShares = []uint16{wire.GroupSecp256r1}
	sc.Groups = []uint16{wire.GroupX25519, wire.GroupSecp256r1}
	c, s := NewClient(cc), NewServer(sc)
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	if st := s.State(); st.HelloRetry || st.Group != wire.GroupSecp256r1 {
		t.Fatalf("HelloRetry %v, group %s; want P-256 without a retry", st.HelloRetry, wire.GroupName(st.Group))
	}
}
