package bench

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// BenchmarkRatios is the side-by-side measurement the README quotes: for
// each case, rounds of one batch of hasp then one of crypto/tls (the
// order alternating round by round), CPU time per operation from
// getrusage (both ends, one process), and the ratio hasp/crypto/tls of
// each round. A slow minute on the shared machine hits both batches of a
// round alike, so the per-round ratios are much steadier than either
// library's times. It prints the median ratio with its range, and
// allocations and bytes per operation:
//
//	go test -run '^$' -bench Ratios -benchtime 1x ./bench/ [-args -ratio.rounds 24 -ratio.cases 'TLS 1.3']
func BenchmarkRatios(b *testing.B) {
	for _, rc := range ratioCases() {
		if !strings.Contains(rc.name, *ratioFilter) {
			continue
		}
		b.Run(strings.ReplaceAll(rc.name, " ", "_"), func(b *testing.B) {
			r := measureRatio(b, rc, *ratioRounds)
			fmt.Fprintf(os.Stdout, "%-34s CPU %5.2fx (%4.2f..%4.2f)  hasp %8.1fµs std %8.1fµs  allocs %5.0f/%5.0f = %4.2fx  bytes %6.0f/%6.0f = %4.2fx\n",
				rc.name, r.median, r.min, r.max, r.haspCPU/1e3, r.stdCPU/1e3, r.haspAllocs, r.stdAllocs, r.haspAllocs/r.stdAllocs, r.haspBytes, r.stdBytes, r.haspBytes/r.stdBytes)
			b.ReportMetric(r.median, "cpu-ratio")
		})
	}
}

var (
	ratioRounds = flag.Int("ratio.rounds", 16, "rounds per BenchmarkRatios case")
	ratioFilter = flag.String("ratio.cases", "", "run only the BenchmarkRatios cases whose name contains this")
)

// ratioCase is one operation of each library; setup makes it (and a
// teardown) so that connections and goroutines live only while measured.
type ratioCase struct {
	name  string
	batch int
	setup func(b *testing.B, im impl) (op func(), done func())
	impls func() []impl
}

func byName(ims []impl, name string) impl {
	for _, im := range ims {
		if im.name == name {
			return im
		}
	}
	panic(name)
}

type ratioResult struct {
	median, min, max      float64
	haspCPU, stdCPU       float64 // ns per op, medians
	haspAllocs, stdAllocs float64
	haspBytes, stdBytes   float64
}

func measureRatio(b *testing.B, rc ratioCase, rounds int) ratioResult {
	type side struct {
		op, done              func()
		cpu                   []float64
		allocs, bytes, counts float64
	}
	sides := map[string]*side{}
	for _, name := range []string{"hasp", "std"} {
		im := byName(rc.impls(), name)
		op, done := rc.setup(b, im)
		for range rc.batch / 4 { // warm up
			op()
		}
		sides[name] = &side{op: op, done: done}
	}
	var ratios []float64
	for r := 0; r < rounds; r++ {
		order := []string{"hasp", "std"}
		if r%2 == 1 {
			order = []string{"std", "hasp"}
		}
		per := map[string]float64{}
		for _, name := range order {
			s := sides[name]
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			c0 := cpuNow()
			for range rc.batch {
				s.op()
			}
			c := cpuNow() - c0
			runtime.ReadMemStats(&m1)
			per[name] = float64(c) / float64(rc.batch)
			s.cpu = append(s.cpu, per[name])
			s.allocs += float64(m1.Mallocs - m0.Mallocs)
			s.bytes += float64(m1.TotalAlloc - m0.TotalAlloc)
			s.counts += float64(rc.batch)
		}
		ratios = append(ratios, per["hasp"]/per["std"])
	}
	for _, s := range sides {
		if s.done != nil {
			s.done()
		}
	}
	slices.Sort(ratios)
	h, st := sides["hasp"], sides["std"]
	slices.Sort(h.cpu)
	slices.Sort(st.cpu)
	return ratioResult{
		median: ratios[len(ratios)/2], min: ratios[0], max: ratios[len(ratios)-1],
		haspCPU: h.cpu[len(h.cpu)/2], stdCPU: st.cpu[len(st.cpu)/2],
		haspAllocs: h.allocs / h.counts, stdAllocs: st.allocs / st.counts,
		haspBytes: h.bytes / h.counts, stdBytes: st.bytes / st.counts,
	}
}

// handshakeOp: one full handshake on a fresh in-memory pair.
func handshakeOp(b *testing.B, im impl) (func(), func()) {
	return func() {
		x, y := memconn.Pipe()
		handshakeBoth(b, im.client(x), im.server(y))
		x.Close()
		y.Close()
	}, nil
}

// resumedOp: a handshake that resumes the session of the one before it
// (its ticket read first).
func resumedOp(b *testing.B, im impl) (func(), func()) {
	mem := transports[0]   // in memory, as handshakeOp
	resumeOnce(b, mem, im) // primes the caches
	return func() {
		if !resumeOnce(b, mem, im) {
			b.Fatal("did not resume")
		}
	}, nil
}

// bulkOp: one Write of size bytes over loopback TCP, the server reading
// all of it in a goroutine; an op returns once the reader has it all.
func bulkOp(size int) func(b *testing.B, im impl) (func(), func()) {
	return func(b *testing.B, im impl) (func(), func()) {
		x, y := tcpPair(b)
		c, s := im.client(x), im.server(y)
		handshakeBoth(b, c, s)
		var got atomic.Int64
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				got.Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
		buf := make([]byte, size)
		var sent int64
		const window = 8
		n := 0
		return func() {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
				sent += int64(size)
				n++
				if n%window == 0 {
					// Keep the reader close behind, so that a batch ends
					// with its bytes read.
					for got.Load() < sent-int64(window*size) {
						runtime.Gosched()
					}
				}
			}, func() {
				deadline := time.Now().Add(10 * time.Second)
				for got.Load() < sent && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				x.Close()
				y.Close()
			}
	}
}

func ratioCases() []ratioCase {
	p256 := func() []impl { return impls(testcerts.P256, uint16(hasp.X25519), 0) }
	return []ratioCase{
		{"TLS 1.3 full, repeat client", 200, handshakeOp, p256},
		{"TLS 1.3 full, first connection", 200, handshakeOp, coldImpls},
		{"TLS 1.3 full, Config per connection", 200, handshakeOp, cloneImpls},
		{"TLS 1.3 full, X25519MLKEM768", 150, handshakeOp, func() []impl { return impls(testcerts.P256, uint16(hasp.X25519MLKEM768), 0) }},
		{"TLS 1.3 full, RSA-2048", 100, handshakeOp, func() []impl { return impls(testcerts.RSA2048, uint16(hasp.X25519), 0) }},
		{"TLS 1.3 resumed", 200, resumedOp, resumedImpls},
		{"TLS 1.2 full", 200, handshakeOp, func() []impl { return impls12(testcerts.P256, 0, false) }},
		{"bulk 16 KiB writes, TCP", 3000, bulkOp(16 << 10), p256},
		{"bulk 1 KiB writes, TCP", 20000, bulkOp(1 << 10), p256},
	}
}
