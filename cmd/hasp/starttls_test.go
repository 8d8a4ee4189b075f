package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/starttls"
)

// hasp connect --starttls smtp: EHLO, STARTTLS, the handshake with its
// trace and verdict, EHLO again, then the session.
func TestConnectSTARTTLS(t *testing.T) {
	ca := testcerts.NewCA("connect starttls CA")
	leaf := ca.Issue(testcerts.P256, "localhost", "127.0.0.1")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var rw io.ReadWriter = c
		r := bufio.NewReader(c)
		io.WriteString(rw, "220 mail.test ESMTP hasp\r\n")
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(l)); {
			case strings.HasPrefix(cmd, "EHLO") && rw == io.ReadWriter(c):
				io.WriteString(rw, "250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(rw, "250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n")
			case cmd == "STARTTLS":
				tc, _, err := starttls.ServeSMTP(c, r, cfg)
				if err != nil {
					return
				}
				rw, r = tc, bufio.NewReader(tc)
			case cmd == "QUIT":
				io.WriteString(rw, "221 2.0.0 bye\r\n")
				if tc, ok := rw.(*hasp.Conn); ok {
					tc.Close()
				}
				return
			}
		}
	}()
	code, stdout, stderr := connectTo(t, "QUIT\r\n", "--starttls", "smtp", "--cafile", caFile, ln.Addr().String())
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"smtp: mail.test ESMTP hasp", "smtp offers: PIPELINING, STARTTLS", "smtp offers over TLS: AUTH PLAIN LOGIN", "Trust: trusted"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	t.Logf("stderr:\n%s\nstdout:\n%s", stderr, stdout)
	if !strings.Contains(stdout, "221 2.0.0 bye") {
		t.Errorf("stdout %q", stdout)
	}
	if code, _, stderr := connectTo(t, "", "--starttls", "gopher", "127.0.0.1:1"); code != exitUsage || !strings.Contains(stderr, "want one of") {
		t.Errorf("unknown protocol: exit %d\n%s", code, stderr)
	}
}
