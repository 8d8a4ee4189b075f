package hasp_test

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

var openssl12 = []struct {
	name string // OpenSSL's name
	id   uint16
	kt   testcerts.KeyType
}{
	{"ECDHE-ECDSA-AES128-GCM-SHA256", 0xc02b, testcerts.P256},
	{"ECDHE-ECDSA-AES256-GCM-SHA384", 0xc02c, testcerts.P384},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", 0xcca9, testcerts.P256},
	{"ECDHE-RSA-AES128-GCM-SHA256", 0xc02f, testcerts.RSA2048},
	{"ECDHE-RSA-AES256-GCM-SHA384", 0xc030, testcerts.RSA2048},
	{"ECDHE-RSA-CHACHA20-POLY1305", 0xcca8, testcerts.RSA2048},
}

// TLS 1.2 against openssl s_server and s_client, each suite.
func TestOpenSSLTLS12(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	for _, s := range openssl12 {
		t.Run("s_server/"+s.name, func(t *testing.T) {
			_, ca, cert, key := peerFiles(t, s.kt)
			_, addr := startSServer(t, false, "-cert", cert, "-key", key, "-tls1_2", "-cipher", s.name, "-www")
			cfg := haspClientConfig()
			cfg.RootCAs = loadPool(t, ca)
			conn, err := hasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if st := conn.ConnectionState(); st.Version != hasp.VersionTLS12 || st.CipherSuite != s.id {
				t.Fatalf("negotiated %s %s", hasp.VersionName(st.Version), hasp.CipherSuiteName(st.CipherSuite))
			}
			io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
			body, err := io.ReadAll(conn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(body), "TLSv1.2") || !strings.Contains(string(body), s.name) {
				t.Errorf("s_server page:\n%.300s", body)
			}
		})
		t.Run("s_client/"+s.name, func(t *testing.T) {
			_, ca, _, _ := peerFiles(t, s.kt)
			ln := listenLoopback(t)
			done := serveOne(ln, haspServerConfig(s.kt), 10*time.Second, replyToLine(func(line string, st hasp.ConnectionState) string {
				return fmt.Sprintf("heard %s over %s\n", line, hasp.CipherSuiteName(st.CipherSuite))
			}))
			p := startPeer(t, true, openssl, "s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
				"-CAfile", ca, "-verify_return_error", "-tls1_2", "-cipher", s.name, "-ign_eof")
			io.WriteString(p.stdin, "ping\n")
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !p.out.WaitFor("heard ping over "+hasp.CipherSuiteName(s.id), 10*time.Second) {
				t.Fatal("no answer")
			}
			out := p.out.String()
			for _, w := range []string{"Verify return code: 0 (ok)", "Protocol  : TLSv1.2", "Extended master secret: yes", "Secure Renegotiation IS supported"} {
				if !strings.Contains(out, w) {
					t.Errorf("s_client output lacks %q", w)
				}
			}
		})
	}
}

// TLS 1.2 resumption with openssl, by ticket and by session ID, both
// roles.
func TestOpenSSLTLS12Resumption(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	for _, ticket := range []bool{true, false} {
		name := "ticket"
		if !ticket {
			name = "session-id"
		}
		t.Run("s_server/"+name, func(t *testing.T) {
			_, ca, cert, key := peerFiles(t, testcerts.P256)
			args := []string{"s_server", "-accept", "127.0.0.1:0", "-naccept", "2", "-cert", cert, "-key", key, "-tls1_2", "-www"}
			if !ticket {
				args = append(args, "-no_ticket")
			}
			p := startPeer(t, false, openssl, args...)
			if !p.out.WaitFor("ACCEPT", 10*time.Second) {
				t.Fatal("s_server did not start")
			}
			addr := strings.TrimSpace(strings.SplitN(strings.SplitN(p.out.String(), "ACCEPT ", 2)[1], "\n", 2)[0])
			cfg := haspClientConfig()
			cfg.RootCAs = loadPool(t, ca)
			cfg.MaxVersion = hasp.VersionTLS12
			cfg.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
			for i := 0; i < 2; i++ {
				conn, err := hasp.Dial("tcp", addr, cfg)
				if err != nil {
					t.Fatalf("dial %d: %v", i, err)
				}
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
				body, _ := io.ReadAll(conn)
				conn.Close()
				if got := conn.ConnectionState().DidResume; got != (i == 1) {
					t.Fatalf("connection %d resumed %v", i, got)
				}
				if i == 1 && !strings.Contains(string(body), "Reused, TLSv1.2") {
					t.Errorf("s_server did not reuse:\n%.300s", body)
				}
			}
		})
		t.Run("s_client/"+name, func(t *testing.T) {
			_, ca, _, _ := peerFiles(t, testcerts.P256)
			sess := t.TempDir() + "/sess.pem"
			ln := listenLoopback(t)
			cfg := haspServerConfig(testcerts.P256)
			cfg.MaxVersion = hasp.VersionTLS12
			resumed := make(chan bool, 2)
			serveEach(ln, cfg, 10*time.Second, replyToLine(func(line string, st hasp.ConnectionState) string {
				resumed <- st.DidResume
				return "got " + line + "\n"
			}))
			for i, flag := range []string{"-sess_out", "-sess_in"} {
				args := []string{"s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
					"-CAfile", ca, "-tls1_2", "-ign_eof", flag, sess}
				if !ticket {
					args = append(args, "-no_ticket")
				}
				p := startPeer(t, true, openssl, args...)
				io.WriteString(p.stdin, "hello\n")
				if !p.out.WaitFor("got hello", 10*time.Second) {
					t.Fatalf("connection %d: no echo", i)
				}
				if r := <-resumed; r != (i == 1) {
					t.Fatalf("connection %d: hasp DidResume %v", i, r)
				}
				p.stdin.Close()
				p.cmd.Wait()
				if i == 1 && !strings.Contains(p.out.String(), "Reused, TLSv1.2") {
					t.Errorf("s_client did not reuse the session")
				}
			}
		})
	}
}

