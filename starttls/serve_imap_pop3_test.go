package starttls_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/starttls"
)

// A small IMAP and a small POP3 server built on ServeIMAP and ServePOP3,
// driven by OpenSSL's s_client and Python's imaplib and poplib, and by a
// client that pipelines a command after the upgrade command.

// lineServer serves one session: greeting first, then each command line
// goes to handle, which answers it, and says whether to upgrade through
// serve or to end. Events (what ran, what was discarded) go to the
// channel, closed at the end.
type lineServer struct {
	greeting string
	// handle answers cmd; upgrade means: call serve next.
	handle func(cmd string, secure bool, ev chan<- string) (reply string, upgrade, done bool)
	serve  func(c net.Conn, r *bufio.Reader, cmd string, cfg *hasp.Config) (*hasp.Conn, int, error)
}

func (s lineServer) start(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	events := make(chan string, 32)
	cfg := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
	go func() {
		defer close(events)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(15 * time.Second))
		var rw io.ReadWriter = c
		var tconn *hasp.Conn
		r := bufio.NewReader(c)
		io.WriteString(rw, s.greeting)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.TrimRight(l, "\r\n")
			reply, upgrade, done := s.handle(cmd, tconn != nil, events)
			if upgrade && tconn == nil {
				tc, n, err := s.serve(c, r, cmd, cfg)
				if err != nil {
					return
				}
				events <- fmt.Sprintf("discarded %d", n)
				if err := tc.Handshake(); err != nil {
					events <- "handshake: " + err.Error()
					return
				}
				rw, r, tconn = tc, bufio.NewReader(tc), tc
				continue
			}
			io.WriteString(rw, reply)
			if done {
				if tconn != nil {
					tconn.Close()
				}
				return
			}
		}
	}()
	return ln.Addr().String(), events
}

func collect(events <-chan string) string {
	var got []string
	for e := range events {
		got = append(got, e)
	}
	return strings.Join(got, ",")
}

// imapServer: STARTTLS through ServeIMAP; LOGIN only over TLS
// (LOGINDISABLED before, RFC 3501 6.2.3).
func imapServer(t *testing.T) (string, <-chan string) {
	return lineServer{
		greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hasp test IMAP ready\r\n",
		handle: func(line string, secure bool, ev chan<- string) (string, bool, bool) {
			f := strings.Fields(line)
			if len(f) < 2 {
				return "* BAD no tag\r\n", false, false
			}
			tag, cmd := f[0], strings.ToUpper(f[1])
			caps := "IMAP4rev1 STARTTLS LOGINDISABLED"
			if secure {
				caps = "IMAP4rev1 AUTH=PLAIN"
			}
			switch {
			case cmd == "CAPABILITY":
				return "* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n", false, false
			case cmd == "STARTTLS" && !secure:
				return "", true, false
			case cmd == "LOGIN" && secure:
				ev <- "LOGIN"
				return tag + " OK [CAPABILITY IMAP4rev1] LOGIN completed\r\n", false, false
			case cmd == "NOOP":
				ev <- "NOOP"
				return tag + " OK NOOP completed\r\n", false, false
			case cmd == "LOGOUT":
				ev <- "LOGOUT"
				return "* BYE hasp test IMAP\r\n" + tag + " OK LOGOUT completed\r\n", false, true
			}
			return tag + " BAD not here\r\n", false, false
		},
		serve: func(c net.Conn, r *bufio.Reader, cmd string, cfg *hasp.Config) (*hasp.Conn, int, error) {
			return starttls.ServeIMAP(c, r, strings.Fields(cmd)[0], cfg)
		},
	}.start(t)
}

// pop3Server: STLS through ServePOP3 (RFC 2595 section 4), CAPA (RFC
// 2449), USER/PASS only over TLS.
func pop3Server(t *testing.T) (string, <-chan string) {
	return lineServer{
		greeting: "+OK hasp test POP3 ready\r\n",
		handle: func(line string, secure bool, ev chan<- string) (string, bool, bool) {
			f := strings.Fields(line)
			if len(f) == 0 {
				return "-ERR empty\r\n", false, false
			}
			switch cmd := strings.ToUpper(f[0]); {
			case cmd == "CAPA":
				if secure {
					return "+OK\r\nUSER\r\nUIDL\r\n.\r\n", false, false
				}
				return "+OK\r\nSTLS\r\nUIDL\r\n.\r\n", false, false
			case cmd == "STLS" && !secure:
				return "", true, false
			case (cmd == "USER" || cmd == "PASS") && secure:
				ev <- cmd
				return "+OK\r\n", false, false
			case cmd == "STAT":
				ev <- "STAT"
				return "+OK 0 0\r\n", false, false
			case cmd == "QUIT":
				ev <- "QUIT"
				return "+OK bye\r\n", false, true
			}
			return "-ERR not here\r\n", false, false
		},
		serve: func(c net.Conn, r *bufio.Reader, _ string, cfg *hasp.Config) (*hasp.Conn, int, error) {
			return starttls.ServePOP3(c, r, cfg)
		},
	}.start(t)
}

