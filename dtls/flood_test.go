package dtls

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

// helloDatagram is a ClientHello with cookie in one record.
func helloDatagram(cookie []byte) []byte {
	ch := wire.ClientHello{Vers: versionDTLS12, Datagram: true, LegacyCookie: cookie, SessionID: []byte{},
		CipherSuites: []uint16{wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, Compression: []uint8{0}, Padding: -1}
	m := ch.Marshal()
	frag := appendFragment(nil, m, 0, 0, len(m)-4)
	rec := (&writeEpoch{}).sealPlain(frag)
	return rec
}

func (e *writeEpoch) sealPlain(content []byte) []byte {
	b, _ := e.seal(nil, wire.TypeHandshake, content)
	return b
}

// A flood of ClientHellos from spoofed addresses: each gets a
// HelloVerifyRequest, nothing is kept and nothing is allocated (on a UDP
// socket; the peers are loopback sockets of the test).
func TestHelloFloodKeepsNothing(t *testing.T) {
	l := testcertsListener(t)
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	from := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	d := helloDatagram(nil)
	allocs := testing.AllocsPerRun(50, func() { l.hello(d, from) })
	if allocs != 0 {
		t.Errorf("%.1f allocations per spoofed ClientHello", allocs)
	}
	if len(l.conns) != 0 {
		t.Errorf("%d connections kept", len(l.conns))
	}
	buf := make([]byte, 2048)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := peer.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var hvr wire.HelloVerifyRequest
	r, _, ok := splitRecord(buf[:n])
	f, _, ok2 := splitFragment(r.payload)
	if !ok || !ok2 || f.typ != wire.TypeHelloVerifyRequest || hvr.Unmarshal(append([]byte{f.typ, 0, 0, byte(f.length)}, f.data...)) != nil || len(hvr.Cookie) != 32 {
		t.Fatalf("answer %x is not a HelloVerifyRequest", buf[:n])
	}
	// The cookie is good for that address only, and a hello that
	// carries it is admitted.
	good := helloDatagram(hvr.Cookie)
	other := netip.AddrPortFrom(from.Addr(), from.Port()+1)
	l.hello(good, other)
	if len(l.conns) != 0 {
		t.Fatal("a cookie made for another address was taken")
	}
	l.hello(good, from)
	if len(l.conns) != 1 {
		t.Fatal("a good cookie was refused")
	}
}

func testcertsListener(t *testing.T) *Listener {
	ca := testcerts.NewCA("flood CA")
	lf := ca.Issue(testcerts.P256, "localhost")
	cfg := &hasp.Config{Certificates: []hasp.Certificate{{Certificate: lf.Chain, PrivateKey: lf.Key, Leaf: lf.Cert}}}
	o, _ := buildOptions(nil)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	l := &Listener{pc: pc, config: cfg, opts: o, conns: map[netip.AddrPort]*listenedConn{},
		accept: make(chan *Conn, 16), closed: make(chan struct{}), out: make([]byte, 0, 128)}
	l.rotate()
	l.rotate()
	return l
}
