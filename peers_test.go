package hasp_test

import (
	"bufio"
	"context"
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
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

// peerFiles writes the test CA and a leaf of type kt as PEM files.
func peerFiles(t *testing.T, kt testcerts.KeyType) (dir, ca, cert, key string) {
	t.Helper()
	dir = t.TempDir()
	l := leaf(kt)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.key")
	for _, f := range []struct {
		name string
		data []byte
	}{{ca, testCA.PEM()}, {cert, l.ChainPEM()}, {key, l.KeyPEM()}} {
		if err := os.WriteFile(f.name, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return
}

// peerProc is a peer process the test started; it is killed (by its PID,
// through exec) when the test ends.
type peerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *testutil.SyncBuffer
}

func startPeer(t *testing.T, stdin bool, name string, args ...string) *peerProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, name, args...)
	p := &peerProc{cmd: cmd, out: &testutil.SyncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if stdin {
		w, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		p.stdin = w
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		if p.stdin != nil {
			p.stdin.Close()
		}
		cmd.Process.Kill()
		cmd.Wait()
		cancel()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// startSServer starts openssl s_server on a port of its choosing and
// returns its address.
func startSServer(t *testing.T, stdin bool, args ...string) (*peerProc, string) {
	t.Helper()
	openssl := testutil.NeedPeer(t, "openssl")
	p := startPeer(t, stdin, openssl, append([]string{"s_server", "-accept", "127.0.0.1:0", "-naccept", "1"}, args...)...)
	if !p.out.WaitFor("ACCEPT", 10*time.Second) {
		t.Fatalf("s_server did not start")
	}
	sc := bufio.NewScanner(strings.NewReader(p.out.String()))
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			return p, strings.TrimSpace(a)
		}
	}
	t.Fatalf("no ACCEPT line")
	return nil, ""
}

// listenLoopback listens on a free loopback port until the test ends.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serveOne accepts one connection on ln, serves it as a hasp server under
// a deadline of d with fn, and reports fn's error (or Accept's).
func serveOne(ln net.Listener, cfg *hasp.Config, d time.Duration, fn func(*hasp.Conn) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		done <- serveConn(c, cfg, d, fn)
	}()
	return done
}

// serveEach serves every connection ln accepts like serveOne, each in
// its own goroutine, until the listener closes; errors are dropped.
func serveEach(ln net.Listener, cfg *hasp.Config, d time.Duration, fn func(*hasp.Conn) error) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveConn(c, cfg, d, fn)
		}
	}()
}

func serveConn(c net.Conn, cfg *hasp.Config, d time.Duration, fn func(*hasp.Conn) error) error {
	conn := hasp.Server(c, cfg)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(d))
	return fn(conn)
}

// replyToLine reads one line and answers with reply(line, state).
func replyToLine(reply func(line string, st hasp.ConnectionState) string) func(*hasp.Conn) error {
	return func(conn *hasp.Conn) error {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return fmt.Errorf("server read: %v", err)
		}
		_, err = io.WriteString(conn, reply(strings.TrimSpace(line), conn.ConnectionState()))
		return err
	}
}

func loadPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificates in %s", file)
	}
	return p
}
