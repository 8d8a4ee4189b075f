package hasp_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

var (
	testCA     = testcerts.NewCA("hasp test CA")
	leafMu     sync.Mutex
	leafByType = map[testcerts.KeyType]*testcerts.Leaf{}
)

func leaf(t testcerts.KeyType) *testcerts.Leaf {
	leafMu.Lock()
	defer leafMu.Unlock()
	if l := leafByType[t]; l != nil {
		return l
	}
	l := testCA.Issue(t, "localhost", "127.0.0.1", "::1")
	leafByType[t] = l
	return l
}

func haspCert(l *testcerts.Leaf) hasp.Certificate {
	return hasp.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
}

func stdCert(l *testcerts.Leaf) tls.Certificate {
	return tls.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
}

// pair returns two connected in-memory conns whose reads fail after a
// deadline, so a test that would hang fails instead.
func pair(t testing.TB) (net.Conn, net.Conn) {
	a, b := memconn.Pipe()
	dl := time.Now().Add(20 * time.Second)
	a.SetDeadline(dl)
	b.SetDeadline(dl)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// handshake runs both handshakes at once and returns their errors.
func handshake(client, server interface{ Handshake() error }) (cerr, serr error) {
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	cerr = client.Handshake()
	serr = <-errc
	return
}

func haspClientConfig() *hasp.Config {
	return &hasp.Config{ServerName: "localhost", RootCAs: testCA.Pool()}
}

func haspServerConfig(kt testcerts.KeyType) *hasp.Config {
	return &hasp.Config{Certificates: []hasp.Certificate{haspCert(leaf(kt))}}
}

func stdClientConfig() *tls.Config {
	return &tls.Config{ServerName: "localhost", RootCAs: testCA.Pool(), MinVersion: tls.VersionTLS13}
}

func stdServerConfig(kt testcerts.KeyType) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{stdCert(leaf(kt))}, MinVersion: tls.VersionTLS13}
}