func caFile(t *testing.T) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(name, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// openssl s_client -starttls imap|pop3: it reads the greeting, sends the
// upgrade command, verifies the chain, and the commands it then sends run
// over TLS.
func TestOpenSSLClientIMAPPOP3(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	for _, tc := range []struct {
		proto  string
		server func(*testing.T) (string, <-chan string)
		input  string
		events string
		answer string
	}{
		{"imap", imapServer, "a1 LOGIN u p\na2 LOGOUT\n", "discarded 0,LOGIN,LOGOUT", "a1 OK [CAPABILITY IMAP4rev1] LOGIN completed"},
		{"pop3", pop3Server, "USER u\nPASS p\nSTAT\nQUIT\n", "discarded 0,USER,PASS,STAT,QUIT", "+OK 0 0"},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			addr, events := tc.server(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, openssl, "s_client", "-starttls", tc.proto, "-connect", addr, "-servername", "localhost",
				"-CAfile", caFile(t), "-verify_return_error", "-crlf", "-quiet")
			cmd.Stdin = strings.NewReader(tc.input)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			if got := collect(events); got != tc.events || !strings.Contains(string(out), tc.answer) {
				t.Fatalf("server saw %q; s_client printed:\n%s", got, out)
			}
		})
	}
}

// Python's imaplib and poplib with starttls()/stls() and the test CA.
func TestPythonIMAPPOPLib(t *testing.T) {
	python := testutil.NeedPeer(t, "python3")
	for _, tc := range []struct {
		name   string
		server func(*testing.T) (string, <-chan string)
		script string
		events string
		answer string
	}{
		{"imaplib", imapServer, `import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=10)
m.host = "localhost"  # the name to verify
print(m.starttls(ssl_context=ctx))
print(m.capabilities)
print(m.login("u", "p"))
m.logout()
`, "discarded 0,LOGIN,LOGOUT", "AUTH=PLAIN"},
		{"poplib", pop3Server, `import poplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
p.host = "localhost"
print(p.stls(context=ctx))
p.user("u"); p.pass_("p")
print(p.stat())
p.quit()
`, "discarded 0,USER,PASS,STAT,QUIT", "(0, 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, events := tc.server(t)
			host, port, _ := net.SplitHostPort(addr)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, python, "-c", tc.script, host, port, caFile(t)).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.name, err, out)
			}
			if got := collect(events); got != tc.events || !strings.Contains(string(out), tc.answer) {
				t.Fatalf("server saw %q; %s printed:\n%s", got, tc.name, out)
			}
		})
	}
}

// The 2021 IMAP and POP3 kin of CVE-2011-0411: a command pipelined in the
// same packet as the upgrade command is thrown away, never run over TLS.
func TestServerDiscardsPipelinedIMAPPOP3(t *testing.T) {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, tc := range []struct {
		name    string
		server  func(*testing.T) (string, <-chan string)
		upgrade string
		answer  string
		after   string
		events  string
	}{
		{"imap", imapServer, "a1 STARTTLS\r\na2 NOOP\r\n", "a1 OK", "b1 LOGOUT\r\n", "discarded 9,LOGOUT"},
		{"pop3", pop3Server, "STLS\r\nSTAT\r\n", "+OK", "QUIT\r\n", "discarded 6,QUIT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, events := tc.server(t)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			readLine(r) // greeting
			io.WriteString(c, tc.upgrade)
			if l := readLine(r); !strings.HasPrefix(l, tc.answer) {
				t.Fatalf("upgrade answered %q", l)
			}
			if r.Buffered() != 0 {
				t.Fatalf("server wrote %d more plaintext bytes after its answer", r.Buffered())
			}
			tconn := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: pool})
			if err := tconn.Handshake(); err != nil {
				t.Fatal(err)
			}
			io.WriteString(tconn, tc.after)
			tr := bufio.NewReader(tconn)
			// The only answer over TLS is the one to the command sent
			// over TLS: nothing for the pipelined one.
			first := readLine(tr)
			if strings.Contains(first, "NOOP") || strings.HasPrefix(first, "+OK 0 0") {
				t.Fatalf("the pipelined command was answered over TLS: %q", first)
			}
			io.Copy(io.Discard, tr)
			if got := collect(events); got != tc.events {
				t.Fatalf("server saw %q", got)
			}
		})
	}
}
