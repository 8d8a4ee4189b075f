// Package bench runs hasp and crypto/tls side by side in one process, so
// that benchstat can report their ratios:
//
//	go test -run '^$' -bench . -count 6 ./bench/ | tee out.txt
//	benchstat -col /impl out.txt
//
// Each benchmark reports, besides wall time, the CPU time per operation
// (user+system, from getrusage), which is much steadier on a shared
// machine.
package bench

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

var (
	ca    = testcerts.NewCA("bench CA")
	leafs = map[testcerts.KeyType]*testcerts.Leaf{
		testcerts.P256:    ca.Issue(testcerts.P256, "localhost"),
		testcerts.RSA2048: ca.Issue(testcerts.RSA2048, "localhost"),
	}
)

// conn is what both libraries' connections offer.
type conn interface {
	net.Conn
	Handshake() error
}

// impl makes client and server connections for one library.
type impl struct {
	name   string
	client func(net.Conn) conn
	server func(net.Conn) conn
}

func impls(kt testcerts.KeyType, group uint16, suite uint16) []impl {
	l := leafs[kt]
	hc := &hasp.Config{MinVersion: hasp.VersionTLS13, ServerName: "localhost", RootCAs: ca.Pool(), CurvePreferences: []hasp.CurveID{hasp.CurveID(group)}}
	hs := &hasp.Config{MinVersion: hasp.VersionTLS13, Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		CurvePreferences: []hasp.CurveID{hasp.CurveID(group)}}
	sc := &tls.Config{ServerName: "localhost", RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.CurveID(group)}}
	ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.CurveID(group)}}
	if suite != 0 {
		// crypto/tls does not let TLS 1.3 suites be configured: it picks
		// ChaCha20 only when it believes there is no AES hardware, which
		// GODEBUG=cpu.aes=off arranges (see BenchmarkBulk).
		hc.CipherSuites, hs.CipherSuites = []uint16{suite}, []uint16{suite}
	}
	return ordered([]impl{
		{"hasp", func(c net.Conn) conn { return hasp.Client(c, hc) }, func(c net.Conn) conn { return hasp.Server(c, hs) }},
		{"std", func(c net.Conn) conn { return tls.Client(c, sc) }, func(c net.Conn) conn { return tls.Server(c, ss) }},
	})
}

// reversed: HASP_BENCH_REVERSE set (bench/compare.sh sets it every other
// round) runs the libraries in the other order, so that neither always
// runs first, on a warmer or a cooler machine.
func reversed() bool { return os.Getenv("HASP_BENCH_REVERSE") != "" }

func ordered(l []impl) []impl {
	if reversed() {
		slices.Reverse(l)
	}
	return l
}

func implOrder(names ...string) []string {
	if reversed() {
		slices.Reverse(names)
	}
	return names
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// transport makes connected pairs: in memory or over loopback TCP.
type transport struct {
	name string
	pair func(b *testing.B) (net.Conn, net.Conn)
}

var transports = []transport{
	{"mem", func(b *testing.B) (net.Conn, net.Conn) { x, y := memconn.Pipe(); return x, y }},
	{"tcp", tcpPair},
}

var (
	lnOnce sync.Once
	ln     net.Listener
	accept chan net.Conn
)

func tcpPair(b *testing.B) (net.Conn, net.Conn) {
	lnOnce.Do(func() {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		accept = make(chan net.Conn, 16)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accept <- c
			}
		}()
	})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	return c, <-accept
}

func BenchmarkHandshake(b *testing.B) {
	cases := []struct {
		name  string
		kt    testcerts.KeyType
		group uint16
	}{
		{"ECDSA-P256/x25519", testcerts.P256, uint16(hasp.X25519)},
		{"ECDSA-P256/X25519MLKEM768", testcerts.P256, uint16(hasp.X25519MLKEM768)},
		{"RSA-2048/x25519", testcerts.RSA2048, uint16(hasp.X25519)},
	}
	for _, tc := range cases {
		for _, tr := range transports {
			for _, im := range impls(tc.kt, tc.group, 0) {
				b.Run(tc.name+"/"+tr.name+"/impl="+im.name, func(b *testing.B) { fullHandshakes(b, tr, im) })
			}
		}
	}
	// A client's first connection: a new client Config and pool of roots
	// for each, so nothing is remembered between them; and a new Config
	// for each sharing one pool, as net/http's clones do. The cases above
	// reuse one client Config, as a program that connects again does.
	for _, tr := range transports {
		for _, im := range coldImpls() {
			b.Run("ECDSA-P256/x25519/first/"+tr.name+"/impl="+im.name, func(b *testing.B) { fullHandshakes(b, tr, im) })
		}
		for _, im := range cloneImpls() {
			b.Run("ECDSA-P256/x25519/config-per-conn/"+tr.name+"/impl="+im.name, func(b *testing.B) { fullHandshakes(b, tr, im) })
		}
	}
}

