package dtls_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

const gnutlsDTLS12 = "NORMAL:-VERS-ALL:+VERS-DTLS1.2"

// freeUDPPort finds a loopback port for a peer that cannot report the
// one it bound.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startPeer runs a peer program until the test ends (killed by its PID).
func startPeer(t *testing.T, name string, args ...string) *peer {
	t.Helper()
	path := testutil.NeedPeer(t, name)
	p := startProgram(t, path, args...)
	return p
}

// hasp client against gnutls-serv --udp (echo).
func TestGnuTLSServer(t *testing.T) {
	_, cert, key := peerFiles(t, testcerts.P256)
	port := freeUDPPort(t)
	p := startPeer(t, "gnutls-serv", "--udp", "-p", strconv.Itoa(port), "--echo",
		"--x509certfile", cert, "--x509keyfile", key, "--priority", gnutlsDTLS12)
	if !p.out.WaitFor("listening", 10*time.Second) {
		t.Fatal("gnutls-serv did not start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := dtls.DialContext(ctx, "udp", "127.0.0.1:"+strconv.Itoa(port), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "ping from hasp")
}

// gnutls-cli --udp against a hasp Listener, verifying hasp's chain.
func TestGnuTLSClient(t *testing.T) {
	ca, _, _ := peerFiles(t, testcerts.P256)
	l, err := dtls.Listen("udp", "127.0.0.1:0", serverConfig(testcerts.P256))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveEcho(l)
	port := strconv.Itoa(l.Addr().(*net.UDPAddr).Port)
	p := startPeer(t, "gnutls-cli", "--udp", "--x509cafile", ca, "--verify-hostname", "localhost",
		"--sni-hostname", "localhost", "-p", port, "127.0.0.1", "--priority", gnutlsDTLS12)
	if !p.out.WaitFor("(DTLS1.2-X.509)", 15*time.Second) {
		t.Fatal("gnutls-cli did not connect over DTLS 1.2")
	}
	io.WriteString(p.stdin, "hello from gnutls\n")
	if !p.out.WaitFor("hello from gnutls", 10*time.Second) {
		t.Fatal("no echo seen by gnutls-cli")
	}
}
