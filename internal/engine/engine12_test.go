package engine

import (
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

var suites12 = []uint16{wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}

func configs12() (*Config, *Config) {
	c, s := clientConfig(), serverConfig()
	c.CipherSuites12, s.CipherSuites12 = suites12, suites12
	c.MaxVersion, s.MaxVersion = wire.VersionTLS12, wire.VersionTLS12
	return c, s
}

// drive12 runs a TLS 1.2 handshake between engines; the CCS is a record,
// not a message, so it is fed through HandleCCS where a transport would.
func drive12(t *testing.T, c, s Engine, tm tamper) result {
	t.Helper()
	acts, err := c.Start()
	if err != nil {
		return result{err, "client"}
	}
	toServer := sends12(acts)
	var toClient []msg
	for steps := 0; steps < 32; steps++ {
		if tm != nil {
			toServer = tm("client", toServer)
		}
		for _, m := range toServer {
			var acts []Action
			var err error
			if m.data == nil {
				acts, err = s.HandleCCS()
			} else {
				acts, err = s.Handle(m.level, m.data)
			}
			if err != nil {
				return result{err, "server"}
			}
			toClient = append(toClient, sends12(acts)...)
		}
		toServer = nil
		if tm != nil {
			toClient = tm("server", toClient)
		}
		for _, m := range toClient {
			var acts []Action
			var err error
			if m.data == nil {
				acts, err = c.HandleCCS()
			} else {
				acts, err = c.Handle(m.level, m.data)
			}
			if err != nil {
				return result{err, "client"}
			}
			toServer = append(toServer, sends12(acts)...)
		}
		toClient = nil
		if c.Done() && s.Done() && len(toServer) == 0 {
			return result{}
		}
	}
	t.Fatal("handshake did not finish")
	return result{}
}

// sends12 is sends with a CCS as a nil message.
func sends12(acts []Action) []msg {
	var out []msg
	for _, a := range acts {
		switch a.Kind {
		case ActSend:
			out = append(out, msg{a.Level, append([]byte(nil), a.Msg...)})
		case ActSendCCS:
			out = append(out, msg{a.Level, nil})
		}
	}
	return out
}

func TestEngines12(t *testing.T) {
	cc, sc := configs12()
	c, s := NewClient(cc), NewServer(sc)
	if r := drive12(t, c, s, nil); r.err != nil {
		t.Fatalf("%s: %v", r.errSide, r.err)
	}
	if c.State().Version != wire.VersionTLS12 || !c.State().EMS || string(c.State().Ext.MasterSecret12) != string(s.State().Ext.MasterSecret12) {
		t.Fatalf("client %+v", c.State())
	}
	// Renegotiation is refused with a warning, in both directions.
	acts, err := s.Handle(LevelApplication, (&wire.ClientHello{Vers: wire.VersionTLS12, CipherSuites: suites12, Compression: []uint8{0}, Padding: -1}).Marshal())
	if err != nil || len(acts) != 1 || acts[0].Kind != ActWarning || acts[0].Alert != wire.AlertNoRenegotiation {
		t.Fatalf("server answered a renegotiating ClientHello with %v, %v", acts, err)
	}
	acts, err = c.Handle(LevelApplication, wire.HelloRequest)
	if err != nil || len(acts) != 1 || acts[0].Kind != ActWarning {
		t.Fatalf("client answered a HelloRequest with %v, %v", acts, err)
	}
}

func modify12(typ uint8, f func([]byte) []byte) tamper {
	return func(from string, m []msg) []msg {
		for i := range m {
			if m[i].data != nil && m[i].data[0] == typ {
				m[i].data = f(m[i].data)
			}
		}
		return m
	}
}

func TestHostile12(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(c, s *Config)
		tm    tamper
		side  string
		alert wire.Alert
	}{
		{"non-empty renegotiation_info", nil, modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.SecureReneg = []byte("previous verify data")
		})), "server", wire.AlertHandshakeFailure},
		{"bad ServerKeyExchange signature", nil, modify12(wire.TypeServerKeyExchange, func(b []byte) []byte {
			b[len(b)-2] ^= 1
			return b
		}), "client", wire.AlertDecryptError},
		// The signature covers the point, so a point changed in flight is
		// a bad signature before it is a bad point.
		{"ServerKeyExchange point changed in flight", func(c, s *Config) {
			c.Groups, s.Groups = []uint16{wire.GroupSecp256r1}, []uint16{wire.GroupSecp256r1}
		}, modify12(wire.TypeServerKeyExchange, func(b []byte) []byte {
			var ske wire.ServerKeyExchange
			ske.Unmarshal(b)
			pub := append([]byte(nil), ske.Public...)
			pub[len(pub)-1] ^= 1
			ske.Public = pub
			ske.Signature = append([]byte(nil), ske.Signature...)
			return ske.Marshal()
		}), "client", wire.AlertDecryptError},
		{"ClientKeyExchange point not on the curve", func(c, s *Config) {
			c.Groups, s.Groups = []uint16{wire.GroupSecp256r1}, []uint16{wire.GroupSecp256r1}
		}, modify12(wire.TypeClientKeyExchange, func(b []byte) []byte {
			b[len(b)-1] ^= 1
			return b
		}), "server", wire.AlertIllegalParameter},
		{"Finished of the wrong length", nil, modify12(wire.TypeFinished, func(b []byte) []byte {
			return setLen(append(b, 0))
		}), "server", wire.AlertDecodeError},
		{"wrong Finished", nil, modify12(wire.TypeFinished, func(b []byte) []byte {
			b[5] ^= 1
			return b
		}), "server", wire.AlertDecryptError},
		{"only CBC suites", nil, modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.CipherSuites = []uint16{0xc013, 0xc014, 0x002f, 0x0035}
		})), "server", wire.AlertHandshakeFailure},
		{"SSL 3.0 ClientHello", nil, modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.Vers, ch.SupportedVersions = wire.VersionSSL30, nil
		})), "server", wire.AlertProtocolVersion},
		{"TLS 1.0 ClientHello", nil, modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
			ch.Vers, ch.SupportedVersions = wire.VersionTLS10, nil
		})), "server", wire.AlertProtocolVersion},
		// RFC 8446 section 4.1.3: a TLS 1.3 client checks both sentinels,
		// the TLS 1.1 one too.
		{"TLS 1.1 downgrade sentinel to a TLS 1.3 client", func(c, s *Config) { c.MaxVersion = 0 },
			modify12(wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
				copy(sh.Random[24:], wire.DowngradeTLS11[:])
			})), "client", wire.AlertIllegalParameter},
		// RFC 8422 section 5.1: the ECDSA key's curve must be one the
		// client lists; testCert is P-256.
		{"ECDSA certificate on a curve the client does not list", func(c, s *Config) {
			c.Groups = []uint16{wire.GroupX25519}
		}, nil, "server", wire.AlertHandshakeFailure},
		{"extended master secret required", func(c, s *Config) { s.RequireEMS = true },
			modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) { ch.EMS = false })), "server", wire.AlertHandshakeFailure},
		{"fallback SCSV to a TLS 1.3 server", func(c, s *Config) { s.MaxVersion = 0 },
			modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
				ch.CipherSuites = append(ch.CipherSuites, wire.TLS_FALLBACK_SCSV)
			})), "server", wire.AlertInappropriateFallback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := configs12()
			if tc.cfg != nil {
				tc.cfg(cc, sc)
			}
			wantAlert(t, drive12(t, NewClient(cc), NewServer(sc), tc.tm), tc.side, tc.alert)
		})
	}
}

