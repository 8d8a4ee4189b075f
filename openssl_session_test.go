package hasp_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

// hasp client resumes against openssl s_server.
func TestOpenSSLResumptionServer(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	openssl := testutil.NeedPeer(t, "openssl")
	p := startPeer(t, false, openssl, "s_server", "-accept", "127.0.0.1:0", "-naccept", "2", "-cert", cert, "-key", key, "-tls1_3", "-www")
	if !p.out.WaitFor("ACCEPT", 10*time.Second) {
		t.Fatal("s_server did not start")
	}
	addr := strings.TrimSpace(strings.SplitN(strings.SplitN(p.out.String(), "ACCEPT ", 2)[1], "\n", 2)[0])
	cfg := haspClientConfig()
	cfg.RootCAs = loadPool(t, ca)
	cfg.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
	for i := 0; i < 2; i++ {
		conn, err := hasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
		body, err := io.ReadAll(conn)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		resumed := conn.ConnectionState().DidResume
		if resumed != (i == 1) {
			t.Fatalf("connection %d: DidResume %v", i, resumed)
		}
		if i == 1 && !strings.Contains(string(body), "Reused, TLSv1.3") {
			t.Errorf("s_server does not report a reused session:\n%.300s", body)
		}
		conn.Close()
	}
}

// openssl s_client -sess_out, then -sess_in, against one hasp server.
func TestOpenSSLResumptionClient(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	_, ca, _, _ := peerFiles(t, testcerts.P256)
	sess := filepath.Join(t.TempDir(), "sess.pem")
	ln := listenLoopback(t)
	cfg := haspServerConfig(testcerts.P256)
	resumed := make(chan bool, 2)
	serveEach(ln, cfg, 15*time.Second, replyToLine(func(line string, st hasp.ConnectionState) string {
		resumed <- st.DidResume
		return "got " + line + "\n"
	}))
	for i, flag := range []string{"-sess_out", "-sess_in"} {
		p := startPeer(t, true, openssl, "s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
			"-CAfile", ca, "-tls1_3", "-ign_eof", flag, sess)
		// The server sends its tickets before it reads this line, so
		// s_client has them by the time the echo comes back.
		io.WriteString(p.stdin, "hello\n")
		if !p.out.WaitFor("got hello", 10*time.Second) {
			t.Fatalf("connection %d: no echo", i)
		}
		if r := <-resumed; r != (i == 1) {
			t.Fatalf("connection %d: hasp DidResume %v", i, r)
		}
		p.stdin.Close()
		p.cmd.Wait()
		if i == 1 && !strings.Contains(p.out.String(), "Reused, TLSv1.3") {
			t.Errorf("s_client did not reuse the session")
		}
		if i == 0 {
			if st, err := os.Stat(sess); err != nil || st.Size() == 0 {
				t.Fatalf("no session saved: %v", err)
			}
		}
	}
}

// Client certificates with openssl s_server: -verify (request) and
// -Verify (require).
func TestOpenSSLClientAuthServer(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	client := testCA.IssueWith(testcerts.Ed25519, testcerts.Options{Client: true}, "hasp-client")
	t.Run("require, certificate given", func(t *testing.T) {
		_, addr := startSServer(t, false, "-cert", cert, "-key", key, "-tls1_3", "-Verify", "1", "-verifyCAfile", ca, "-verify_return_error", "-www")
		cfg := haspClientConfig()
		cfg.RootCAs = loadPool(t, ca)
		cfg.Certificates = []hasp.Certificate{haspCert(client)}
		conn, err := hasp.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n")
		body, err := io.ReadAll(conn)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "hasp-client") {
			t.Errorf("s_server page does not show the client certificate:\n%.500s", body)
		}
	})
	t.Run("require, none given: certificate_required", func(t *testing.T) {
		_, addr := startSServer(t, false, "-cert", cert, "-key", key, "-tls1_3", "-Verify", "1", "-verifyCAfile", ca, "-www")
		cfg := haspClientConfig()
		cfg.RootCAs = loadPool(t, ca)
		conn, err := hasp.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err) // TLS 1.3: the client finishes before the server decides
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		var ae *hasp.AlertError
		if !errors.As(err, &ae) || !ae.Remote || ae.Alert != hasp.AlertCertificateRequired {
			t.Fatalf("read: %v; want certificate_required from the server", err)
		}
	})
}

// openssl s_client with and without a certificate against a hasp server
// that requires and verifies one.
func TestOpenSSLClientAuthClient(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	dir, ca, _, _ := peerFiles(t, testcerts.P256)
	client := testCA.IssueWith(testcerts.P384, testcerts.Options{Client: true}, "openssl-client")
	ccert, ckey := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	os.WriteFile(ccert, client.ChainPEM(), 0o600)
	os.WriteFile(ckey, client.KeyPEM(), 0o600)
	for _, withCert := range []bool{true, false} {
		t.Run(fmt.Sprintf("certificate=%v", withCert), func(t *testing.T) {
			ln := listenLoopback(t)
			cfg := haspServerConfig(testcerts.P256)
			cfg.ClientAuth, cfg.ClientCAs = hasp.RequireAndVerifyClientCert, testCA.Pool()
			result := serveOne(ln, cfg, 10*time.Second, func(conn *hasp.Conn) error {
				if err := conn.Handshake(); err != nil {
					return err
				}
				pc := conn.ConnectionState().PeerCertificates
				if len(pc) == 0 || pc[0].Subject.CommonName != "openssl-client" {
					return fmt.Errorf("client chain %v", pc)
				}
				_, err := io.WriteString(conn, "welcome\n")
				return err
			})
			args := []string{"s_client", "-connect", ln.Addr().String(), "-servername", "localhost", "-CAfile", ca, "-tls1_3", "-ign_eof"}
			if withCert {
				args = append(args, "-cert", ccert, "-key", ckey)
			}
			p := startPeer(t, true, openssl, args...)
			err := <-result
			if withCert {
				if err != nil {
					t.Fatal(err)
				}
				if !p.out.WaitFor("welcome", 10*time.Second) {
					t.Fatal("s_client did not get the greeting")
				}
				return
			}
			var ae *hasp.AlertError
			if !errors.As(err, &ae) || ae.Alert != hasp.AlertCertificateRequired {
				t.Fatalf("hasp server: %v; want certificate_required", err)
			}
			if !p.out.WaitFor("certificate required", 10*time.Second) {
				t.Errorf("s_client did not report the alert")
			}
		})
	}
}
