package dtls_test

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	piondtls "github.com/pion/dtls/v3"

	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// rebindPC is a client socket behind a NAT that rebinds: it sends from
// one loopback socket, then (after Rebind) from another, and reads from
// both.
type rebindPC struct {
	socks [2]*net.UDPConn
	cur   atomic.Int32
	in    chan rebindPacket
	once  sync.Once
	done  chan struct{}
}

type rebindPacket struct {
	data []byte
	from net.Addr
}

func newRebindPC(t *testing.T) *rebindPC {
	r := &rebindPC{in: make(chan rebindPacket, 64), done: make(chan struct{})}
	for i := range r.socks {
		s, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		r.socks[i] = s
		go func() {
			buf := make([]byte, 65536)
			for {
				n, from, err := s.ReadFrom(buf)
				if err != nil {
					return
				}
				select {
				case r.in <- rebindPacket{append([]byte(nil), buf[:n]...), from}:
				case <-r.done:
					return
				}
			}
		}()
	}
	return r
}

func (r *rebindPC) Rebind() { r.cur.Store(1) }

func (r *rebindPC) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-r.in:
		return copy(b, p.data), p.from, nil
	case <-r.done:
		return 0, nil, net.ErrClosed
	}
}

func (r *rebindPC) WriteTo(b []byte, addr net.Addr) (int, error) {
	return r.socks[r.cur.Load()].WriteTo(b, addr)
}

func (r *rebindPC) Close() error {
	r.once.Do(func() {
		close(r.done)
		r.socks[0].Close()
		r.socks[1].Close()
	})
	return nil
}
func (r *rebindPC) LocalAddr() net.Addr              { return r.socks[r.cur.Load()].LocalAddr() }
func (r *rebindPC) SetDeadline(time.Time) error      { return nil }
func (r *rebindPC) SetReadDeadline(time.Time) error  { return nil }
func (r *rebindPC) SetWriteDeadline(time.Time) error { return nil }

// Connection IDs (RFC 9146): the client's address changes in the middle
// of the connection and the connection goes on; the Listener finds it by
// its ID and answers at the new address.
func TestConnectionIDRebinding(t *testing.T) {
	l, err := dtls.Listen("udp", "127.0.0.1:0", serverConfig(testcerts.P256), dtls.WithConnectionID(8))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveEcho(l)
	t.Run("hasp client", func(t *testing.T) {
		pc := newRebindPC(t)
		c, err := dtls.Client(pc, l.Addr(), clientConfig(), dtls.WithConnectionID(0))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, "before the NAT rebinds")
		pc.Rebind()
		roundTrip(t, c, "after the NAT rebinds")
		roundTrip(t, c, "and again")
	})
	t.Run("pion client", func(t *testing.T) {
		pc := newRebindPC(t)
		p, err := piondtls.Client(pc, l.Addr(), &piondtls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: verifyTestChain,
			ConnectionIDGenerator: piondtls.OnlySendCIDGenerator()})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if err := p.Handshake(); err != nil {
			t.Fatal(err)
		}
		roundTrip(t, p, "pion before the NAT rebinds")
		pc.Rebind()
		roundTrip(t, p, "pion after the NAT rebinds")
	})
}

// Without connection IDs, a new address is another peer: the old
// connection hears nothing.
func TestNoConnectionIDNoRebinding(t *testing.T) {
	l, err := dtls.Listen("udp", "127.0.0.1:0", serverConfig(testcerts.P256))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveEcho(l)
	pc := newRebindPC(t)
	c, err := dtls.Client(pc, l.Addr(), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "before")
	pc.Rebind()
	c.Write([]byte("after"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := c.Read(make([]byte, 100)); err == nil {
		t.Fatalf("a record from a new address without a connection ID was answered (%d bytes)", n)
	}
}

// A pion server that gives connection IDs: hasp's records carry its ID.
func TestPionServerConnectionID(t *testing.T) {
	a, b := udpPair(t)
	ps, err := piondtls.Server(b, a.LocalAddr(), &piondtls.Config{Certificates: []tls.Certificate{pionCert(testcerts.P256)},
		ConnectionIDGenerator: piondtls.RandomCIDGenerator(8)})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	c, _ := dtls.Client(a, b.LocalAddr(), clientConfig(), dtls.WithConnectionID(4))
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- ps.Handshake() }()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(done); err != nil {
		t.Fatal(err)
	}
	roundTripTo(t, c, ps, "with pion's connection ID")
	roundTripTo(t, ps, c, "with hasp's connection ID")
}
