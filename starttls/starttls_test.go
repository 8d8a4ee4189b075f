package starttls_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
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
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/starttls"
)

var (
	ca   = testcerts.NewCA("starttls test CA")
	leaf = ca.Issue(testcerts.P256, "localhost", "127.0.0.1")
)

func tlsServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
}

func clientConfig() *hasp.Config {
	return &hasp.Config{ServerName: "localhost", RootCAs: ca.Pool()}
}

// fakeServer runs script on one accepted connection: the plaintext part
// (it reads and writes through the bufio pair), then the TLS part over a
// crypto/tls server connection.
func fakeServer(t *testing.T, plain func(r *bufio.Reader, w io.Writer) bool, secure func(c *tls.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		if !plain(r, c) {
			return
		}
		tc := tls.Server(c, tlsServerConfig())
		if tc.Handshake() != nil {
			return
		}
		if secure != nil {
			secure(tc)
		}
	}()
	return ln.Addr().String()
}

func readLine(r *bufio.Reader) string {
	l, _ := r.ReadString('\n')
	return strings.TrimRight(l, "\r\n")
}

func dial(t *testing.T, proto starttls.Protocol, addr string) (*hasp.Conn, *starttls.Announced, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return starttls.Dial(ctx, proto, addr, clientConfig())
}

// echoLine answers one line over TLS with "echo: line".
func echoLine(c *tls.Conn) {
	r := bufio.NewReader(c)
	fmt.Fprintf(c, "echo: %s\r\n", readLine(r))
}

func checkEcho(t *testing.T, c *hasp.Conn) {
	t.Helper()
	fmt.Fprintf(c, "hello over tls\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if l := readLine(bufio.NewReader(c)); l != "echo: hello over tls" {
		t.Fatalf("after the upgrade: %q", l)
	}
}

