package hasp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// What hasp leaves out fails the first handshake with an error that says
// so and what to use instead.
func TestLeftOutFailsClearly(t *testing.T) {
	cases := []struct {
		name string
		set  func(*hasp.Config)
		want []string
	}{
		{"CBC suite", func(c *hasp.Config) { c.CipherSuites = []uint16{hasp.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA} },
			[]string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "not implemented", "use TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{"RC4 suite", func(c *hasp.Config) { c.CipherSuites = []uint16{hasp.TLS_RSA_WITH_RC4_128_SHA} },
			[]string{"RC4", "use TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{"RSA key exchange", func(c *hasp.Config) { c.CipherSuites = []uint16{hasp.TLS_RSA_WITH_AES_256_GCM_SHA384} },
			[]string{"forward secrecy", "use TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}},
		{"TLS 1.0 minimum", func(c *hasp.Config) { c.MinVersion = hasp.VersionTLS10 },
			[]string{"MinVersion is TLS 1.0", "does not implement", "VersionTLS12"}},
		{"TLS 1.1 maximum", func(c *hasp.Config) { c.MaxVersion = hasp.VersionTLS11 },
			[]string{"MaxVersion is TLS 1.1", "VersionTLS12"}},
		{"SSL 3.0", func(c *hasp.Config) { c.MinVersion = hasp.VersionSSL30 },
			[]string{"SSL 3.0", "does not implement"}},
		{"renegotiation", func(c *hasp.Config) { c.Renegotiation = hasp.RenegotiateOnceAsClient },
			[]string{"RenegotiateOnceAsClient", "does not implement renegotiation", "RenegotiateNever"}},
		{"ECH config list", func(c *hasp.Config) { c.EncryptedClientHelloConfigList = []byte{0, 0} },
			[]string{"EncryptedClientHelloConfigList", "Encrypted Client Hello"}},
		{"ECH keys", func(c *hasp.Config) { c.EncryptedClientHelloKeys = []hasp.EncryptedClientHelloKey{{}} },
			[]string{"EncryptedClientHelloKeys", "Encrypted Client Hello"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := pair(t)
			cfg := haspClientConfig()
			tc.set(cfg)
			err := hasp.Client(c, cfg).Handshake()
			if err == nil {
				t.Fatal("handshake did not fail")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestCipherSuitesListWhatHaspImplements(t *testing.T) {
	suites := hasp.CipherSuites()
	if len(suites) == 0 {
		t.Fatal("no suites")
	}
	var ids []uint16
	for _, s := range suites {
		if s.Insecure || s.Name != hasp.CipherSuiteName(s.ID) || len(s.SupportedVersions) != 1 {
			t.Errorf("suite %+v", s)
		}
		ids = append(ids, s.ID)
	}
	for _, want := range []uint16{hasp.TLS_AES_128_GCM_SHA256, hasp.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, hasp.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305} {
		if !slices.Contains(ids, want) {
			t.Errorf("%s missing", hasp.CipherSuiteName(want))
		}
	}
	if got := hasp.InsecureCipherSuites(); got == nil || len(got) != 0 {
		t.Errorf("InsecureCipherSuites = %v, want empty", got)
	}
	// Every suite listed works in a Config.
	for _, s := range suites {
		if s.SupportedVersions[0] != hasp.VersionTLS12 || s.ID == hasp.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 {
			continue
		}
		cc, sc := haspClientConfig(), haspServerConfig(testcerts.P256)
		if strings.Contains(s.Name, "_RSA_") {
			sc = haspServerConfig(testcerts.RSA2048)
		}
		// AES-CCM is negotiated only when the server names it too.
		cc.CipherSuites, cc.MaxVersion, sc.CipherSuites = []uint16{s.ID}, hasp.VersionTLS12, []uint16{s.ID}
		st, _, cerr, serr := handshakeStates(t, cc, sc)
		if cerr != nil || serr != nil || st.CipherSuite != s.ID {
			t.Errorf("%s: %v / %v, negotiated %s", s.Name, cerr, serr, hasp.CipherSuiteName(st.CipherSuite))
		}
	}
}

// A plain-HTTP peer gives a RecordHeaderError with its first bytes.
func TestRecordHeaderError(t *testing.T) {
	c, s := pair(t)
	go func() {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		io.Copy(io.Discard, c)
	}()
	err := hasp.Server(s, haspServerConfig(testcerts.P256)).Handshake()
	var rhe hasp.RecordHeaderError
	if !errors.As(err, &rhe) {
		t.Fatalf("error %v (%T) is not a RecordHeaderError", err, err)
	}
	if string(rhe.RecordHeader[:]) != "GET /" || rhe.Msg == "" {
		t.Errorf("RecordHeaderError %+v", rhe)
	}
	// A TLS peer's failure is not one.
	c2, s2 := pair(t)
	go func() { c2.Write([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0}); io.Copy(io.Discard, c2) }()
	if err := hasp.Server(s2, haspServerConfig(testcerts.P256)).Handshake(); err == nil || errors.As(err, &rhe) {
		t.Errorf("malformed ClientHello: %v", err)
	}
}

// GetConfigForClient sees the ClientHello first and its Config runs the
// handshake: here it picks a certificate by SNI.
func TestGetConfigForClient(t *testing.T) {
	ca := testcerts.NewCA("gcfc CA")
	certs := map[string]hasp.Certificate{}
	for _, name := range []string{"a.example", "b.example"} {
		l := ca.Issue(testcerts.P256, name)
		certs[name] = hasp.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
	}
	var mu sync.Mutex
	var seen []*hasp.ClientHelloInfo
	base := &hasp.Config{GetConfigForClient: func(h *hasp.ClientHelloInfo) (*hasp.Config, error) {
		mu.Lock()
		seen = append(seen, h)
		mu.Unlock()
		if h.ServerName == "refuse.example" {
			return nil, errors.New("no such site")
		}
		return &hasp.Config{Certificates: []hasp.Certificate{certs[h.ServerName]}, NextProtos: []string{"h2"}}, nil
	}}
	for _, name := range []string{"a.example", "b.example"} {
		cc := &hasp.Config{ServerName: name, RootCAs: ca.Pool(), NextProtos: []string{"h2", "http/1.1"}}
		st, _, cerr, serr := handshakeStates(t, cc, base)
		if cerr != nil || serr != nil {
			t.Fatalf("%s: %v / %v", name, cerr, serr)
		}
		if st.PeerCertificates[0].DNSNames[0] != name || st.NegotiatedProtocol != "h2" {
			t.Errorf("%s: got certificate for %v, ALPN %q", name, st.PeerCertificates[0].DNSNames, st.NegotiatedProtocol)
		}
	}
	mu.Lock()
	h := seen[0]
	mu.Unlock()
	if !slices.Contains(h.Extensions, 0) || !slices.Contains(h.Extensions, 43) || h.HelloRetryRequest ||
		!slices.Contains(h.SupportedVersions, hasp.VersionTLS13) || h.Context() == nil {
		t.Errorf("ClientHelloInfo %+v", h)
	}
	if err := h.SupportsCertificate(ptr(certs["a.example"])); err != nil {
		t.Errorf("SupportsCertificate: %v", err)
	}
	cc := &hasp.Config{ServerName: "refuse.example", RootCAs: ca.Pool()}
	_, _, cerr, serr := handshakeStates(t, cc, base)
	var ae *hasp.AlertError
	if serr == nil || !strings.Contains(serr.Error(), "no such site") || !errors.As(cerr, &ae) || ae.Alert != hasp.AlertInternalError {
		t.Errorf("refused: client %v, server %v", cerr, serr)
	}
}

func ptr[T any](v T) *T { return &v }

// Listen's connections give GetCertificate the net.Conn.
func TestClientHelloInfoConn(t *testing.T) {
	got := make(chan net.Addr, 1)
	l := leaf(testcerts.P256)
	cfg := &hasp.Config{GetCertificate: func(h *hasp.ClientHelloInfo) (*hasp.Certificate, error) {
		if h.Conn != nil {
			got <- h.Conn.LocalAddr()
		}
		return ptr(haspCert(l)), nil
	}}
	ln, err := hasp.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*hasp.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := hasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), &hasp.Config{ServerName: "localhost", RootCAs: testCA.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case a := <-got:
		if a.String() != ln.Addr().String() {
			t.Errorf("ClientHelloInfo.Conn.LocalAddr %v, want %v", a, ln.Addr())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GetCertificate saw no Conn")
	}
	if err := c.VerifyHostname("localhost"); err != nil {
		t.Errorf("VerifyHostname(localhost): %v", err)
	}
	if err := c.VerifyHostname("example.com"); err == nil {
		t.Error("VerifyHostname(example.com) passed")
	}
}

// WrapSession and UnwrapSession see every ticket; Extra survives; an
// UnwrapSession error ends the handshake.
func TestWrapUnwrapSession(t *testing.T) {
	for _, v := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
		t.Run(hasp.VersionName(v), func(t *testing.T) {
			sc := haspServerConfig(testcerts.P256)
			store := map[string][]byte{}
			var mu sync.Mutex
			var unwrapped [][][]byte
			var failUnwrap bool
			sc.WrapSession = func(cs hasp.ConnectionState, ss *hasp.SessionState) ([]byte, error) {
				ss.Extra = append(ss.Extra, []byte("app-v1"))
				b, err := ss.Bytes()
				if err != nil {
					return nil, err
				}
				mu.Lock()
				defer mu.Unlock()
				id := []byte{byte(len(store) + 1), 'i', 'd'}
				store[string(id)] = b
				return id, nil
			}
			sc.UnwrapSession = func(id []byte, cs hasp.ConnectionState) (*hasp.SessionState, error) {
				mu.Lock()
				defer mu.Unlock()
				if failUnwrap {
					return nil, errors.New("store is down")
				}
				b, ok := store[string(id)]
				if !ok {
					return nil, nil
				}
				ss, err := hasp.ParseSessionState(b)
				if err == nil {
					unwrapped = append(unwrapped, ss.Extra)
				}
				return ss, err
			}
			cc := haspClientConfig()
			cc.MaxVersion = v
			cc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
			cres, sres := connectTwice(t,
				func(c net.Conn) resumable { return hasp.Client(c, cc) },
				func(c net.Conn) resumable { return hasp.Server(c, sc) }, nil)
			if !cres || !sres {
				t.Fatalf("resumed: client %v, server %v", cres, sres)
			}
			mu.Lock()
			if len(unwrapped) == 0 || len(unwrapped[0]) != 1 || string(unwrapped[0][0]) != "app-v1" {
				t.Errorf("Extra after the round trip: %q", unwrapped)
			}
			failUnwrap = true
			mu.Unlock()
			c, s := pair(t)
			_, serr := handshake(hasp.Client(c, cc), hasp.Server(s, sc))
			if serr == nil || !strings.Contains(serr.Error(), "store is down") {
				t.Errorf("UnwrapSession's error: server %v", serr)
			}
		})
	}
}

// EncryptTicket and DecryptTicket are WrapSession and UnwrapSession with
// the Config's keys; SessionTicketKey shares them between Configs.
func TestSessionTicketKeyAndEncryptTicket(t *testing.T) {
	key := [32]byte{1, 2, 3}
	a, b := haspServerConfig(testcerts.P256), haspServerConfig(testcerts.P256)
	a.SessionTicketKey, b.SessionTicketKey = key, key
	a.WrapSession = a.EncryptTicket
	b.UnwrapSession = b.DecryptTicket
	cc := haspClientConfig()
	cc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
	n := 0
	cres, sres := connectTwice(t,
		func(c net.Conn) resumable { return hasp.Client(c, cc) },
		func(c net.Conn) resumable {
			n++
			if n == 1 {
				return hasp.Server(c, a)
			}
			return hasp.Server(c, b)
		}, nil)
	if !cres || !sres {
		t.Fatalf("resumed across Configs sharing SessionTicketKey: client %v, server %v", cres, sres)
	}
	if ss, err := b.DecryptTicket([]byte("junk"), hasp.ConnectionState{}); ss != nil || err != nil {
		t.Errorf("DecryptTicket(junk) = %v, %v; want nil, nil", ss, err)
	}
}

// A ClientSessionCache that stores sessions as bytes, through
// ResumptionState, SessionState.Bytes, ParseSessionState and
// NewResumptionState, as crypto/tls's documentation describes.
type bytesCache struct {
	mu sync.Mutex
	m  map[string][2][]byte
}

func (c *bytesCache) Get(key string) (*hasp.ClientSessionState, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	ss, err := hasp.ParseSessionState(e[1])
	if err != nil {
		return nil, false
	}
	cs, err := hasp.NewResumptionState(e[0], ss)
	return cs, err == nil
}

func (c *bytesCache) Put(key string, cs *hasp.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs == nil {
		delete(c.m, key)
		return
	}
	ticket, ss, err := cs.ResumptionState()
	if err != nil || ss == nil {
		return
	}
	b, err := ss.Bytes()
	if err != nil {
		return
	}
	c.m[key] = [2][]byte{bytes.Clone(ticket), b}
}

func TestClientSessionCacheThroughBytes(t *testing.T) {
	cache := &bytesCache{m: map[string][2][]byte{}}
	for _, srv := range []string{"hasp", "crypto/tls"} {
		t.Run(srv, func(t *testing.T) {
			clear(cache.m)
			cc := haspClientConfig()
			cc.ClientSessionCache = cache
			hs, ss := haspServerConfig(testcerts.P256), stdServerConfig(testcerts.P256)
			cres, sres := connectTwice(t,
				func(c net.Conn) resumable { return hasp.Client(c, cc) },
				func(c net.Conn) resumable {
					if srv == "hasp" {
						return hasp.Server(c, hs)
					}
					return tls.Server(c, ss)
				}, nil)
			if !cres || !sres {
				t.Fatalf("resumed: client %v, server %v", cres, sres)
			}
		})
	}
	if _, err := hasp.ParseSessionState([]byte{1, 2, 3}); err == nil {
		t.Error("ParseSessionState took garbage")
	}
}

// NameToCertificate picks by name when there is more than one
// certificate; BuildNameToCertificate fills it from the leaves.
func TestNameToCertificate(t *testing.T) {
	ca := testcerts.NewCA("n2c CA")
	var certs []hasp.Certificate
	for _, name := range []string{"one.example", "*.two.example"} {
		l := ca.Issue(testcerts.P256, name)
		certs = append(certs, hasp.Certificate{Certificate: l.Chain, PrivateKey: l.Key})
	}
	sc := &hasp.Config{Certificates: certs}
	sc.BuildNameToCertificate()
	if len(sc.NameToCertificate) != 2 || sc.NameToCertificate["*.two.example"] != &sc.Certificates[1] {
		t.Fatalf("NameToCertificate %v", sc.NameToCertificate)
	}
	cc := &hasp.Config{ServerName: "x.two.example", RootCAs: ca.Pool()}
	st, _, cerr, serr := handshakeStates(t, cc, sc)
	if cerr != nil || serr != nil || st.PeerCertificates[0].DNSNames[0] != "*.two.example" {
		t.Fatalf("%v / %v", cerr, serr)
	}
}

// The QUIC session events: a client stores through StoreSession and is
// told of the session it offers; the server of the one it resumes.
func TestQUICSessionEvents(t *testing.T) {
	cache := hasp.NewLRUClientSessionCache(4)
	sc := haspServerConfig(testcerts.P256)
	sc.NextProtos = []string{"q"}
	var clientEvents, serverEvents []hasp.QUICEventKind
	for i := 0; i < 2; i++ {
		cc := haspClientConfig()
		cc.NextProtos = []string{"q"}
		cc.ClientSessionCache = cache
		cli := hasp.QUICClient(&hasp.QUICConfig{TLSConfig: cc, EnableSessionEvents: true})
		srv := hasp.QUICServer(&hasp.QUICConfig{TLSConfig: sc, EnableSessionEvents: true})
		cli.SetTransportParameters([]byte{1})
		srv.SetTransportParameters([]byte{2})
		ctx := context.Background()
		if err := cli.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		clientEvents, serverEvents = nil, nil
		var ticketSent bool
		for steps := 0; steps < 100; steps++ {
			moved := false
			for _, side := range []struct {
				from, to *hasp.QUICConn
				log      *[]hasp.QUICEventKind
			}{{cli, srv, &clientEvents}, {srv, cli, &serverEvents}} {
				for {
					e := side.from.NextEvent()
					if e.Kind == hasp.QUICNoEvent {
						break
					}
					moved = true
					*side.log = append(*side.log, e.Kind)
					switch e.Kind {
					case hasp.QUICWriteData:
						if err := side.to.HandleData(e.Level, e.Data); err != nil {
							t.Fatal(err)
						}
					case hasp.QUICStoreSession:
						if err := side.from.StoreSession(e.SessionState); err != nil {
							t.Fatal(err)
						}
					case hasp.QUICResumeSession:
						if e.SessionState == nil {
							t.Error("QUICResumeSession without a SessionState")
						}
					case hasp.QUICHandshakeDone:
						if side.from == srv && !ticketSent {
							ticketSent = true
							if err := srv.SendSessionTicket(hasp.QUICSessionTicketOptions{}); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
			}
			if !moved {
				break
			}
		}
		resumed := cli.ConnectionState().DidResume
		if i == 0 && (!slices.Contains(clientEvents, hasp.QUICStoreSession) || resumed) {
			t.Fatalf("first connection: client events %v, resumed %v", clientEvents, resumed)
		}
		if i == 1 && (!resumed || !slices.Contains(clientEvents, hasp.QUICResumeSession) || !slices.Contains(serverEvents, hasp.QUICResumeSession)) {
			t.Fatalf("second connection: resumed %v, client events %v, server events %v", resumed, clientEvents, serverEvents)
		}
	}
}

func TestClientAuthTypeString(t *testing.T) {
	if s := hasp.RequireAndVerifyClientCert.String(); s != tls.RequireAndVerifyClientCert.String() {
		t.Errorf("%q", s)
	}
}

// SupportsCertificate says no to a key the client has no scheme for, and
// CertificateRequestInfo's to a chain from a CA the server did not name.
func TestSupportsCertificateRefuses(t *testing.T) {
	rsaCert := haspCert(leaf(testcerts.RSA2048))
	ecCert := haspCert(leaf(testcerts.P256))
	hello := &hasp.ClientHelloInfo{
		CipherSuites:      []uint16{hasp.TLS_AES_128_GCM_SHA256},
		SupportedVersions: []uint16{hasp.VersionTLS13},
		SupportedCurves:   []hasp.CurveID{hasp.X25519, hasp.CurveP256},
		SignatureSchemes:  []hasp.SignatureScheme{hasp.ECDSAWithP256AndSHA256},
	}
	if err := hello.SupportsCertificate(&ecCert); err != nil {
		t.Errorf("ECDSA certificate: %v", err)
	}
	if err := hello.SupportsCertificate(&rsaCert); err == nil {
		t.Error("RSA certificate taken by a client offering only ECDSA")
	}
	req := &hasp.CertificateRequestInfo{
		Version:          hasp.VersionTLS13,
		SignatureSchemes: []hasp.SignatureScheme{hasp.ECDSAWithP256AndSHA256},
		AcceptableCAs:    [][]byte{testcerts.NewCA("unrelated CA").Pool().Subjects()[0]}, //nolint:staticcheck
	}
	if err := req.SupportsCertificate(&ecCert); err == nil {
		t.Error("certificate from a CA the server did not name fits")
	}
	req.AcceptableCAs = nil
	if err := req.SupportsCertificate(&ecCert); err != nil {
		t.Errorf("no CAs named: %v", err)
	}
	if err := req.SupportsCertificate(&rsaCert); err == nil {
		t.Error("RSA certificate fits a request for ECDSA only")
	}
}

// errors.As finds the Alert in an *AlertError, as code written for
// crypto/tls's AlertError looks for it.
func TestAlertErrorAsAlert(t *testing.T) {
	var err error = &hasp.AlertError{Alert: hasp.AlertNoApplicationProtocol, Remote: true}
	var a hasp.Alert
	if !errors.As(err, &a) || a != hasp.AlertNoApplicationProtocol {
		t.Fatalf("errors.As gave %v", a)
	}
}