// Downgrade protection (RFC 8446 section 4.1.3): a middlebox strips
// supported_versions, the TLS 1.3-capable server answers TLS 1.2 with the
// sentinel, and the TLS 1.3-capable client aborts.
func TestDowngradeSentinel(t *testing.T) {
	cc, sc := configs12()
	cc.MaxVersion, sc.MaxVersion = 0, 0
	cc.KeyShares = []uint16{wire.GroupX25519}
	r := drive12(t, NewClient(cc), NewServer(sc), modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
		ch.SupportedVersions = nil
	})))
	wantAlert(t, r, "client", wire.AlertIllegalParameter)
}

// resumable12 makes a TLS 1.2 session by ticket and returns configs for a
// second handshake offering it.
func resumable12(t *testing.T) (*Config, *Config) {
	t.Helper()
	sealed := map[string][]byte{}
	seal := func(p []byte) ([]byte, error) {
		k := string(rune('a' + len(sealed)))
		sealed[k] = append([]byte(nil), p...)
		return []byte(k), nil
	}
	open := func(b []byte) ([]byte, error) { return sealed[string(b)], nil }
	cc, sc := configs12()
	sc.SealTicket, sc.OpenTicket = seal, open
	var got *Ticket
	cc.OnTicket = func(tk *Ticket) { got = tk }
	if r := drive12(t, NewClient(cc), NewServer(sc), nil); r.err != nil {
		t.Fatal(r.err)
	}
	if got == nil || got.Version != wire.VersionTLS12 {
		t.Fatalf("no TLS 1.2 ticket: %+v", got)
	}
	cc2, sc2 := configs12()
	sc2.SealTicket, sc2.OpenTicket = seal, open
	cc2.Session = got
	return cc2, sc2
}