// exchange has each side send n bytes and checks what the other got.
func exchange(t *testing.T, client, server net.Conn, n int) {
	t.Helper()
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	want := sha256.Sum256(data)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, dir := range []struct {
		w, r net.Conn
		name string
	}{{client, server, "client->server"}, {server, client, "server->client"}} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := dir.w.Write(data); err != nil {
				errs <- fmt.Errorf("%s write: %v", dir.name, err)
			}
		}()
		go func() {
			defer wg.Done()
			got := make([]byte, n)
			if _, err := io.ReadFull(dir.r, got); err != nil {
				errs <- fmt.Errorf("%s read: %v", dir.name, err)
				return
			}
			if sha256.Sum256(got) != want {
				errs <- fmt.Errorf("%s: checksum mismatch", dir.name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// interop runs one configuration both ways: hasp client against a
// crypto/tls server, and crypto/tls client against a hasp server. check
// sees both ends' states.
func interop(t *testing.T, hc, hs *hasp.Config, sc, ss *tls.Config, n int, check func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState)) {
	t.Run("hasp-client", func(t *testing.T) {
		c, s := pair(t)
		cli, srv := hasp.Client(c, hc), tls.Server(s, ss)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
		if check != nil {
			check(t, cli.ConnectionState(), srv.ConnectionState())
		}
		if n > 0 {
			exchange(t, cli, srv, n)
		}
		closeBoth(t, cli, srv)
	})
	t.Run("hasp-server", func(t *testing.T) {
		c, s := pair(t)
		cli, srv := tls.Client(c, sc), hasp.Server(s, hs)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
		if check != nil {
			check(t, srv.ConnectionState(), cli.ConnectionState())
		}
		if n > 0 {
			exchange(t, cli, srv, n)
		}
		closeBoth(t, cli, srv)
	})
}

// closeBoth closes the client and checks the server reads EOF from its
// close_notify.
func closeBoth(t *testing.T, cli, srv net.Conn) {
	t.Helper()
	if err := cli.Close(); err != nil {
		t.Errorf("client Close: %v", err)
	}
	buf := make([]byte, 1)
	if _, err := srv.Read(buf); err != io.EOF {
		t.Errorf("server read after client close_notify: %v, want io.EOF", err)
	}
	srv.Close()
}

var suites = []uint16{hasp.TLS_AES_128_GCM_SHA256, hasp.TLS_AES_256_GCM_SHA384, hasp.TLS_CHACHA20_POLY1305_SHA256}

func TestInteropSuites(t *testing.T) {
	for _, id := range suites {
		t.Run(hasp.CipherSuiteName(id), func(t *testing.T) {
			hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
			hc.CipherSuites, hs.CipherSuites = []uint16{id}, []uint16{id}
			sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
			interop(t, hc, hs, sc, ss, 1<<20, func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState) {
				if h.CipherSuite != id || s.CipherSuite != id {
					t.Errorf("suite: hasp %s, crypto/tls %s", hasp.CipherSuiteName(h.CipherSuite), tls.CipherSuiteName(s.CipherSuite))
				}
			})
		})
	}
}

var groups = []hasp.CurveID{hasp.X25519, hasp.CurveP256, hasp.CurveP384, hasp.CurveP521,
	hasp.X25519MLKEM768, hasp.SecP256r1MLKEM768, hasp.SecP384r1MLKEM1024}

func TestInteropGroups(t *testing.T) {
	for _, g := range groups {
		t.Run(g.String(), func(t *testing.T) {
			hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
			hc.CurvePreferences, hs.CurvePreferences = []hasp.CurveID{g}, []hasp.CurveID{g}
			sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
			sc.CurvePreferences, ss.CurvePreferences = []tls.CurveID{tls.CurveID(g)}, []tls.CurveID{tls.CurveID(g)}
			interop(t, hc, hs, sc, ss, 64<<10, func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState) {
				if h.CurveID != g || hasp.CurveID(s.CurveID) != g {
					t.Errorf("group: hasp %s, crypto/tls %v", h.CurveID, s.CurveID)
				}
				if h.HelloRetryRequest || s.HelloRetryRequest {
					t.Errorf("unexpected HelloRetryRequest")
				}
			})
		})
	}
}

func TestInteropDefaultsPickHybrid(t *testing.T) {
	interop(t, haspClientConfig(), haspServerConfig(testcerts.P256), stdClientConfig(), stdServerConfig(testcerts.P256), 0,
		func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState) {
			if h.CurveID != hasp.X25519MLKEM768 || s.CurveID != tls.X25519MLKEM768 {
				t.Errorf("default group: hasp %s, crypto/tls %v; want X25519MLKEM768", h.CurveID, s.CurveID)
			}
		})
}

var certTypes = []struct {
	kt     testcerts.KeyType
	scheme hasp.SignatureScheme
}{
	{testcerts.P256, hasp.ECDSAWithP256AndSHA256},
	{testcerts.P384, hasp.ECDSAWithP384AndSHA384},
	{testcerts.P521, hasp.ECDSAWithP521AndSHA512},
	{testcerts.RSA2048, hasp.PSSWithSHA256},
	{testcerts.Ed25519, hasp.Ed25519},
}

func TestInteropSignatureSchemes(t *testing.T) {
	for _, ct := range certTypes {
		t.Run(string(ct.kt), func(t *testing.T) {
			interop(t, haspClientConfig(), haspServerConfig(ct.kt), stdClientConfig(), stdServerConfig(ct.kt), 4096,
				func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState) {
					if h.SignatureScheme != ct.scheme {
						t.Errorf("hasp saw scheme %s, want %s", h.SignatureScheme, ct.scheme)
					}
					if len(h.PeerCertificates) == 0 && len(s.PeerCertificates) == 0 {
						t.Errorf("no peer certificates")
					}
				})
		})
	}
}

