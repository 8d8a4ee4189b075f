package dtls_test

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	piondtls "github.com/pion/dtls/v3"

	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// serveEcho accepts connections and echoes each message back.
func serveEcho(l *dtls.Listener) {
	for {
		c, err := l.AcceptDTLS()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 2048)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				c.Write(buf[:n])
			}
		}()
	}
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != msg {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

// A Listener answers new peers with a HelloVerifyRequest, then serves
// several at once on one socket.
func TestListener(t *testing.T) {
	l, err := dtls.Listen("udp", "127.0.0.1:0", serverConfig(testcerts.P256))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveEcho(l)
	var conns []*dtls.Conn
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := dtls.DialContext(ctx, "udp", l.Addr().String(), clientConfig())
		cancel()
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		roundTrip(t, c, "hello from client "+string(rune('A'+i)))
	}

	// pion as a client, which answers the cookie request as WebRTC
	// stacks do.
	pc, err := piondtls.Dial("udp", l.Addr().(*net.UDPAddr), &piondtls.Config{
		InsecureSkipVerify: true, VerifyPeerCertificate: verifyTestChain,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := pc.Handshake(); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, pc, "hello from pion")
}

// Closing connections and the listener leaves no goroutine behind.
func TestNoGoroutinesLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	l, err := dtls.Listen("udp", "127.0.0.1:0", serverConfig(testcerts.P256))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { serveEcho(l); close(served) }()
	for range 3 {
		c, err := dtls.Dial("udp", l.Addr().String(), clientConfig())
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, "hello")
		c.Close()
	}
	l.Close()
	<-served
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if runtime.NumGoroutine() <= before {
			return
		}
	}
	buf := make([]byte, 1<<16)
	n := runtime.Stack(buf, true)
	t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:n])
}
