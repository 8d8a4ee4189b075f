package bench

import (
	"crypto/tls"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	piondtls "github.com/pion/dtls/v3"
	pionelliptic "github.com/pion/dtls/v3/pkg/crypto/elliptic"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// DTLS 1.2: hasp against pion/dtls (the Go DTLS that WebRTC uses), each
// library at both ends, alike: ECDHE-ECDSA P-256, x25519, AES-128-GCM,
// extended master secret, the chain verified. Over an in-memory datagram
// pipe that loses nothing, so what is measured is the libraries.
//
//	bench/compare.sh 8 'DTLS'

// memPacketConn is one end of a lossless in-memory datagram pipe.
type memPacketConn struct {
	in, out   chan []byte
	local     *net.UDPAddr
	closeOnce sync.Once
	closed    chan struct{}
	deadline  time.Time
	mu        sync.Mutex
}

func memPacketPair() (*memPacketConn, *memPacketConn) {
	ab, ba := make(chan []byte, 256), make(chan []byte, 256)
	a := &memPacketConn{in: ba, out: ab, local: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, closed: make(chan struct{})}
	b := &memPacketConn{in: ab, out: ba, local: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}, closed: make(chan struct{})}
	return a, b
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (c *memPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	var t <-chan time.Time
	if !dl.IsZero() {
		timer := time.NewTimer(time.Until(dl))
		defer timer.Stop()
		t = timer.C
	}
	select {
	case d := <-c.in:
		return copy(b, d), c.peer(), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-t:
		return 0, nil, timeoutErr{}
	}
}

func (c *memPacketConn) peer() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3 - c.local.Port}
}

func (c *memPacketConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	d := append([]byte(nil), b...)
	select {
	case c.out <- d:
		return len(b), nil
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *memPacketConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}
func (c *memPacketConn) LocalAddr() net.Addr { return c.local }
func (c *memPacketConn) SetDeadline(t time.Time) error {
	return c.SetReadDeadline(t)
}
func (c *memPacketConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}
func (c *memPacketConn) SetWriteDeadline(time.Time) error { return nil }

// dtlsImpl makes a connected client and server of one library.
type dtlsImpl struct {
	name string
	pair func(b *testing.B) (client, server conn)
}

func dtlsImpls() []dtlsImpl {
	l := leafs[testcerts.P256]
	hc := &hasp.Config{ServerName: "localhost", RootCAs: ca.Pool(), CurvePreferences: []hasp.CurveID{hasp.X25519, hasp.CurveP256},
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, SessionTicketsDisabled: true}
	hs := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		CurvePreferences: []hasp.CurveID{hasp.X25519, hasp.CurveP256}, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		SessionTicketsDisabled: true}
	pc := &piondtls.Config{ServerName: "localhost", RootCAs: ca.Pool(), EllipticCurves: []pionelliptic.Curve{pionelliptic.X25519, pionelliptic.P256},
		CipherSuites: []piondtls.CipherSuiteID{piondtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, ExtendedMasterSecret: piondtls.RequireExtendedMasterSecret}
	ps := &piondtls.Config{Certificates: []tls.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}},
		EllipticCurves: []pionelliptic.Curve{pionelliptic.X25519, pionelliptic.P256},
		CipherSuites:   []piondtls.CipherSuiteID{piondtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, ExtendedMasterSecret: piondtls.RequireExtendedMasterSecret}
	return []dtlsImpl{
		{"hasp", func(b *testing.B) (conn, conn) {
			x, y := memPacketPair()
			c, err := dtls.Client(x, y.local, hc)
			if err != nil {
				b.Fatal(err)
			}
			s, err := dtls.Server(y, x.local, hs)
			if err != nil {
				b.Fatal(err)
			}
			return c, s
		}},
		{"pion", func(b *testing.B) (conn, conn) {
			x, y := memPacketPair()
			c, err := piondtls.Client(x, y.local, pc)
			if err != nil {
				b.Fatal(err)
			}
			s, err := piondtls.Server(y, x.local, ps)
			if err != nil {
				b.Fatal(err)
			}
			return c, s
		}},
	}
}

// BenchmarkDTLSHandshake: a full DTLS 1.2 handshake, both ends.
func BenchmarkDTLSHandshake(b *testing.B) {
	for _, im := range dtlsImpls() {
		b.Run("ECDSA-P256/impl="+im.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuNow()
			for range b.N {
				c, s := im.pair(b)
				handshakeBoth(b, c, s)
				c.Close()
				s.Close()
			}
			b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkDTLSBulk: one direction, 1 KiB datagrams, a reader parked in
// Read at the other end.
func BenchmarkDTLSBulk(b *testing.B) {
	for _, im := range dtlsImpls() {
		b.Run("1KiB/impl="+im.name, func(b *testing.B) {
			c, s := im.pair(b)
			handshakeBoth(b, c, s)
			defer c.Close()
			defer s.Close()
			msg := make([]byte, 1024)
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, 2048)
				for range b.N {
					if _, err := s.Read(buf); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuNow()
			for range b.N {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkDTLSIdle reports the heap idle connections hold: 200 clients
// handshake with one Listener (each server Conn with a Read parked, as
// servers do); the heap is measured with both ends alive (per pair), then
// with the clients' sockets closed under them (no close_notify, so the
// server Conns stay), which leaves the server side alone.
func BenchmarkDTLSIdle(b *testing.B) {
	const n = 200
	l := leafs[testcerts.P256]
	sc := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}, SessionTicketsDisabled: true}
	cc := &hasp.Config{ServerName: "localhost", RootCAs: ca.Pool()}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range b.N {
		ln, err := dtls.Listen("udp", "127.0.0.1:0", sc)
		if err != nil {
			b.Fatal(err)
		}
		var parked sync.WaitGroup
		go func() {
			for {
				c, err := ln.AcceptDTLS()
				if err != nil {
					return
				}
				parked.Add(1)
				go func() {
					c.Handshake()
					parked.Done()
					c.Read(make([]byte, 1500)) // parked until the end
				}()
			}
		}()
		before := heap()
		var socks []*net.UDPConn
		for range n {
			s, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			c, err := dtls.Client(s, ln.Addr(), cc)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Handshake(); err != nil {
				b.Fatal(err)
			}
			socks = append(socks, s)
		}
		parked.Wait()
		pair := heap()
		for _, s := range socks {
			s.Close()
		}
		time.Sleep(100 * time.Millisecond) // the clients' readers end
		server := heap()
		b.ReportMetric(float64(pair-before)/n, "heap-B/pair")
		b.ReportMetric(float64(server-before)/n, "heap-B/server-conn")
		ln.Close()
	}
}