func TestInteropHelloRetryRequest(t *testing.T) {
	// The client's first shares (X25519MLKEM768, x25519) miss the only
	// group the server takes, so the server asks again.
	hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
	hs.CurvePreferences = []hasp.CurveID{hasp.CurveP384}
	sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
	ss.CurvePreferences = []tls.CurveID{tls.CurveP384}
	interop(t, hc, hs, sc, ss, 64<<10, func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState) {
		if !h.HelloRetryRequest || !s.HelloRetryRequest {
			t.Errorf("HelloRetryRequest: hasp %v, crypto/tls %v", h.HelloRetryRequest, s.HelloRetryRequest)
		}
		if h.CurveID != hasp.CurveP384 {
			t.Errorf("group after HRR %s", h.CurveID)
		}
	})
}

func TestInteropALPN(t *testing.T) {
	hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
	hc.NextProtos, hs.NextProtos = []string{"h2", "http/1.1"}, []string{"http/1.1", "h2"}
	sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
	sc.NextProtos, ss.NextProtos = []string{"h2", "http/1.1"}, []string{"http/1.1", "h2"}
	interop(t, hc, hs, sc, ss, 0, func(t *testing.T, h hasp.ConnectionState, s tls.ConnectionState) {
		// The server's preference decides (RFC 7301 section 3.2).
		if h.NegotiatedProtocol != "http/1.1" || s.NegotiatedProtocol != "http/1.1" {
			t.Errorf("ALPN: hasp %q, crypto/tls %q", h.NegotiatedProtocol, s.NegotiatedProtocol)
		}
	})
}

func TestInteropSNICertificate(t *testing.T) {
	a := testCA.Issue(testcerts.P256, "a.test")
	b := testCA.Issue(testcerts.Ed25519, "b.test")
	hs := &hasp.Config{Certificates: []hasp.Certificate{haspCert(a), haspCert(b)}}
	for _, name := range []string{"a.test", "b.test"} {
		c, s := pair(t)
		cfg := stdClientConfig()
		cfg.ServerName = name
		cli, srv := tls.Client(c, cfg), hasp.Server(s, hs)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatalf("%s: client %v, server %v", name, cerr, serr)
		}
		if got := cli.ConnectionState().PeerCertificates[0].DNSNames[0]; got != name {
			t.Errorf("asked for %s, got certificate for %s", name, got)
		}
		if got := srv.ConnectionState().ServerName; got != name {
			t.Errorf("server saw SNI %q", got)
		}
	}
}

func TestInteropKeyLogAndExporter(t *testing.T) {
	for _, haspClient := range []bool{true, false} {
		t.Run(fmt.Sprintf("haspClient=%v", haspClient), func(t *testing.T) {
			var hlog, slog bytes.Buffer
			c, s := pair(t)
			var hconn *hasp.Conn
			var sconn *tls.Conn
			if haspClient {
				hc, ss := haspClientConfig(), stdServerConfig(testcerts.P256)
				hc.KeyLogWriter, ss.KeyLogWriter = &hlog, &slog
				hconn, sconn = hasp.Client(c, hc), tls.Server(s, ss)
				if cerr, serr := handshake(hconn, sconn); cerr != nil || serr != nil {
					t.Fatalf("handshake: %v %v", cerr, serr)
				}
			} else {
				sc, hs := stdClientConfig(), haspServerConfig(testcerts.P256)
				sc.KeyLogWriter, hs.KeyLogWriter = &slog, &hlog
				sconn, hconn = tls.Client(c, sc), hasp.Server(s, hs)
				if cerr, serr := handshake(sconn, hconn); cerr != nil || serr != nil {
					t.Fatalf("handshake: %v %v", cerr, serr)
				}
			}
			// Every line crypto/tls logs, hasp logs identically.
			hl := lines(hlog.String())
			for _, l := range lines(slog.String()) {
				if !contains(hl, l) {
					t.Errorf("crypto/tls logged %q; hasp did not", l)
				}
			}
			if len(hl) < 4 {
				t.Errorf("hasp logged %d lines", len(hl))
			}
			hs := hconn.ConnectionState()
			ss := sconn.ConnectionState()
			for _, ctx := range [][]byte{nil, []byte("context")} {
				a, err := hs.ExportKeyingMaterial("EXPERIMENTAL hasp", ctx, 42)
				if err != nil {
					t.Fatal(err)
				}
				b, err := ss.ExportKeyingMaterial("EXPERIMENTAL hasp", ctx, 42)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("exporter differs:\n hasp %x\n  std %x", a, b)
				}
			}
		})
	}
}