// coldImpls is impls(P-256, x25519) with a fresh client Config per
// connection and a fresh pool of roots in it: nothing is remembered
// between connections (hasp's verified-chain cache is the process's,
// keyed by the pool among the rest; crypto/tls has none).
func coldImpls() []impl { return newConfigImpls(false) }

// cloneImpls: a fresh client Config per connection sharing one pool of
// roots, as a program that makes a Config for each connection does
// (net/http's Transport clones its TLSClientConfig for each).
func cloneImpls() []impl { return newConfigImpls(true) }

func newConfigImpls(sharedRoots bool) []impl {
	l := leafs[testcerts.P256]
	hs := &hasp.Config{MinVersion: hasp.VersionTLS13, Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		CurvePreferences: []hasp.CurveID{hasp.X25519}}
	ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
	shared := ca.Pool()
	pool := func() *x509.CertPool {
		if sharedRoots {
			return shared
		}
		return ca.Pool()
	}
	return ordered([]impl{
		{"hasp", func(c net.Conn) conn {
			return hasp.Client(c, &hasp.Config{MinVersion: hasp.VersionTLS13, ServerName: "localhost", RootCAs: pool(), CurvePreferences: []hasp.CurveID{hasp.X25519}})
		}, func(c net.Conn) conn { return hasp.Server(c, hs) }},
		{"std", func(c net.Conn) conn {
			return tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: pool(), MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}})
		}, func(c net.Conn) conn { return tls.Server(c, ss) }},
	})
}

// fullHandshakes runs b.N handshakes, each on a fresh pair.
func fullHandshakes(b *testing.B, tr transport, im impl) {
	b.ReportAllocs()
	cpu := cpuNow()
	for i := 0; i < b.N; i++ {
		x, y := tr.pair(b)
		handshakeBoth(b, im.client(x), im.server(y))
		x.Close()
		y.Close()
	}
	b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
}

