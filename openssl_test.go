package hasp_test

import (
	"bufio"
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

var opensslGroups = []struct {
	name string
	id   hasp.CurveID
}{{"X25519", hasp.X25519}, {"P-256", hasp.CurveP256}}

// hasp client against openssl s_server -www: each TLS 1.3 suite, x25519
// and P-256.
func TestOpenSSLServer(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	for _, id := range suites {
		for _, g := range opensslGroups {
			name := hasp.CipherSuiteName(id)
			t.Run(name+"/"+g.name, func(t *testing.T) {
				_, addr := startSServer(t, false, "-cert", cert, "-key", key, "-tls1_3", "-ciphersuites", name, "-groups", g.name, "-www")
				cfg := haspClientConfig()
				cfg.RootCAs = loadPool(t, ca)
				conn, err := hasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				st := conn.ConnectionState()
				if st.CipherSuite != id || st.CurveID != g.id {
					t.Errorf("negotiated %s with %s", hasp.CipherSuiteName(st.CipherSuite), st.CurveID)
				}
				if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(conn)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if !strings.Contains(string(body), "TLSv1.3") || !strings.Contains(string(body), name) {
					t.Errorf("s_server page does not show TLSv1.3 and %s:\n%.400s", name, body)
				}
			})
		}
	}
}

// openssl s_client against a hasp server: each suite, x25519 and P-256,
// with s_client verifying the chain.
func TestOpenSSLClient(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	_, ca, _, _ := peerFiles(t, testcerts.P256)
	for _, id := range suites {
		for _, g := range opensslGroups {
			name := hasp.CipherSuiteName(id)
			t.Run(name+"/"+g.name, func(t *testing.T) {
				ln := listenLoopback(t)
				done := serveOne(ln, haspServerConfig(testcerts.P256), 15*time.Second, replyToLine(func(line string, st hasp.ConnectionState) string {
					return fmt.Sprintf("hasp heard %q over %s/%s\n", line, hasp.CipherSuiteName(st.CipherSuite), st.CurveID)
				}))
				p := startPeer(t, true, openssl, "s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
					"-CAfile", ca, "-verify_return_error", "-tls1_3", "-ciphersuites", name, "-groups", g.name, "-ign_eof")
				io.WriteString(p.stdin, "ping\n")
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf("hasp heard \"ping\" over %s/%s", name, g.id)
				if !p.out.WaitFor(want, 10*time.Second) {
					t.Fatalf("s_client did not print %q", want)
				}
				out := p.out.String()
				for _, w := range []string{"Verify return code: 0 (ok)", "TLSv1.3", name} {
					if !strings.Contains(out, w) {
						t.Errorf("s_client output lacks %q", w)
					}
				}
			})
		}
	}
}

// openssl s_server's K command sends a KeyUpdate with update_requested;
// the hasp client answers with its own before its next application data
// (RFC 8446 4.6.3), and data flows both ways under the new keys.
func TestOpenSSLKeyUpdateFromServer(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	p, addr := startSServer(t, true, "-cert", cert, "-key", key, "-tls1_3", "-msg")
	cfg := haspClientConfig()
	cfg.RootCAs = loadPool(t, ca)
	conn, err := hasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	r := bufio.NewReader(conn)
	if !p.out.WaitFor("CIPHER is", 10*time.Second) && !p.out.WaitFor("Cipher is", 1*time.Second) {
		t.Log("s_server did not report the cipher; going on")
	}
	io.WriteString(p.stdin, "K\n")
	// s_server treats a whole read from stdin as one command: wait until
	// the KeyUpdate went out before sending data.
	if !p.out.WaitFor(">>> TLS 1.3, Handshake [length 0005], KeyUpdate", 5*time.Second) {
		t.Fatalf("s_server did not send a KeyUpdate")
	}
	io.WriteString(p.stdin, "after-update\n")
	line, err := r.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "after-update" {
		t.Fatalf("read after KeyUpdate: %q %v", line, err)
	}
	io.WriteString(conn, "client-after-update\n")
	const answer = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"
	if !p.out.WaitFor(answer, 5*time.Second) {
		t.Fatalf("s_server never received hasp's answering KeyUpdate")
	}
	if !p.out.WaitFor("client-after-update", 5*time.Second) {
		t.Fatalf("s_server did not read data sent under the new key")
	}
	if out := p.out.String(); strings.Index(out, answer) > strings.Index(out, "client-after-update") {
		t.Fatalf("hasp's KeyUpdate came after its data")
	}
	if n := strings.Count(p.out.String(), answer); n != 1 {
		t.Fatalf("s_server received %d KeyUpdates from hasp, want 1", n)
	}
}

// openssl s_server's k command: a KeyUpdate without update_requested,
// which the hasp client takes without answering.
func TestOpenSSLKeyUpdateNotRequested(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	p, addr := startSServer(t, true, "-cert", cert, "-key", key, "-tls1_3", "-msg")
	cfg := haspClientConfig()
	cfg.RootCAs = loadPool(t, ca)
	conn, err := hasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(conn, "hello\n")
	p.out.WaitFor("hello", 5*time.Second)
	io.WriteString(p.stdin, "k\n")
	if !p.out.WaitFor(">>> TLS 1.3, Handshake [length 0005], KeyUpdate", 5*time.Second) {
		t.Fatalf("s_server did not send a KeyUpdate")
	}
	io.WriteString(p.stdin, "after\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "after" {
		t.Fatalf("read %q, %v", line, err)
	}
	io.WriteString(conn, "client-still-here\n")
	if !p.out.WaitFor("client-still-here", 5*time.Second) {
		t.Fatal("s_server did not read the client after the update")
	}
	if strings.Contains(p.out.String(), "<<< TLS 1.3, Handshake [length 0005], KeyUpdate") {
		t.Error("hasp answered a KeyUpdate that did not ask for one")
	}
}

// openssl s_client's K command against a hasp server.
func TestOpenSSLKeyUpdateFromClient(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	_, ca, _, _ := peerFiles(t, testcerts.P256)
	ln := listenLoopback(t)
	got := make(chan string, 4)
	serveOne(ln, haspServerConfig(testcerts.P256), 20*time.Second, func(conn *hasp.Conn) error {
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(got)
				return err
			}
			got <- strings.TrimSpace(line)
			fmt.Fprintf(conn, "echo %s", line)
		}
	})
	p := startPeer(t, true, openssl, "s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
		"-CAfile", ca, "-tls1_3", "-msg")
	io.WriteString(p.stdin, "one\n")
	if v := <-got; v != "one" {
		t.Fatalf("got %q", v)
	}
	io.WriteString(p.stdin, "K\n")
	if !p.out.WaitFor(">>> TLS 1.3, Handshake [length 0005], KeyUpdate", 5*time.Second) {
		t.Fatalf("s_client did not send a KeyUpdate")
	}
	io.WriteString(p.stdin, "two\n")
	if v := <-got; v != "two" {
		t.Fatalf("after KeyUpdate got %q", v)
	}
	if !p.out.WaitFor("echo two", 5*time.Second) {
		t.Fatalf("s_client did not read the echo after the update")
	}
	if !p.out.WaitFor("<<< TLS 1.3, Handshake [length 0005], KeyUpdate", 5*time.Second) {
		t.Fatalf("s_client never received hasp's answering KeyUpdate")
	}
}
