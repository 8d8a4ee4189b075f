package hasp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

func haspPair(t *testing.T, cc, sc *hasp.Config) (*hasp.Conn, *hasp.Conn) {
	t.Helper()
	c, s := pair(t)
	cli, srv := hasp.Client(c, cc), hasp.Server(s, sc)
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	return cli, srv
}

func TestHaspToHasp(t *testing.T) {
	cli, srv := haspPair(t, haspClientConfig(), haspServerConfig(testcerts.Ed25519))
	exchange(t, cli, srv, 1<<20)
	st := cli.ConnectionState()
	if !st.HandshakeComplete || st.Version != hasp.VersionTLS13 || len(st.VerifiedChains) == 0 {
		t.Errorf("state %+v", st)
	}
	for i := 0; i < 5; i++ {
		if err := srv.KeyUpdate(i%2 == 0); err != nil {
			t.Fatal(err)
		}
		exchange(t, cli, srv, 32<<10)
	}
	closeBoth(t, cli, srv)
}

// CloseWrite sends close_notify: the peer reads EOF and can still write
// back.
func TestCloseWrite(t *testing.T) {
	cli, srv := haspPair(t, haspClientConfig(), haspServerConfig(testcerts.P256))
	io.WriteString(cli, "request")
	if err := cli.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(srv)
	if err != nil || string(got) != "request" {
		t.Fatalf("server read %q, %v", got, err)
	}
	if _, err := cli.Write([]byte("x")); err == nil {
		t.Errorf("write after CloseWrite succeeded")
	}
	io.WriteString(srv, "response")
	srv.Close()
	got, err = io.ReadAll(cli)
	if err != nil || string(got) != "response" {
		t.Fatalf("client read %q, %v", got, err)
	}
}

func TestReadDeadline(t *testing.T) {
	cli, _ := haspPair(t, haspClientConfig(), haspServerConfig(testcerts.P256))
	cli.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := cli.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read: %v; want a timeout", err)
	}
}

// splitWriter is a server transport that, once armed, writes the first
// seven bytes of the next write, then waits for release before the rest:
// a record that arrives in two parts around a reader's deadline.
type splitWriter struct {
	net.Conn
	armed   chan struct{}
	release chan struct{}
}

func (w *splitWriter) Write(b []byte) (int, error) {
	select {
	case <-w.armed:
		n, err := w.Conn.Write(b[:7])
		if err != nil {
			return n, err
		}
		<-w.release
		m, err := w.Conn.Write(b[7:])
		return n + m, err
	default:
		return w.Conn.Write(b)
	}
}

