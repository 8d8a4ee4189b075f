package hasp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

// Post-handshake authentication between hasp client and server, with
// application data in flight around it.
// phaPair connects a hasp client that offers post-handshake
// authentication (with a certificate "late-client") to a hasp server that
// can verify it.
func phaPair(t *testing.T) (*hasp.Conn, *hasp.Conn) {
	t.Helper()
	client := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "late-client")
	cc := haspClientConfig()
	cc.PostHandshakeAuth = true
	cc.Certificates = []hasp.Certificate{haspCert(client)}
	sc := haspServerConfig(testcerts.P256)
	sc.ClientCAs = testCA.Pool()
	return haspPair(t, cc, sc)
}

func TestPostHandshakeAuth(t *testing.T) {
	cli, srv := phaPair(t)
	// The client keeps reading (and so answers the request, which may
	// come before or after the server's "ping") and writing.
	go func() {
		io.WriteString(cli, "before ")
		io.ReadFull(cli, make([]byte, len("ping")))
		io.WriteString(cli, "after")
		io.Copy(io.Discard, cli)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go io.WriteString(srv, "ping")
	certs, err := srv.RequestClientCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if certs[0].Subject.CommonName != "late-client" || len(srv.ConnectionState().VerifiedChains) == 0 {
		t.Fatalf("chain %v, verified %v", certs, srv.ConnectionState().VerifiedChains)
	}
	got := make([]byte, len("before after"))
	if _, err := io.ReadFull(srv, got); err != nil || string(got) != "before after" {
		t.Fatalf("server read %q, %v", got, err)
	}
}

func TestPostHandshakeAuthNotOffered(t *testing.T) {
	cli, srv := haspPair(t, haspClientConfig(), haspServerConfig(testcerts.P256))
	_ = cli
	if _, err := srv.RequestClientCertificate(context.Background()); !errors.Is(err, hasp.ErrNoPostHandshakeAuth) {
		t.Fatalf("got %v", err)
	}
}

// openssl s_client -enable_pha against a hasp server that asks after the
// handshake.
func TestOpenSSLPostHandshakeAuthClient(t *testing.T) {
	openssl := testutil.NeedPeer(t, "openssl")
	dir, ca, _, _ := peerFiles(t, testcerts.P256)
	client := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "openssl-pha")
	ccert, ckey := filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key")
	os.WriteFile(ccert, client.ChainPEM(), 0o600)
	os.WriteFile(ckey, client.KeyPEM(), 0o600)
	ln := listenLoopback(t)
	sc := haspServerConfig(testcerts.P256)
	sc.ClientCAs = testCA.Pool()
	result := serveOne(ln, sc, 15*time.Second, func(conn *hasp.Conn) error {
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		certs, err := conn.RequestClientCertificate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(conn, "hello %s\n", certs[0].Subject.CommonName)
		return nil
	})
	p := startPeer(t, true, openssl, "s_client", "-connect", ln.Addr().String(), "-servername", "localhost",
		"-CAfile", ca, "-tls1_3", "-enable_pha", "-cert", ccert, "-key", ckey, "-ign_eof")
	io.WriteString(p.stdin, "go\n")
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if !p.out.WaitFor("hello openssl-pha", 10*time.Second) {
		t.Fatal("s_client did not get the greeting")
	}
}

// A hasp client answers openssl s_server's post-handshake
// CertificateRequest (its c command).
func TestOpenSSLPostHandshakeAuthServer(t *testing.T) {
	_, ca, cert, key := peerFiles(t, testcerts.P256)
	client := testCA.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "hasp-pha")
	p, addr := startSServer(t, true, "-cert", cert, "-key", key, "-tls1_3", "-verifyCAfile", ca, "-msg")
	cfg := haspClientConfig()
	cfg.RootCAs = loadPool(t, ca)
	cfg.PostHandshakeAuth = true
	cfg.Certificates = []hasp.Certificate{haspCert(client)}
	conn, err := hasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(conn, "hi\n")
	if !p.out.WaitFor("hi", 5*time.Second) {
		t.Fatal("s_server did not read")
	}
	io.WriteString(p.stdin, "c\n")
	if !p.out.WaitFor(">>> TLS 1.3, Handshake", 5*time.Second) {
		t.Fatal("no CertificateRequest sent")
	}
	// Reading makes the client process the request and answer.
	go func() {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(p.stdin, "done\n")
	}()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "done" {
		t.Fatalf("read %q, %v", line, err)
	}
	out := p.out.String()
	i := strings.LastIndex(out, "CertificateRequest")
	if i < 0 || !strings.Contains(out[i:], "<<< TLS 1.3, Handshake") || !strings.Contains(out[i:], "Finished") {
		t.Fatalf("s_server did not receive the answer:\n%s", out[max(0, i-200):])
	}
	if !strings.Contains(out[i:], "CN = hasp-pha") {
		t.Errorf("s_server did not see the client certificate")
	}
	if strings.Contains(out, "verify error") {
		t.Errorf("s_server could not verify the client chain")
	}
}