func TestEngineResumption12(t *testing.T) {
	cc, sc := resumable12(t)
	c, s := NewClient(cc), NewServer(sc)
	if r := drive12(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	if !c.State().Resumed || !s.State().Resumed {
		t.Fatal("not resumed")
	}
}

// RFC 7627 section 5.3: a server that resumes a session without the
// extended master secret is refused.
func TestResumption12WithoutEMS(t *testing.T) {
	cc, sc := resumable12(t)
	r := drive12(t, NewClient(cc), NewServer(sc), modify12(wire.TypeServerHello, modifyServerHello(func(sh *wire.ServerHello) {
		sh.EMS = false
	})))
	wantAlert(t, r, "client", wire.AlertHandshakeFailure)
	// And a ClientHello that would resume an extended-master-secret
	// session without the extension is aborted (RFC 7627 section 5.3: the
	// server MUST abort), not answered with a full handshake.
	cc, sc = resumable12(t)
	c, s := NewClient(cc), NewServer(sc)
	r = drive12(t, c, s, modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) { ch.EMS = false })))
	wantAlert(t, r, "server", wire.AlertHandshakeFailure)
	if s.State().Resumed {
		t.Fatal("server resumed a session for a hello without the extended master secret")
	}
}

// RFC 5746 section 3.6 and RFC 5246 7.4.1.4: renegotiation_info goes in
// the ServerHello only when the client offered it or its SCSV.
func TestRenegotiationInfoOnlyWhenOffered(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ext, scsv bool
		want      bool
	}{{"extension", true, false, true}, {"SCSV", false, true, true}, {"neither", false, false, false}} {
		cc, sc := configs12()
		var got *bool
		drive12(t, NewClient(cc), NewServer(sc), func(from string, m []msg) []msg {
			for i := range m {
				switch {
				case from == "client" && m[i].data != nil && m[i].data[0] == wire.TypeClientHello:
					m[i].data = modifyHello(func(ch *wire.ClientHello) {
						ch.HasSecureReneg = tc.ext
						if tc.scsv {
							ch.CipherSuites = append(ch.CipherSuites, 0x00ff)
						}
					})(m[i].data)
				case from == "server" && m[i].data != nil && m[i].data[0] == wire.TypeServerHello && got == nil:
					var sh wire.ServerHello
					if err := sh.Unmarshal(m[i].data); err != nil {
						t.Fatal(err)
					}
					got = &sh.HasSecureReneg
				}
			}
			return m
		})
		if got == nil || *got != tc.want {
			t.Errorf("%s: ServerHello renegotiation_info %v, want %v", tc.name, got != nil && *got, tc.want)
		}
	}
}

// RFC 5246 7.4.1.4.1: a TLS 1.2 ClientHello without signature_algorithms
// accepts only SHA-1 signatures, which hasp does not make (RFC 9155):
// handshake_failure, not a SHA-256 signature the client never offered.
func TestTLS12WithoutSignatureAlgorithms(t *testing.T) {
	cc, sc := configs12()
	r := drive12(t, NewClient(cc), NewServer(sc), modify12(wire.TypeClientHello, modifyHello(func(ch *wire.ClientHello) {
		ch.SigSchemes = nil
	})))
	wantAlert(t, r, "server", wire.AlertHandshakeFailure)
}

