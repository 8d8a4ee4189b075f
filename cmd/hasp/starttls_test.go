package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
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
	addr := smtpServer(t, hasp.Certificate{Certificate: leaf.Chain, PrivateKey: leaf.Key, Leaf: leaf.Cert}, smtpScript{
		greeting: "220 mail.test ESMTP hasp\r\n", ehlo: "250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
		ehloTLS: "250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n", quit: "221 2.0.0 bye\r\n", startTLS: true,
	})
	code, stdout, stderr := connectTo(t, "QUIT\r\n", "--starttls", "smtp", "--cafile", caFile, addr)
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
