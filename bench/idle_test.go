package bench

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// BenchmarkIdleMemory: the memory an idle, established connection pair
// holds (client and server, TLS 1.3, x25519, after one small message
// each way, so tickets are read and buffers have been used), less what
// the bare in-memory pair holds. Reported as idle-B/pair (heap plus
// goroutine stacks); the time per op is not meaningful here. With
// parked=true a goroutine waits in Read on the server side, as every
// server keeps one (the bare pair gets the same goroutine).
func BenchmarkIdleMemory(b *testing.B) {
	const pairs = 100
	for _, parked := range []bool{false, true} {
		for _, im := range impls(testcerts.P256, uint16(hasp.X25519), 0) {
			b.Run(fmt.Sprintf("parked=%v/impl=%s", parked, im.name), func(b *testing.B) {
				var sum float64
				for i := 0; i < b.N; i++ {
					base := heapAfter(func() []net.Conn { return park(parked, rawPairs(b, pairs)) })
					withTLS := heapAfter(func() []net.Conn { return park(parked, tlsPairs(b, im, pairs)) })
					sum += float64(withTLS-base) / pairs
				}
				b.ReportMetric(sum/float64(b.N), "idle-B/pair")
			})
		}
	}
}

// park starts a goroutine reading each server connection (the odd ones),
// waiting there until the connection closes.
func park(parked bool, conns []net.Conn) []net.Conn {
	if parked {
		for i := 1; i < len(conns); i += 2 {
			go io.Copy(io.Discard, conns[i])
		}
		time.Sleep(50 * time.Millisecond) // let each reach its Read
	}
	return conns
}

// heapAfter returns the live heap while the connections open holds are
// alive, then closes them.
func heapAfter(open func() []net.Conn) int64 {
	var before, after runtime.MemStats
	// Two collections each time: the second empties sync.Pool's victim
	// cache, so pooled buffers are not counted against either library.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	conns := open()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, c := range conns {
		c.Close()
	}
	runtime.KeepAlive(conns)
	return int64(after.HeapAlloc+after.StackInuse) - int64(before.HeapAlloc+before.StackInuse)
}

func rawPairs(b *testing.B, n int) []net.Conn {
	out := make([]net.Conn, 0, 2*n)
	for range n {
		x, y := memconn.Pipe()
		exchange(b, x, y)
		out = append(out, x, y)
	}
	return out
}

func tlsPairs(b *testing.B, im impl, n int) []net.Conn {
	out := make([]net.Conn, 0, 2*n)
	for range n {
		x, y := memconn.Pipe()
		c, s := im.client(x), im.server(y)
		handshakeBoth(b, c, s)
		exchange(b, c, s)
		out = append(out, c, s)
	}
	return out
}

// exchange sends one byte each way and reads it.
func exchange(b *testing.B, c, s net.Conn) {
	one := make([]byte, 1)
	errc := make(chan error, 1)
	go func() {
		if _, err := io.ReadFull(s, one); err != nil {
			errc <- err
			return
		}
		_, err := s.Write(one)
		errc <- err
	}()
	if _, err := c.Write([]byte{'x'}); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(c, one); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}