// Each protocol's dialog against a server that follows its RFC, then data
// over TLS.
func TestProtocols(t *testing.T) {
	smtp := func(verb string) func(r *bufio.Reader, w io.Writer) bool {
		return func(r *bufio.Reader, w io.Writer) bool {
			io.WriteString(w, "220-mail.test ESMTP\r\n220 second greeting line\r\n")
			if !strings.HasPrefix(readLine(r), verb+" ") {
				return false
			}
			io.WriteString(w, "250-mail.test\r\n250-SIZE 1000000\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
			if readLine(r) != "STARTTLS" {
				return false
			}
			io.WriteString(w, "220 2.0.0 Ready\r\n")
			return true
		}
	}
	smtpTLS := func(verb string) func(c *tls.Conn) {
		return func(c *tls.Conn) {
			r := bufio.NewReader(c)
			if strings.HasPrefix(readLine(r), verb+" ") {
				io.WriteString(c, "250-mail.test\r\n250 AUTH PLAIN\r\n")
			}
			echoLine(c)
		}
	}
	cases := []struct {
		proto  starttls.Protocol
		plain  func(r *bufio.Reader, w io.Writer) bool
		secure func(c *tls.Conn)
		check  func(t *testing.T, a *starttls.Announced)
	}{
		{starttls.SMTP, smtp("EHLO"), smtpTLS("EHLO"), func(t *testing.T, a *starttls.Announced) {
			if a.Banner != "mail.test ESMTP\nsecond greeting line" || !a.Has("SIZE") || len(a.CapabilitiesTLS) != 1 || a.CapabilitiesTLS[0] != "AUTH PLAIN" {
				t.Errorf("announced %+v", a)
			}
		}},
		{starttls.LMTP, smtp("LHLO"), smtpTLS("LHLO"), nil},
		{starttls.IMAP, func(r *bufio.Reader, w io.Writer) bool {
			io.WriteString(w, "* OK [CAPABILITY IMAP4rev1] ready\r\n")
			if readLine(r) != "a1 CAPABILITY" {
				return false
			}
			io.WriteString(w, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\n")
			if readLine(r) != "a2 STARTTLS" {
				return false
			}
			io.WriteString(w, "a2 OK Begin TLS\r\n")
			return true
		}, echoLine, func(t *testing.T, a *starttls.Announced) {
			if !a.Has("LOGINDISABLED") || !strings.HasPrefix(a.Banner, "* OK") {
				t.Errorf("announced %+v", a)
			}
		}},
		{starttls.POP3, func(r *bufio.Reader, w io.Writer) bool {
			io.WriteString(w, "+OK POP3 ready\r\n")
			if readLine(r) != "CAPA" {
				return false
			}
			io.WriteString(w, "+OK\r\nUSER\r\nSTLS\r\n.\r\n")
			if readLine(r) != "STLS" {
				return false
			}
			io.WriteString(w, "+OK go\r\n")
			return true
		}, echoLine, nil},
		{starttls.FTP, func(r *bufio.Reader, w io.Writer) bool {
			io.WriteString(w, "220 FTP ready\r\n")
			if readLine(r) != "FEAT" {
				return false
			}
			io.WriteString(w, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n")
			if readLine(r) != "AUTH TLS" {
				return false
			}
			io.WriteString(w, "234 AUTH TLS OK.\r\n")
			return true
		}, echoLine, func(t *testing.T, a *starttls.Announced) {
			if !a.Has("AUTH") || !a.Has("PBSZ") {
				t.Errorf("announced %+v", a)
			}
		}},
		{starttls.Postgres, func(r *bufio.Reader, w io.Writer) bool {
			b := make([]byte, 8)
			if _, err := io.ReadFull(r, b); err != nil || string(b) != "\x00\x00\x00\x08\x04\xd2\x16\x2f" {
				return false
			}
			io.WriteString(w, "S")
			return true
		}, echoLine, nil},
		{starttls.XMPP, func(r *bufio.Reader, w io.Writer) bool {
			var b []byte
			for !strings.HasSuffix(string(b), "version='1.0'>") {
				x, err := r.ReadByte()
				if err != nil {
					return false
				}
				b = append(b, x)
			}
			if !strings.Contains(string(b), "to='localhost'") {
				return false
			}
			io.WriteString(w, "<?xml version='1.0'?><stream:stream from='localhost' id='1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"+
				"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
			b = b[:0]
			for !strings.HasSuffix(string(b), "/>") {
				x, err := r.ReadByte()
				if err != nil {
					return false
				}
				b = append(b, x)
			}
			io.WriteString(w, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
			return true
		}, echoLine, func(t *testing.T, a *starttls.Announced) {
			if len(a.Capabilities) != 2 || a.Capabilities[0] != "starttls" || a.Capabilities[1] != "mechanisms" {
				t.Errorf("features %q", a.Capabilities)
			}
		}},
		{starttls.LDAP, func(r *bufio.Reader, w io.Writer) bool {
			b := make([]byte, 31)
			if _, err := io.ReadFull(r, b); err != nil || !strings.HasSuffix(string(b), "1.3.6.1.4.1.1466.20037") {
				return false
			}
			// ExtendedResponse, resultCode success, empty DN and message,
			// responseName the StartTLS OID.
			resp := []byte{0x30, 0x24, 0x02, 0x01, 0x01, 0x78, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x8a, 0x16}
			w.Write(append(resp, "1.3.6.1.4.1.1466.20037"...))
			return true
		}, echoLine, nil},
		{starttls.Sieve, func(r *bufio.Reader, w io.Writer) bool {
			io.WriteString(w, "\"IMPLEMENTATION\" \"test sieve\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\nOK\r\n")
			if readLine(r) != "STARTTLS" {
				return false
			}
			io.WriteString(w, "OK \"go\"\r\n")
			return true
		}, func(c *tls.Conn) {
			io.WriteString(c, "\"IMPLEMENTATION\" \"test sieve\"\r\n\"SASL\" \"PLAIN\"\r\nOK\r\n")
			echoLine(c)
		}, func(t *testing.T, a *starttls.Announced) {
			if a.Banner != "test sieve" || len(a.CapabilitiesTLS) != 2 {
				t.Errorf("announced %+v", a)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.proto), func(t *testing.T) {
			addr := fakeServer(t, tc.plain, tc.secure)
			c, ann, err := dial(t, tc.proto, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc.check != nil {
				tc.check(t, ann)
			}
			checkEcho(t, c)
		})
	}
}

// What goes wrong is said: not offered, refused, injected, too long.
func TestFailures(t *testing.T) {
	noTLS := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "220 mail.test\r\n")
		readLine(r)
		io.WriteString(w, "250-mail.test\r\n250 SIZE 100\r\n")
		return false
	}, nil)
	if _, _, err := dial(t, starttls.SMTP, noTLS); !errors.Is(err, starttls.ErrNotOffered) {
		t.Errorf("no STARTTLS: %v", err)
	}
	refused := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "220 mail.test\r\n")
		readLine(r)
		io.WriteString(w, "250-mail.test\r\n250 STARTTLS\r\n")
		readLine(r)
		io.WriteString(w, "454 4.7.0 TLS not available\r\n")
		return false
	}, nil)
	var re *starttls.RefusedError
	if _, _, err := dial(t, starttls.SMTP, refused); !errors.As(err, &re) || !strings.Contains(re.Reply, "454") {
		t.Errorf("refused: %v", err)
	}
	// Bytes after the go-ahead, in the same packet: response injection
	// (CVE-2011-1431 class).
	injected := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "220 mail.test\r\n")
		readLine(r)
		io.WriteString(w, "250-mail.test\r\n250 STARTTLS\r\n")
		readLine(r)
		io.WriteString(w, "220 go ahead\r\n250 injected\r\n")
		return false
	}, nil)
	if _, _, err := dial(t, starttls.SMTP, injected); !errors.Is(err, starttls.ErrResponseInjection) {
		t.Errorf("injection: %v", err)
	}
	pgInjected := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.ReadFull(r, make([]byte, 8))
		io.WriteString(w, "SE")
		return false
	}, nil)
	if _, _, err := dial(t, starttls.Postgres, pgInjected); !errors.Is(err, starttls.ErrResponseInjection) {
		t.Errorf("PostgreSQL injection (CVE-2021-23222 class): %v", err)
	}
	pgNo := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.ReadFull(r, make([]byte, 8))
		io.WriteString(w, "N")
		return false
	}, nil)
	if _, _, err := dial(t, starttls.Postgres, pgNo); !errors.Is(err, starttls.ErrNotOffered) {
		t.Errorf("PostgreSQL without SSL: %v", err)
	}
	// An endless banner line, and an endless multi-line banner.
	long := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "220 "+strings.Repeat("x", 10000))
		time.Sleep(time.Second)
		return false
	}, nil)
	if _, _, err := dial(t, starttls.SMTP, long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("endless line: %v", err)
	}
	many := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		for range 1000 {
			if _, err := io.WriteString(w, "220-more\r\n"); err != nil {
				return false
			}
		}
		return false
	}, nil)
	if _, _, err := dial(t, starttls.SMTP, many); err == nil || !strings.Contains(err.Error(), "256 lines") {
		t.Errorf("endless reply: %v", err)
	}
	// A server that drops the connection mid-upgrade.
	dropped := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "* OK ready\r\n")
		return false
	}, nil)
	if _, _, err := dial(t, starttls.IMAP, dropped); err == nil {
		t.Error("a dropped connection upgraded")
	}
}