// openssl s_server's R command asks a TLS 1.2 client to renegotiate (a
// HelloRequest); hasp refuses with a no_renegotiation warning (RFC 5246
// section 7.4.1.1). What happens next is the server's choice: OpenSSL
// ends the connection with handshake_failure, which hasp reports as the
// peer's alert.
func TestOpenSSLRenegotiationRefused(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	p, addr := startSServer(t, true, "-cert", cert, "-key", key, "-tls1_2", "-msg")
	cfg := haspClientConfig()
	cfg.RootCAs = loadPool(t, ca)
	cfg.MaxVersion = hasp.VersionTLS12
	conn, err := hasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(conn, "hi\n")
	p.out.WaitFor("hi", 5*time.Second)
	io.WriteString(p.stdin, "R\n")
	if !p.out.WaitFor("HelloRequest", 5*time.Second) {
		t.Fatal("s_server sent no HelloRequest")
	}
	_, err = conn.Read(make([]byte, 16))
	var ae *hasp.AlertError
	if !errors.As(err, &ae) || !ae.Remote || ae.Alert != hasp.AlertHandshakeFailure {
		t.Fatalf("read: %v; want OpenSSL's handshake_failure after our warning", err)
	}
	if !p.out.WaitFor("<<< TLS 1.2, Alert [length 0002], warning no_renegotiation", 5*time.Second) {
		t.Errorf("s_server did not receive a no_renegotiation warning")
	}
}

// openssl s_client's R command renegotiates from the client side; the
// hasp server answers no_renegotiation as a warning.
func TestOpenSSLRenegotiationFromClient(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	_, ca, _, _ := peerFiles(t, testcerts.P256)
	ln := listenLoopback(t)
	cfg := haspServerConfig(testcerts.P256)
	cfg.MaxVersion = hasp.VersionTLS12
	serveOne(ln, cfg, 15*time.Second, func(conn *hasp.Conn) error {
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			fmt.Fprintf(conn, "echo %s", line)
		}
	})
	p := startPeer(t, true, openssl, "s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
		"-CAfile", ca, "-tls1_2", "-msg")
	io.WriteString(p.stdin, "one\n")
	if !p.out.WaitFor("echo one", 10*time.Second) {
		t.Fatal("no echo")
	}
	io.WriteString(p.stdin, "R\n")
	if !p.out.WaitFor("warning no_renegotiation", 5*time.Second) {
		t.Fatalf("s_client did not receive a no_renegotiation warning")
	}
}

// Pre-shared keys over TLS 1.2 (RFC 4279): a hasp client against
// openssl s_server -psk with no certificate at all.
func TestOpenSSLPSK12(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p, addr := startSServer(t, true, "-tls1_2", "-nocert", "-psk", hex.EncodeToString(key), "-psk_identity", "client-1",
		"-psk_hint", "hint-1", "-cipher", "PSK-AES128-GCM-SHA256")
	cfg := &hasp.Config{CipherSuites: []uint16{hasp.TLS_PSK_WITH_AES_128_GCM_SHA256},
		PSK: &hasp.PSKConfig{ClientKey: func(hint []byte) ([]byte, []byte, error) {
			if string(hint) != "hint-1" {
				return nil, nil, fmt.Errorf("hint %q", hint)
			}
			return []byte("client-1"), key, nil
		}}}
	conn, err := hasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	if st.CipherSuite != hasp.TLS_PSK_WITH_AES_128_GCM_SHA256 || string(st.PSKIdentity) != "client-1" || st.Version != hasp.VersionTLS12 {
		t.Fatalf("negotiated %s %s, identity %q", hasp.VersionName(st.Version), hasp.CipherSuiteName(st.CipherSuite), st.PSKIdentity)
	}
	io.WriteString(conn, "psk over tls\n")
	if !p.out.WaitFor("psk over tls", 10*time.Second) {
		t.Fatal("s_server did not print what hasp sent")
	}
}
