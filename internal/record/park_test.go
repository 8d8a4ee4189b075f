//go:build unix

package record

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// signalLock is the writer's lock as Park sees it; TryLock says that the
// reader parked.
type signalLock struct{ parked chan struct{} }

func (l *signalLock) TryLock() bool { l.parked <- struct{}{}; return true }
func (l *signalLock) Unlock()       {}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		done <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-done
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// A parked connection (a read waiting on a socket with nothing there)
// drops both AEADs; the record that wakes it opens, the next one written
// seals, with the same keys as before.
func TestParkDropsAEADs(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	a, b := tcpPair(t)
	r, w := New(a), New(b)
	r.SetReadKey(s, make([]byte, 32))
	r.SetWriteKey(s, make([]byte, 32))
	w.SetWriteKey(s, make([]byte, 32))
	w.SetReadKey(s, make([]byte, 32))
	lock := &signalLock{parked: make(chan struct{}, 1)}
	r.Park(lock)
	go func() {
		<-lock.parked // only once the reader waits
		w.WriteRecord(wire.TypeApplicationData, []byte("wake up"))
		w.Flush()
	}()
	typ, p, err := r.ReadRecord()
	if err != nil || typ != wire.TypeApplicationData || string(p) != "wake up" {
		t.Fatalf("%v %q %v", typ, p, err)
	}
	if r.in.Asleep() || !r.out.Asleep() {
		t.Fatalf("after waking on a record: read asleep %v (want false), write asleep %v (want true)", r.in.Asleep(), r.out.Asleep())
	}
	r.WriteRecord(wire.TypeApplicationData, []byte("answer"))
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	if typ, p, err := w.ReadRecord(); err != nil || string(p) != "answer" {
		t.Fatalf("the answer sealed after parking: %v %q %v", typ, p, err)
	}
}

// Parking changes none of the errors a reader sees: a deadline is a
// timeout *net.OpError and the read can go on afterwards, end of stream
// is io.EOF.
func TestParkKeepsErrors(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	a, b := tcpPair(t)
	r, w := New(a), New(b)
	r.SetReadKey(s, make([]byte, 32))
	w.SetWriteKey(s, make([]byte, 32))
	r.Park(&signalLock{parked: make(chan struct{}, 8)})
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, _, err := r.ReadRecord()
	var oe *net.OpError
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &oe) {
		t.Fatalf("deadline: %T %v", err, err)
	}
	a.SetReadDeadline(time.Time{})
	w.WriteRecord(wire.TypeApplicationData, []byte("later"))
	w.Flush()
	if _, p, err := r.ReadRecord(); err != nil || string(p) != "later" {
		t.Fatalf("after the deadline: %q %v", p, err)
	}
	b.Close()
	if _, _, err := r.ReadRecord(); err != io.EOF {
		t.Fatalf("end of stream: %v", err)
	}
}

// A tick of the park timer that arrives after Close (it was already on
// its way) does nothing.
func TestParkTickAfterClose(t *testing.T) {
	a, _ := tcpPair(t)
	r := New(a)
	r.Park(&signalLock{parked: make(chan struct{}, 8)})
	r.parkMu.Lock()
	r.waiting, r.waitSeq = true, 1
	r.parkMu.Unlock()
	r.Close()
	r.parkTick() // would re-arm or park a closed connection
	if r.timer != nil || r.in.Asleep() {
		t.Fatal("a tick after Close acted")
	}
}

// countingConn embeds a socket and counts what its Read returns, as
// wrappers do; it has SyscallConn through the embedding, which parking
// must not use to read around its Read.
type countingConn struct {
	*net.TCPConn
	n int
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.n += n
	return n, err
}

func TestParkLeavesWrappersAlone(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	a, b := tcpPair(t)
	wrapped := &countingConn{TCPConn: a.(*net.TCPConn)}
	r, w := New(wrapped), New(b)
	r.SetReadKey(s, make([]byte, 32))
	w.SetWriteKey(s, make([]byte, 32))
	r.Park(&signalLock{parked: make(chan struct{}, 8)})
	w.WriteRecord(wire.TypeApplicationData, []byte("through the wrapper"))
	w.Flush()
	if _, p, err := r.ReadRecord(); err != nil || string(p) != "through the wrapper" {
		t.Fatalf("%q %v", p, err)
	}
	if wrapped.n == 0 {
		t.Fatal("the record was read around the wrapper's Read")
	}
}

// Before Park (a handshake), a socket is read through its RawConn too: a
// wait holds no record buffer, so a server waiting for a ClientHello
// holds none, but no timer parks the AEADs.
func TestSocketReadBeforePark(t *testing.T) {
	s := suite.ByID(wire.TLS_AES_128_GCM_SHA256)
	a, b := tcpPair(t)
	r, w := New(a), New(b)
	r.SetReadKey(s, make([]byte, 32))
	w.SetWriteKey(s, make([]byte, 32))
	done := make(chan error, 1)
	go func() {
		_, p, err := r.ReadRecord()
		if err == nil && string(p) != "hello" {
			err = errors.New("read " + string(p))
		}
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		waiting, holds, _, _ := r.IdleState()
		if waiting {
			if holds {
				t.Fatal("a read waiting before Park holds a record buffer")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the read never waited on the socket")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(4 * parkAfter)
	if _, _, readAsleep, _ := r.IdleState(); readAsleep {
		t.Fatal("the read AEAD parked before Park")
	}
	w.WriteRecord(wire.TypeApplicationData, []byte("hello"))
	w.Flush()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