// A client that offers only TLS 1.2 and holds no session sends no session
// ID: the random one is TLS 1.3's compatibility mode (RFC 8446 D.4).
func TestTLS12OnlyClientSendsNoSessionID(t *testing.T) {
	cc, _ := configs12()
	acts, err := NewClient(cc).Start()
	if err != nil {
		t.Fatal(err)
	}
	var ch wire.ClientHello
	if err := ch.Unmarshal(acts[0].Msg); err != nil || len(ch.SessionID) != 0 {
		t.Fatalf("session ID %x, %v", ch.SessionID, err)
	}
}

// A TLS 1.2 ServerHello that echoes the compatibility session ID of a
// client that offered TLS 1.3 and no TLS 1.2 session claims a resumption
// of nothing: illegal_parameter.
func TestTLS12EchoedCompatSessionID(t *testing.T) {
	cc, sc := clientConfig(), serverConfig()
	cc.CipherSuites12, sc.CipherSuites12 = suites12, suites12
	sc.MaxVersion = wire.VersionTLS12
	var sid []byte
	r := drive12(t, NewClient(cc), NewServer(sc), func(from string, m []msg) []msg {
		for i := range m {
			switch {
			case from == "client" && m[i].data != nil && m[i].data[0] == wire.TypeClientHello:
				var ch wire.ClientHello
				ch.Unmarshal(m[i].data)
				sid = append([]byte(nil), ch.SessionID...)
			case from == "server" && m[i].data != nil && m[i].data[0] == wire.TypeServerHello:
				m[i].data = modifyServerHello(func(sh *wire.ServerHello) { sh.SessionID = sid })(m[i].data)
			}
		}
		return m
	})
	wantAlert(t, r, "client", wire.AlertIllegalParameter)
}

// A resumed TLS 1.2 connection reports the group of the handshake that
// made the session, on both sides (it has no key exchange of its own).
func TestResumption12KeepsGroup(t *testing.T) {
	cc, sc := resumable12(t)
	c, s := NewClient(cc), NewServer(sc)
	if r := drive12(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	if !c.State().Resumed || c.State().Group == 0 || c.State().Group != s.State().Group {
		t.Fatalf("resumed %v, client group %d, server group %d", c.State().Resumed, c.State().Group, s.State().Group)
	}
}

// RFC 5246 section 7.4.4: a TLS 1.2 client sends a certificate only of a
// type the CertificateRequest lists (RFC 8422 section 5.5: ecdsa_sign
// covers ECDSA and Ed25519 keys); with none it sends an empty Certificate
// (7.4.6). The request is changed in flight, so the handshake then fails
// on the transcript; what matters is the Certificate the client sent.
func TestClientCertificateTypes12(t *testing.T) {
	for _, tc := range []struct {
		types []uint8
		sent  bool
	}{{[]uint8{wire.CertTypeECDSASign}, true}, {[]uint8{wire.CertTypeRSASign}, false}, {[]uint8{wire.CertTypeRSASign, wire.CertTypeECDSASign}, true}} {
		cc, sc := configs12()
		sc.RequestClientCert = true
		cc.GetClientCertificate = func(*CertRequestInfo) (*Certificate, error) { return testCert, nil }
		entries := -1
		drive12(t, NewClient(cc), NewServer(sc), func(from string, m []msg) []msg {
			for i := range m {
				switch {
				case m[i].data == nil:
				case from == "server" && m[i].data[0] == wire.TypeCertificateRequest:
					var cr wire.CertificateRequest12
					if err := cr.Unmarshal(m[i].data); err != nil {
						t.Fatal(err)
					}
					cr.CertTypes = tc.types
					m[i].data = cr.Marshal()
				case from == "client" && m[i].data[0] == wire.TypeCertificate:
					var c wire.Certificate12
					if err := c.Unmarshal(m[i].data); err != nil {
						t.Fatal(err)
					}
					entries = len(c.Chain)
				}
			}
			return m
		})
		if entries < 0 {
			t.Fatalf("types %v: the client sent no Certificate message", tc.types)
		}
		if got := entries > 0; got != tc.sent {
			t.Errorf("types %v: client certificate sent %v, want %v", tc.types, got, tc.sent)
		}
	}
}
