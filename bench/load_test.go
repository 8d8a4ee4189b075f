package bench

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/hasphttp"
	"github.com/hasp-tls/hasp/internal/lockpanel"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// BenchmarkServeLoad is what `hasp serve` faces under load: many clients
// at once (200 goroutines), each making a connection, a full TLS 1.3
// handshake and one GET, then closing. The server is hasp (hasp.Listen and
// hasphttp.Serve, as hasp serve runs it) or crypto/tls (tls.Listen and
// net/http), each with hasp serve's own handler (the lock panel and its
// access log) or a minimal one; the client is crypto/tls for all four,
// configured alike (ECDSA P-256 chain, X25519MLKEM768 offered, HTTP/1.1 by
// ALPN). One op is one connection. Besides ns/op (the inverse of the
// rate) it reports conn/s, the p50 and p99 of one connection's latency,
// CPU per connection (both ends, one process) and the server's live heap
// per connection open at the peak and after they all closed.
//
// Run the four one after the other several times, not -count N (which
// repeats each case back to back): bench/compare.sh does that.
func BenchmarkServeLoad(b *testing.B) {
	for _, srv := range implOrder("hasp", "std") {
		for _, h := range []string{"panel", "minimal"} {
			b.Run("server="+srv+"/handler="+h, func(b *testing.B) { serveLoad(b, srv, h) })
		}
	}
}

const loadClients = 200

func loadHandler(name string) http.Handler {
	if name == "panel" {
		return lockpanel.AccessLog(log.New(io.Discard, "", 0), lockpanel.Handler(""))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	})
}

// startLoadServer starts a server on loopback and returns its address and
// a function that stops it.
func startLoadServer(b *testing.B, impl, handler string) (string, func()) {
	l := leafs[testcerts.P256]
	hs := &http.Server{Handler: loadHandler(handler), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	var ln net.Listener
	var err error
	done := make(chan struct{})
	switch impl {
	case "hasp":
		ln, err = hasp.Listen("tcp", "127.0.0.1:0", &hasp.Config{
			Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
			NextProtos:   hasphttp.NextProtos,
			// As hasp serve: its lock panel shows what the client offered.
			KeepClientHello: handler == "panel",
		})
		if err == nil {
			go func() { hasphttp.Serve(ln, hs); close(done) }()
		}
	default:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
			Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
			NextProtos:   []string{"h2", "http/1.1"},
		})
		if err == nil {
			go func() { hs.Serve(ln); close(done) }()
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return ln.Addr().String(), func() {
		hs.Close()
		ln.Close()
		<-done
	}
}

func serveLoad(b *testing.B, impl, handler string) {
	addr, stop := startLoadServer(b, impl, handler)
	defer stop()
	cc := &tls.Config{ServerName: "localhost", RootCAs: ca.Pool(), NextProtos: []string{"http/1.1"}}
	req := []byte("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	one := func() (time.Duration, error) {
		start := time.Now()
		c, err := tls.Dial("tcp", addr, cc)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write(req); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = io.ErrUnexpectedEOF
		}
		return time.Since(start), err
	}
	// Warm up (and check) once outside the measurement.
	if _, err := one(); err != nil {
		b.Fatal(err)
	}
	base := liveHeap()

	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var firstErr error
	var peak uint64
	next := make(chan struct{}, b.N)
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	b.ResetTimer()
	cpu := cpuNow()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < loadClients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				d, err := one()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	// Sample the heap while the load runs: the peak is what many open
	// connections cost.
	stopSample := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			select {
			case <-stopSample:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}()
	wg.Wait()
	elapsed := time.Since(start)
	cpuUsed := cpuNow() - cpu
	b.StopTimer()
	close(stopSample)
	<-sampled
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "conn/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpuUsed.Microseconds())/float64(b.N), "cpu-us/conn")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	// Everything closed: what the server still holds a moment later.
	time.Sleep(100 * time.Millisecond)
	b.ReportMetric(float64(int64(liveHeap())-int64(base))/1024, "after-close-KB")
}

// liveHeap is the heap in use after two collections (the second empties
// sync.Pool's victim cache).
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