// A read deadline that passes is not fatal (net.Conn's contract): after
// the deadline moves, Read returns the peer's later data, and the part of
// a record read before the timeout is not lost. net/http relies on this
// for HTTP/1.1 keep-alive.
func TestReadTimeoutRecoverable(t *testing.T) {
	c, s := pair(t)
	sw := &splitWriter{Conn: s, armed: make(chan struct{}), release: make(chan struct{})}
	cli, srv := hasp.Client(c, haspClientConfig()), hasp.Server(sw, haspServerConfig(testcerts.P256))
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	buf := make([]byte, 64)
	for i := 0; i < 2; i++ {
		cli.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := cli.Read(buf); !isTimeout(err) {
			t.Fatalf("Read with a past deadline: %v; want a timeout", err)
		}
	}
	// The server's next record arrives in two parts; the client times out
	// between them.
	close(sw.armed)
	werr := make(chan error, 1)
	go func() { _, err := srv.Write([]byte("after the timeout")); werr <- err }()
	cli.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := cli.Read(buf); !isTimeout(err) {
		t.Fatalf("Read of half a record: %v; want a timeout", err)
	}
	close(sw.release)
	cli.SetReadDeadline(time.Time{})
	n, err := cli.Read(buf)
	if err != nil || string(buf[:n]) != "after the timeout" {
		t.Fatalf("Read after clearing the deadline: %q, %v", buf[:n], err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	exchange(t, cli, srv, 64<<10)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Cancelling HandshakeContext ends a handshake that is waiting on a
// silent peer.
func TestHandshakeContextCancel(t *testing.T) {
	c, _ := pair(t)
	cli := hasp.Client(c, haspClientConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := cli.HandshakeContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("HandshakeContext: %v; want context.DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("cancellation took %v", time.Since(start))
	}
}

func TestClientCertificates(t *testing.T) {
	client := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "client")
	t.Run("crypto/tls client, hasp server requires and verifies", func(t *testing.T) {
		c, s := pair(t)
		sc := haspServerConfig(testcerts.P256)
		sc.ClientAuth, sc.ClientCAs = hasp.RequireAndVerifyClientCert, testCA.Pool()
		cc := stdClientConfig()
		cc.Certificates = []tls.Certificate{stdCert(client)}
		cli, srv := tls.Client(c, cc), hasp.Server(s, sc)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
		if pc := srv.ConnectionState().PeerCertificates; len(pc) == 0 || pc[0].Subject.CommonName != "client" {
			t.Errorf("server saw client chain %v", pc)
		}
	})
	t.Run("hasp client, crypto/tls server requires", func(t *testing.T) {
		c, s := pair(t)
		cc := haspClientConfig()
		cc.Certificates = []hasp.Certificate{haspCert(client)}
		ss := stdServerConfig(testcerts.P256)
		ss.ClientAuth, ss.ClientCAs = tls.RequireAndVerifyClientCert, testCA.Pool()
		cli, srv := hasp.Client(c, cc), tls.Server(s, ss)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
		exchange(t, cli, srv, 1024)
	})
	t.Run("no client certificate: certificate_required", func(t *testing.T) {
		c, s := pair(t)
		sc := haspServerConfig(testcerts.P256)
		sc.ClientAuth = hasp.RequireAnyClientCert
		cli, srv := tls.Client(c, stdClientConfig()), hasp.Server(s, sc)
		_, serr := handshake(cli, srv)
		var ae *hasp.AlertError
		if !errors.As(serr, &ae) || ae.Alert != hasp.AlertCertificateRequired {
			t.Fatalf("server: %v; want certificate_required", serr)
		}
		// TLS 1.3 clients finish first; the alert shows on their next read.
		_, err := cli.Read(make([]byte, 1))
		if err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("crypto/tls client read: %v", err)
		}
	})
	t.Run("unknown client CA: unknown_ca", func(t *testing.T) {
		c, s := pair(t)
		sc := haspServerConfig(testcerts.P256)
		sc.ClientAuth, sc.ClientCAs = hasp.RequireAndVerifyClientCert, testcerts.NewCA("other").Pool()
		cc := stdClientConfig()
		// Sent even though the server names other CAs in
		// certificate_authorities.
		cert := stdCert(client)
		cc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		cli, srv := tls.Client(c, cc), hasp.Server(s, sc)
		_, serr := handshake(cli, srv)
		var ae *hasp.AlertError
		if !errors.As(serr, &ae) || ae.Alert != hasp.AlertUnknownCA {
			t.Fatalf("server: %v; want unknown_ca", serr)
		}
	})
}

func TestExpiredCertificate(t *testing.T) {
	old := testCA.IssueWith(testcerts.P256, testcerts.Options{
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
	}, "localhost")
	c, s := pair(t)
	ss := &tls.Config{Certificates: []tls.Certificate{stdCert(old)}}
	cli, srv := hasp.Client(c, haspClientConfig()), tls.Server(s, ss)
	cerr, _ := handshake(cli, srv)
	var ae *hasp.AlertError
	if !errors.As(cerr, &ae) || ae.Alert != hasp.AlertCertificateExpired {
		t.Fatalf("client: %v; want certificate_expired", cerr)
	}
}

func TestWrongName(t *testing.T) {
	c, s := pair(t)
	cc := haspClientConfig()
	cc.ServerName = "example.com"
	cli, srv := hasp.Client(c, cc), tls.Server(s, stdServerConfig(testcerts.P256))
	cerr, _ := handshake(cli, srv)
	var ae *hasp.AlertError
	if !errors.As(cerr, &ae) || ae.Alert != hasp.AlertBadCertificate || !strings.Contains(cerr.Error(), "example.com") {
		t.Fatalf("client: %v; want bad_certificate naming the host", cerr)
	}
}

// net/http over hasp in both roles: Listen for http.Server, Dialer for
// http.Transport, and the request's connection reachable from handlers.
func TestHTTP(t *testing.T) {
	ln, err := hasp.Listen("tcp", "127.0.0.1:0", haspServerConfig(testcerts.P256))
	if err != nil {
		t.Fatal(err)
	}
	type key struct{}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := r.Context().Value(key{}).(*hasp.Conn)
			io.WriteString(w, hasp.VersionName(c.ConnectionState().Version))
		}),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, key{}, c) },
	}
	go srv.Serve(ln)
	defer srv.Close()
	d := &hasp.Dialer{Config: haspClientConfig()}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}, Timeout: 10 * time.Second}
	resp, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "TLS 1.3" {
		t.Fatalf("body %q", body)
	}
}

func TestLoadX509KeyPair(t *testing.T) {
	_, _, certFile, keyFile := peerFiles(t, testcerts.RSA2048)
	cert, err := hasp.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 2 || cert.Leaf == nil {
		t.Fatalf("chain of %d", len(cert.Certificate))
	}
	wrongKey := leaf(testcerts.P256).KeyPEM()
	chain, _ := os.ReadFile(certFile)
	if _, err := hasp.X509KeyPair(chain, wrongKey); err == nil {
		t.Errorf("mismatched key accepted")
	}
}

// What the client offered is kept past the handshake only when the
// Config asks (it costs an idle connection some 300 bytes); during the
// handshake VerifyConnection sees it either way.
func TestKeepClientHello(t *testing.T) {
	for _, keep := range []bool{false, true} {
		scfg := haspServerConfig(testcerts.P256)
		scfg.KeepClientHello = keep
		var during *hasp.ClientHelloInfo
		scfg.VerifyConnection = func(cs hasp.ConnectionState) error { during = cs.ClientHello; return nil }
		a, b := pair(t)
		c, s := hasp.Client(a, haspClientConfig()), hasp.Server(b, scfg)
		if cerr, serr := handshake(c, s); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		if during == nil || len(during.CipherSuites) == 0 {
			t.Errorf("keep=%v: VerifyConnection saw no ClientHello", keep)
		}
		after := s.ConnectionState().ClientHello
		if (after != nil) != keep {
			t.Errorf("keep=%v: ClientHello after the handshake: %v", keep, after != nil)
		}
		if c.ConnectionState().ClientHello != nil {
			t.Error("a client reports a ClientHello")
		}
	}
}