// The server side: a small SMTP server built on ServeSMTP. A client that
// pipelines "STARTTLS\r\nRSET\r\n" in one packet gets TLS, and RSET,
// sent in the clear, is thrown away, never run.
func TestServerDiscardsPipelinedPlaintext(t *testing.T) {
	addr, events := smtpServer(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	readLine(r) // 220
	io.WriteString(c, "EHLO client\r\n")
	for l := readLine(r); !strings.HasPrefix(l, "250 "); l = readLine(r) {
	}
	io.WriteString(c, "STARTTLS\r\nRSET\r\n")
	if l := readLine(r); !strings.HasPrefix(l, "220") {
		t.Fatalf("STARTTLS answered %q", l)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	tc := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: pool})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tr := bufio.NewReader(tc)
	io.WriteString(tc, "EHLO client\r\n")
	for l := readLine(tr); !strings.HasPrefix(l, "250 "); l = readLine(tr) {
	}
	io.WriteString(tc, "QUIT\r\n")
	readLine(tr)
	var got []string
	for e := range events {
		got = append(got, e)
	}
	if strings.Join(got, ",") != "discarded 6,EHLO,QUIT" {
		t.Fatalf("server saw %v", got)
	}
}

// smtpServer serves one SMTP session with STARTTLS through ServeSMTP and
// reports what it did.
func smtpServer(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	events := make(chan string, 16)
	cfg := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
	go func() {
		defer close(events)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var rw io.ReadWriter = c
		var tconn *hasp.Conn
		r := bufio.NewReader(c)
		secure := false
		io.WriteString(rw, "220 hasp test ESMTP\r\n")
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(l))
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				if secure {
					events <- "EHLO"
					io.WriteString(rw, "250-hasp\r\n250 AUTH PLAIN\r\n")
				} else {
					io.WriteString(rw, "250-hasp\r\n250 STARTTLS\r\n")
				}
			case cmd == "STARTTLS" && !secure:
				tc, n, err := starttls.ServeSMTP(c, r, cfg)
				if err != nil {
					return
				}
				events <- fmt.Sprintf("discarded %d", n)
				rw, r, secure, tconn = tc, bufio.NewReader(tc), true, tc
			case cmd == "RSET":
				events <- "RSET"
				io.WriteString(rw, "250 OK\r\n")
			case cmd == "QUIT":
				events <- "QUIT"
				io.WriteString(rw, "221 bye\r\n")
				if tconn != nil {
					tconn.Close() // with close_notify
				}
				return
			default:
				io.WriteString(rw, "500 what\r\n")
			}
		}
	}()
	return ln.Addr().String(), events
}

