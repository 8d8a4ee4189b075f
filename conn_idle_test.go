package hasp

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

func tcpConns(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); acc <- c }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-acc
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// fullyIdle waits until c's pending Read waits on the socket holding no
// record buffer, with both AEADs asleep and its engine frozen.
func fullyIdle(t *testing.T, c *Conn, what string) {
	t.Helper()
	var waiting, holds, rs, ws, frozen bool
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		waiting, holds, rs, ws = c.rec.IdleState()
		c.engMu.Lock()
		_, frozen = c.eng.(*engine.Frozen)
		c.engMu.Unlock()
		if waiting && !holds && rs && ws && frozen {
			return
		}
	}
	t.Fatalf("%s: waiting %v, holds a buffer %v, read AEAD asleep %v, write AEAD asleep %v, engine frozen %v", what, waiting, holds, rs, ws, frozen)
}

// An idle connection holds nothing it can make again, whatever came last:
// data, tickets, a KeyUpdate; and after a KeyUpdate it goes back to that
// state (the engine thawed for it is frozen again).
func TestIdleAfterPostHandshakeMessages(t *testing.T) {
	ca := testcerts.NewCA("idle CA")
	l := ca.Issue(testcerts.P256, "localhost")
	scfg := &Config{Certificates: []Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}}
	ccfg := &Config{ServerName: "localhost", RootCAs: ca.Pool(), ClientSessionCache: NewLRUClientSessionCache(4)}
	a, b := tcpConns(t)
	c, s := Client(a, ccfg), Server(b, scfg)
	done := make(chan error, 2)
	// Each side keeps a Read pending, as servers and HTTP/2 clients do,
	// and echoes nothing: the test writes and watches.
	got := make(chan string, 4)
	reader := func(conn *Conn) {
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				done <- err
				return
			}
			got <- string(buf[:n])
		}
	}
	go func() {
		if err := s.Handshake(); err != nil {
			done <- err
			return
		}
		reader(s)
	}()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	go reader(c)
	// The client's first wait comes after the server's tickets, records
	// that carry no data.
	fullyIdle(t, c, "client after the tickets")
	fullyIdle(t, s, "server after the handshake")
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != "hello" {
		t.Fatalf("server read %q", m)
	}
	fullyIdle(t, s, "server after data")
	// A KeyUpdate thaws the server's engine; once idle again it is frozen
	// again, and the new keys work.
	if err := c.KeyUpdate(true); err != nil {
		t.Fatal(err)
	}
	fullyIdle(t, s, "server after a KeyUpdate")
	if _, err := c.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != "after" {
		t.Fatalf("server read %q after the KeyUpdate", m)
	}
	if _, err := s.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != "back" {
		t.Fatalf("client read %q", m)
	}
	fullyIdle(t, c, "client after its KeyUpdate and data")
	c.Close()
	s.Close()
	for range 2 {
		if err := <-done; err != nil && err != io.EOF {
			if _, ok := err.(*net.OpError); !ok && err != net.ErrClosed {
				t.Logf("reader ended with %v", err)
			}
		}
	}
}

// A server's tickets arrive with its flight (RFC 8446 4.6.1), so when a
// client's Handshake returns they are often read already, waiting for the
// first Read. They wait in a buffer of their size, not in a pooled record
// buffer (record.Conn.Compact), and the first Read still takes them in.
func TestTicketsWaitCompacted(t *testing.T) {
	ca := testcerts.NewCA("compact CA")
	l := ca.Issue(testcerts.P256, "localhost")
	scfg := &Config{Certificates: []Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}}
	cache := NewLRUClientSessionCache(4)
	ccfg := &Config{ServerName: "localhost", RootCAs: ca.Pool(), ClientSessionCache: cache}
	a, b := tcpConns(t)
	c, s := Client(a, ccfg), Server(b, scfg)
	errc := make(chan error, 1)
	go func() { errc <- s.Handshake() }()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// The server's flight, tickets included, was one write: the client
	// has most likely read the tickets with it.
	pending, pooled := c.rec.Held()
	if pooled {
		t.Fatalf("after the handshake the client holds a pooled record buffer (%d bytes pending)", pending)
	}
	if pending == 0 {
		t.Log("the tickets were not read with the flight on this run")
	}
	go s.Write([]byte("hello"))
	buf := make([]byte, 16)
	n, err := io.ReadAtLeast(c, buf, 5)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if _, ok := cache.Get(c.sessionKey()); !ok {
		t.Fatal("the tickets that waited were not taken in")
	}
	if pending, pooled := c.rec.Held(); pending != 0 || pooled {
		t.Fatalf("after the Read: %d bytes pending, pooled buffer %v", pending, pooled)
	}
}

// A server goroutine that ran the handshake and then waits in Read, as
// every server's does, ends up with the stack a plain TCP reader has: the
// handshake grew it to 8 KiB or more, and the runtime halves a parked
// goroutine's stack only while its frames and 800 bytes more fill less
// than a quarter of it, so Read waits in a shallow frame (record.Conn.Wait,
// not deep in ReadRecord). Before that change: about 8.5 KiB per
// connection here, now about 4.
func TestIdleStackShrinks(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation deepens every frame; the plain run (go test ./..., in CI too) checks the stack")
	}
	ca := testcerts.NewCA("stack CA")
	l := ca.Issue(testcerts.P256, "localhost")
	scfg := &Config{Certificates: []Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}}
	ccfg := &Config{ServerName: "localhost", RootCAs: ca.Pool()}
	const n = 100
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var conns []net.Conn
	var servers []*Conn
	parked := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		a, b := tcpConns(t)
		c, s := Client(a, ccfg), Server(b, scfg)
		conns = append(conns, c, s)
		servers = append(servers, s)
		go c.Handshake()
		go func() {
			if s.Handshake() != nil {
				return
			}
			parked <- struct{}{}
			s.Read(make([]byte, 1))
		}()
	}
	for i := 0; i < n; i++ {
		<-parked
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		waiting := 0
		for _, s := range servers {
			if w, _, _, _ := s.rec.IdleState(); w {
				waiting++
			}
		}
		if waiting == n {
			break
		}
	}
	for range 4 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	perConn := int64(after.StackInuse-before.StackInuse) / n
	t.Logf("stack per idle server connection: %d bytes", perConn)
	if perConn > 7<<10 {
		t.Errorf("an idle server connection's goroutine keeps %d bytes of stack; a shallow wait lets it shrink to about 4 KiB", perConn)
	}
	for _, c := range conns {
		c.Close()
	}
}
