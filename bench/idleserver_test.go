package bench

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

var idleConns = flag.Int("idle.conns", 1000, "connections BenchmarkIdleServer holds open (the server process needs that many descriptors and a few more: 19900 under a limit of 20000)")

// BenchmarkIdleServer is the memory an idle server connection holds the
// way every server holds it: a goroutine parked in Read, over loopback
// TCP. The clients run in another process (this test binary started
// again), so only the server's own heap is counted. For each library (and
// plain TCP with the same goroutine parked, the baseline), it reports
// heap-B/conn and stack-B/conn after the handshake and one exchange of
// `traffic` bytes each way (0 or 20 KB: buffers have been used), as the
// live heap after two collections, less what the listener held before.
//
//	go test -run '^$' -bench IdleServer -benchtime 1x ./bench/ -args -idle.conns 19900
func BenchmarkIdleServer(b *testing.B) { runIdle(b, idleServer) }

// runIdle runs an idle-memory measurement for each library (and plain
// TCP), with and without traffic before idling.
func runIdle(b *testing.B, measure func(b *testing.B, name string, n, traffic int) (heapPer, stackPer float64)) {
	for _, traffic := range []int{0, 20 << 10} {
		for _, name := range implOrder("hasp", "std", "tcp") {
			b.Run(fmt.Sprintf("traffic=%d/impl=%s", traffic, name), func(b *testing.B) {
				var heap, stack float64
				for i := 0; i < b.N; i++ {
					h, s := measure(b, name, *idleConns, traffic)
					heap += h
					stack += s
				}
				b.ReportMetric(heap/float64(b.N), "heap-B/conn")
				b.ReportMetric(stack/float64(b.N), "stack-B/conn")
			})
		}
	}
}

// reuseGoroutines starts and ends n goroutines, then collects: the
// runtime keeps the structures of goroutines that ended for the next
// ones, so that every case reuses them instead of the first case paying
// for all.
func reuseGoroutines(n int) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() { <-release; wg.Done() }()
	}
	close(release)
	wg.Wait()
	runtime.GC()
	runtime.GC()
}

func idleServerConfigs() (*hasp.Config, *tls.Config) {
	l := leafs[testcerts.P256]
	hs := &hasp.Config{MinVersion: hasp.VersionTLS13, Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		CurvePreferences: []hasp.CurveID{hasp.X25519}}
	ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
	return hs, ss
}

// The idle benchmarks' clients run in whichever process does not measure
// the server. Their process made its own test CA (the package's CA is
// random per process), so they cannot verify the server's chain; what a
// client verifies does not change what either side holds idle.
var (
	idleHaspClient = &hasp.Config{MinVersion: hasp.VersionTLS13, ServerName: "localhost", InsecureSkipVerify: true, CurvePreferences: []hasp.CurveID{hasp.X25519}}
	idleStdClient  = &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
)

// idleWrap makes raw a connection of library name ("hasp", "std", or
// "tcp" for raw itself), on the client or the server side.
func idleWrap(name string, raw net.Conn, client bool, hs *hasp.Config, ss *tls.Config) net.Conn {
	switch {
	case name == "hasp" && client:
		return hasp.Client(raw, idleHaspClient)
	case name == "std" && client:
		return tls.Client(raw, idleStdClient)
	case name == "hasp":
		return hasp.Server(raw, hs)
	case name == "std":
		return tls.Server(raw, ss)
	}
	return raw
}

// idleExchange is one side of the exchange before idling: the client
// sends a byte the server reads, then traffic bytes go each way, server
// first.
func idleExchange(c net.Conn, client bool, traffic int) error {
	if client {
		if _, err := c.Write([]byte{'x'}); err != nil {
			return err
		}
	} else if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		return err
	}
	if traffic == 0 {
		return nil
	}
	send := func() error { _, err := io.CopyN(c, zeroReader{}, int64(traffic)); return err }
	receive := func() error { _, err := io.CopyN(io.Discard, c, int64(traffic)); return err }
	first, second := send, receive
	if client {
		first, second = receive, send
	}
	if err := first(); err != nil {
		return err
	}
	return second()
}

func idleServer(b *testing.B, name string, n, traffic int) (heapPer, stackPer float64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	hs, ss := idleServerConfigs()
	var parked, failed atomic.Int64
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			raw, err := ln.Accept()
			if err != nil {
				// Out of file descriptors, most likely: closing the
				// listener makes the client process fail instead of wait.
				fmt.Fprintf(os.Stderr, "accept after %d connections: %v\n", len(conns), err)
				ln.Close()
				return
			}
			c := idleWrap(name, raw, false, hs, ss)
			conns = append(conns, c)
			go func() {
				// The server's side of the exchange, then the Read every
				// server keeps pending.
				if err := idleExchange(c, false, traffic); err != nil {
					failed.Add(1)
					return
				}
				parked.Add(1)
				c.Read(make([]byte, 1))
			}()
		}
	}()
	reuseGoroutines(2 * n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientProcess$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("HASP_IDLE_CLIENT=%s,%s,%d,%d", name, ln.Addr(), n, traffic))
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		b.Fatalf("client process: %q %v", line, err)
	}
	<-done
	deadline := time.Now().Add(time.Minute)
	for parked.Load()+failed.Load() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if f := failed.Load(); f > 0 || parked.Load() < int64(n) {
		b.Fatalf("%d of %d connections parked, %d failed", parked.Load(), n, f)
	}
	time.Sleep(50 * time.Millisecond) // the last goroutines reach their Read
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	writeIdleHeapProfile(name)
	for _, c := range conns {
		c.Close()
	}
	runtime.KeepAlive(conns)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n),
		float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestIdleClientProcess is BenchmarkIdleServer's client side, run in its
// own process: it opens the connections, handshakes, exchanges the bytes,
// says "ready" and holds them until its stdin closes.
func TestIdleClientProcess(t *testing.T) {
	spec := os.Getenv("HASP_IDLE_CLIENT")
	if spec == "" {
		return // only as BenchmarkIdleServer's child
	}
	f := strings.Split(spec, ",")
	name, addr := f[0], f[1]
	n, _ := strconv.Atoi(f[2])
	traffic, _ := strconv.Atoi(f[3])
	var conns []net.Conn
	for range n {
		raw, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c := idleWrap(name, raw, true, nil, nil)
		if err := idleExchange(c, true, traffic); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

func init() {
	if os.Getenv("HASP_IDLE_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, for exact sizes
	}
}

// writeIdleHeapProfile writes, when HASP_IDLE_HEAPPROFILE names a file
// prefix, what the idle connections hold by allocation site (read it with
// go tool pprof -sample_index=inuse_space).
func writeIdleHeapProfile(name string) {
	if p := os.Getenv("HASP_IDLE_HEAPPROFILE"); p != "" {
		if f, err := os.Create(p + "." + name); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
}