// openssl s_client -starttls smtp against the ServeSMTP server: it says
// EHLO, STARTTLS, verifies the chain over TLS, and QUIT goes through.
func TestOpenSSLClientSMTP(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	addr, events := smtpServer(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-starttls", "smtp", "-connect", addr, "-servername", "localhost",
		"-CAfile", caFile, "-verify_return_error", "-crlf", "-quiet")
	cmd.Stdin = strings.NewReader("EHLO openssl\nQUIT\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("s_client: %v\n%s", err, out)
	}
	var got []string
	for e := range events {
		got = append(got, e)
	}
	if strings.Join(got, ",") != "discarded 0,EHLO,QUIT" || !strings.Contains(string(out), "250 AUTH PLAIN") {
		t.Fatalf("server saw %v; s_client printed:\n%s", got, out)
	}
}

// Python's smtplib (a client many scripts use) against the ServeSMTP
// server: starttls(), then EHLO over TLS, with the test CA.
func TestPythonSMTPLib(t *testing.T) {
	python := testutil.NeedPeer(t, "python3")
	addr, events := smtpServer(t)
	host, port, _ := net.SplitHostPort(addr)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.PEM(), 0o600)
	script := `import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="python", timeout=10)
s._host = "localhost"  # the name to verify
s.starttls(context=ctx)
code, msg = s.ehlo()
print(code, msg.decode())
s.quit()
`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script, host, port, caFile).CombinedOutput()
	if err != nil {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	var got []string
	for e := range events {
		got = append(got, e)
	}
	if !strings.Contains(string(out), "250") || !strings.Contains(string(out), "AUTH PLAIN") || strings.Join(got, ",") != "discarded 0,EHLO,QUIT" {
		t.Fatalf("server saw %v; smtplib printed %s", got, out)
	}
}
