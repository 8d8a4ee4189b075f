package hasp_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

var gnutlsVersions = []struct {
	name     string
	priority string
	version  uint16
}{
	{"TLS1.2", "NORMAL:-VERS-ALL:+VERS-TLS1.2", hasp.VersionTLS12},
	{"TLS1.3", "NORMAL:-VERS-ALL:+VERS-TLS1.3", hasp.VersionTLS13},
}

// freePort finds a loopback port for a peer that cannot report the one
// it bound.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hasp client against gnutls-serv (echo), TLS 1.2 and 1.3.
func TestGnuTLSServer(t *testing.T) {
	serv := testutil.NeedPeer(t, "gnutls-serv")
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	for _, v := range gnutlsVersions {
		t.Run(v.name, func(t *testing.T) {
			port := freePort(t)
			p := startPeer(t, false, serv, "-p", strconv.Itoa(port), "--echo", "--x509certfile", cert, "--x509keyfile", key, "--priority", v.priority)
			if !p.out.WaitFor("listening", 10*time.Second) {
				t.Fatal("gnutls-serv did not start")
			}
			cfg := haspClientConfig()
			cfg.RootCAs = loadPool(t, ca)
			var conn *hasp.Conn
			var err error
			for i := 0; i < 50; i++ {
				conn, err = hasp.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", fmt.Sprintf("127.0.0.1:%d", port), cfg)
				if err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if st := conn.ConnectionState(); st.Version != v.version {
				t.Fatalf("negotiated %s", hasp.VersionName(st.Version))
			}
			io.WriteString(conn, "ping\n")
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil || strings.TrimSpace(line) != "ping" {
				t.Fatalf("echo %q, %v", line, err)
			}
		})
	}
}

// gnutls-cli against a hasp server, TLS 1.2 and 1.3, verifying the chain.
func TestGnuTLSClient(t *testing.T) {
	cli := testutil.NeedPeer(t, "gnutls-cli")
	_, ca, _, _ := peerFiles(t, testcerts.P256)
	for _, v := range gnutlsVersions {
		t.Run(v.name, func(t *testing.T) {
			ln := listenLoopback(t)
			done := serveOne(ln, haspServerConfig(testcerts.P256), 15*time.Second, replyToLine(func(line string, st hasp.ConnectionState) string {
				return fmt.Sprintf("hasp heard %s over %s\n", line, hasp.VersionName(st.Version))
			}))
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			p := startPeer(t, true, cli, "--x509cafile", ca, "--verify-hostname", "localhost", "--sni-hostname", "localhost",
				"-p", port, "127.0.0.1", "--priority", v.priority)
			io.WriteString(p.stdin, "hello\n")
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			want := "hasp heard hello over " + hasp.VersionName(v.version)
			if !p.out.WaitFor(want, 10*time.Second) {
				t.Fatalf("gnutls-cli did not print %q", want)
			}
			if !strings.Contains(p.out.String(), "("+v.name+"-X.509)") {
				t.Errorf("gnutls-cli did not report %s", v.name)
			}
		})
	}
}
