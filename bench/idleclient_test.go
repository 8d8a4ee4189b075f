package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkIdleClient is BenchmarkIdleServer's other side: the memory of
// an idle client connection with a goroutine parked in Read (what an
// HTTP/2 or database client keeps per connection), the servers running in
// another process. The clients verify nothing (the servers' process has
// its own test CA), which changes nothing of what an idle client holds
// beyond its peer's certificate, kept by both libraries.
func BenchmarkIdleClient(b *testing.B) { runIdle(b, idleClient) }

func idleClient(b *testing.B, name string, n, traffic int) (heapPer, stackPer float64) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleServerProcess$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("HASP_IDLE_SERVER=%s,%d", name, traffic))
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		b.Fatalf("server process: %q %v", line, err)
	}
	reuseGoroutines(2 * n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	var parked, failed atomic.Int64
	conns := make([]net.Conn, 0, n)
	for range n {
		raw, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c := idleWrap(name, raw, true, nil, nil)
		conns = append(conns, c)
		go func() {
			if err := idleExchange(c, true, traffic); err != nil {
				failed.Add(1)
				return
			}
			parked.Add(1)
			c.Read(make([]byte, 1))
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for parked.Load()+failed.Load() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if f := failed.Load(); f > 0 || parked.Load() < int64(n) {
		b.Fatalf("%d of %d connections parked, %d failed", parked.Load(), n, f)
	}
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	writeIdleHeapProfile("client-" + name)
	for _, c := range conns {
		c.Close()
	}
	runtime.KeepAlive(conns)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n),
		float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
}

// TestIdleServerProcess is BenchmarkIdleClient's server side, run in its
// own process: it accepts, answers each client's byte and traffic, and
// holds the connections until its stdin closes.
func TestIdleServerProcess(t *testing.T) {
	spec := os.Getenv("HASP_IDLE_SERVER")
	if spec == "" {
		return // only as BenchmarkIdleClient's child
	}
	f := strings.Split(spec, ",")
	name := f[0]
	traffic, _ := strconv.Atoi(f[1])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs, ss := idleServerConfigs()
	fmt.Println("listening", ln.Addr())
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			c := idleWrap(name, raw, false, hs, ss)
			go func() {
				if idleExchange(c, false, traffic) == nil {
					c.Read(make([]byte, 1))
				}
			}()
		}
	}()
	io.Copy(io.Discard, os.Stdin)
	ln.Close()
}