func lines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return l
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// A KeyUpdate with update_requested makes crypto/tls rekey both ways;
// data keeps flowing in both directions during a transfer.
func TestInteropKeyUpdate(t *testing.T) {
	for _, haspClient := range []bool{true, false} {
		t.Run(fmt.Sprintf("haspClient=%v", haspClient), func(t *testing.T) {
			c, s := pair(t)
			var h *hasp.Conn
			var std *tls.Conn
			if haspClient {
				h, std = hasp.Client(c, haspClientConfig()), tls.Server(s, stdServerConfig(testcerts.P256))
				if cerr, serr := handshake(h, std); cerr != nil || serr != nil {
					t.Fatal(cerr, serr)
				}
			} else {
				std, h = tls.Client(c, stdClientConfig()), hasp.Server(s, haspServerConfig(testcerts.P256))
				if cerr, serr := handshake(std, h); cerr != nil || serr != nil {
					t.Fatal(cerr, serr)
				}
			}
			for i := 0; i < 3; i++ {
				if err := h.KeyUpdate(true); err != nil {
					t.Fatal(err)
				}
				exchange(t, h, std, 256<<10)
			}
		})
	}
}

// A verification failure is a typed error naming the alert we sent, and
// crypto/tls sees that alert.
func TestInteropUnknownCA(t *testing.T) {
	c, s := pair(t)
	other := testcerts.NewCA("other CA")
	cfg := haspClientConfig()
	cfg.RootCAs = other.Pool()
	cli, srv := hasp.Client(c, cfg), tls.Server(s, stdServerConfig(testcerts.P256))
	cerr, serr := handshake(cli, srv)
	var ae *hasp.AlertError
	if !errors.As(cerr, &ae) || ae.Alert != hasp.AlertUnknownCA || ae.Remote {
		t.Fatalf("client error %v, want a local unknown_ca AlertError", cerr)
	}
	var ve *hasp.CertificateVerificationError
	if !errors.As(cerr, &ve) {
		t.Errorf("client error does not wrap a CertificateVerificationError: %v", cerr)
	}
	if serr == nil || !strings.Contains(serr.Error(), "unknown certificate authority") {
		t.Errorf("crypto/tls server error %v, want unknown_ca", serr)
	}
}

func tlsServer(c net.Conn) *tls.Conn { return tls.Server(c, stdServerConfig(testcerts.P256)) }
func tlsClient(c net.Conn) *tls.Conn { return tls.Client(c, stdClientConfig()) }

// netConn adapts a minimal conn to net.Conn for exchange.
type netConn struct {
	c interface {
		Read([]byte) (int, error)
		Write([]byte) (int, error)
		Handshake() error
		Close() error
	}
}

func (n netConn) Read(b []byte) (int, error)       { return n.c.Read(b) }
func (n netConn) Write(b []byte) (int, error)      { return n.c.Write(b) }
func (n netConn) Close() error                     { return n.c.Close() }
func (n netConn) LocalAddr() net.Addr              { return nil }
func (n netConn) RemoteAddr() net.Addr             { return nil }
func (n netConn) SetDeadline(time.Time) error      { return nil }
func (n netConn) SetReadDeadline(time.Time) error  { return nil }
func (n netConn) SetWriteDeadline(time.Time) error { return nil }