func BenchmarkBulk(b *testing.B) {
	cases := []struct {
		name  string
		suite uint16
	}{
		{"AES-128-GCM", hasp.TLS_AES_128_GCM_SHA256},
		{"ChaCha20", hasp.TLS_CHACHA20_POLY1305_SHA256},
	}
	for _, tc := range cases {
		for _, size := range []int{16 << 10, 1 << 10} {
			for _, tr := range transports {
				for _, im := range impls(testcerts.P256, uint16(hasp.X25519), tc.suite) {
					b.Run(tc.name+"/"+sizeName(size)+"/"+tr.name+"/impl="+im.name, func(b *testing.B) {
						bulk(b, tr, im, size, tc.suite)
					})
				}
			}
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

func bulk(b *testing.B, tr transport, im impl, size int, suite uint16) {
	x, y := tr.pair(b)
	c, s := im.client(x), im.server(y)
	handshakeBoth(b, c, s)
	if got := negotiatedSuite(c); got != suite {
		// Only crypto/tls can end up here, with AES hardware in sight.
		b.Skipf("crypto/tls chose %s; run ChaCha20 with GODEBUG=cpu.aes=off", tls.CipherSuiteName(got))
	}
	defer x.Close()
	defer y.Close()
	buf := make([]byte, size)
	// Warm up: first records, buffers, tickets.
	done := make(chan error, 1)
	total := int64(size) * int64(b.N+1)
	go func() {
		_, err := io.CopyBuffer(io.Discard, io.LimitReader(s, total), make([]byte, 32<<10))
		done <- err
	}()
	if _, err := c.Write(buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuNow()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
}

func negotiatedSuite(c conn) uint16 {
	switch c := c.(type) {
	case *hasp.Conn:
		return c.ConnectionState().CipherSuite
	case *tls.Conn:
		return c.ConnectionState().CipherSuite
	}
	return 0
}

// handshakeBoth runs the server's handshake in a goroutine and the
// client's here.
func handshakeBoth(b *testing.B, c, s conn) {
	errc := make(chan error, 1)
	go func() { errc <- s.Handshake() }()
	if err := c.Handshake(); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkResumedHandshake: a TLS 1.3 handshake that resumes a session
// (psk_dhe_ke with x25519), each side's cache primed by one full
// handshake.
func BenchmarkResumedHandshake(b *testing.B) {
	for _, tr := range transports {
		for _, im := range resumedImpls() {
			b.Run(tr.name+"/impl="+im.name, func(b *testing.B) {
				resumeOnce(b, tr, im) // primes the caches
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuNow()
				for i := 0; i < b.N; i++ {
					if !resumeOnce(b, tr, im) {
						b.Fatal("did not resume")
					}
				}
				b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// resumedImpls: TLS 1.3 resumption with one ticket per connection on
// both sides (crypto/tls's server sends one).
func resumedImpls() []impl {
	l := leafs[testcerts.P256]
	hs := &hasp.Config{MinVersion: hasp.VersionTLS13, Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		CurvePreferences: []hasp.CurveID{hasp.X25519}, TicketCount: 1}
	hc := &hasp.Config{MinVersion: hasp.VersionTLS13, ServerName: "localhost", RootCAs: ca.Pool(), CurvePreferences: []hasp.CurveID{hasp.X25519},
		ClientSessionCache: hasp.NewLRUClientSessionCache(8)}
	ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
	sc := &tls.Config{ServerName: "localhost", RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519}, ClientSessionCache: tls.NewLRUClientSessionCache(8)}
	return ordered([]impl{
		{"hasp", func(c net.Conn) conn { return hasp.Client(c, hc) }, func(c net.Conn) conn { return hasp.Server(c, hs) }},
		{"std", func(c net.Conn) conn { return tls.Client(c, sc) }, func(c net.Conn) conn { return tls.Server(c, ss) }},
	})
}

// resumeOnce is one handshake that reads the ticket its server sends,
// which the next one resumes; it reports whether it resumed.
func resumeOnce(b *testing.B, tr transport, im impl) bool {
	x, y := tr.pair(b)
	defer x.Close()
	defer y.Close()
	c, s := im.client(x), im.server(y)
	handshakeBoth(b, c, s)
	go s.Write([]byte{1})
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		b.Fatal(err)
	}
	return didResume(c)
}

func didResume(c conn) bool {
	switch c := c.(type) {
	case *hasp.Conn:
		return c.ConnectionState().DidResume
	case *tls.Conn:
		return c.ConnectionState().DidResume
	}
	return false
}

// impls12 is impls pinned to TLS 1.2; with resume, the clients keep
// sessions.
func impls12(kt testcerts.KeyType, suite uint16, resume bool) []impl {
	l := leafs[kt]
	// The clients list P-256 after x25519: ECDHE is x25519, and a P-256
	// certificate needs its curve listed (RFC 8422 section 5.1, which a
	// hasp server enforces and crypto/tls's does not).
	hc := &hasp.Config{ServerName: "localhost", RootCAs: ca.Pool(), MaxVersion: hasp.VersionTLS12, CurvePreferences: []hasp.CurveID{hasp.X25519, hasp.CurveP256},
		ClientSessionCache: hasp.NewLRUClientSessionCache(8)}
	hs := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}, MaxVersion: hasp.VersionTLS12}
	sc := &tls.Config{ServerName: "localhost", RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS12, CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
		ClientSessionCache: tls.NewLRUClientSessionCache(8)}
	ss := &tls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}, MaxVersion: tls.VersionTLS12}
	if suite != 0 {
		hc.CipherSuites, hs.CipherSuites = []uint16{suite}, []uint16{suite}
		sc.CipherSuites, ss.CipherSuites = []uint16{suite}, []uint16{suite}
	}
	if !resume {
		hc.ClientSessionCache, sc.ClientSessionCache = nil, nil
	}
	return ordered([]impl{
		{"hasp", func(c net.Conn) conn { return hasp.Client(c, hc) }, func(c net.Conn) conn { return hasp.Server(c, hs) }},
		{"std", func(c net.Conn) conn { return tls.Client(c, sc) }, func(c net.Conn) conn { return tls.Server(c, ss) }},
	})
}

// BenchmarkHandshake12: full TLS 1.2 handshakes, ECDHE x25519 with an
// ECDSA P-256 or RSA-2048 certificate.
func BenchmarkHandshake12(b *testing.B) {
	for _, kt := range []testcerts.KeyType{testcerts.P256, testcerts.RSA2048} {
		for _, tr := range transports {
			for _, im := range impls12(kt, 0, false) {
				b.Run(string(kt)+"/"+tr.name+"/impl="+im.name, func(b *testing.B) { fullHandshakes(b, tr, im) })
			}
		}
	}
}

// BenchmarkBulk12: one-direction TLS 1.2 transfer with 16 KiB writes.
func BenchmarkBulk12(b *testing.B) {
	for _, s := range []struct {
		name string
		id   uint16
	}{{"AES-128-GCM", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, {"ChaCha20", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}} {
		for _, tr := range transports {
			for _, im := range impls12(testcerts.P256, s.id, false) {
				b.Run(s.name+"/16KiB/"+tr.name+"/impl="+im.name, func(b *testing.B) {
					bulk(b, tr, im, 16<<10, s.id)
				})
			}
		}
	}
}

// BenchmarkResumedHandshake12: TLS 1.2 abbreviated handshakes by ticket.
func BenchmarkResumedHandshake12(b *testing.B) {
	for _, tr := range transports {
		for _, im := range impls12(testcerts.P256, 0, true) {
			b.Run(tr.name+"/impl="+im.name, func(b *testing.B) {
				once := func() bool {
					x, y := tr.pair(b)
					defer x.Close()
					defer y.Close()
					c, s := im.client(x), im.server(y)
					handshakeBoth(b, c, s)
					return didResume(c)
				}
				once()
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuNow()
				for i := 0; i < b.N; i++ {
					if !once() {
						b.Fatal("did not resume")
					}
				}
				b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
