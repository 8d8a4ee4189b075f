package dtls

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Dial connects to a DTLS server at address ("udp", "udp4" or "udp6")
// and runs the handshake.
func Dial(network, address string, config *hasp.Config, opts ...Option) (*Conn, error) {
	return DialContext(context.Background(), network, address, config, opts...)
}

// DialContext is Dial with a context that bounds the handshake.
func DialContext(ctx context.Context, network, address string, config *hasp.Config, opts ...Option) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	uc, ok := nc.(*net.UDPConn)
	if !ok {
		nc.Close()
		return nil, errors.New("dtls: " + network + " is not a datagram network")
	}
	if config != nil && config.ServerName == "" && !config.InsecureSkipVerify {
		host, _, err := net.SplitHostPort(address)
		if err == nil {
			config = config.Clone()
			config.ServerName = host
		}
	}
	c, err := Client(uc, uc.RemoteAddr(), config, opts...)
	if err != nil {
		uc.Close()
		return nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- c.Handshake() }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		c.Close()
		err = ctx.Err()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Listener serves DTLS on one socket: it tells peers apart by address,
// and answers a ClientHello from a new peer with a HelloVerifyRequest
// whose cookie is an HMAC of the peer's address and hello, keeping
// nothing for it (RFC 6347 section 4.2.1) until it comes back with the
// cookie. A flood of hellos from spoofed addresses costs one HMAC each
// and allocates nothing.
type Listener struct {
	pc     net.PacketConn
	config *hasp.Config
	opts   options

	mu     sync.Mutex
	conns  map[netip.AddrPort]*listenedConn
	byCID  map[string]*listenedConn // when WithConnectionID is on
	accept chan *Conn
	closed chan struct{}
	err    error

	// Cookie keys: the current one makes cookies, the previous one still
	// opens them, and they rotate every cookieRotation. Used by the read
	// goroutine only.
	keys      [2][32]byte
	rotatedAt time.Time
	mac       hash.Hash
	macPrev   hash.Hash
	sum       [sha256.Size]byte
	in        []byte
	out       []byte
}

type listenedConn struct {
	c   *Conn
	in  chan packet
	key netip.AddrPort // the peer's address now
}

const cookieRotation = 5 * time.Minute

// Listen opens a UDP socket on address and serves DTLS on it.
func Listen(network, address string, config *hasp.Config, opts ...Option) (*Listener, error) {
	pc, err := net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	l, err := NewListener(pc, config, opts...)
	if err != nil {
		pc.Close()
	}
	return l, err
}

// NewListener serves DTLS on pc, which it owns from now on.
func NewListener(pc net.PacketConn, config *hasp.Config, opts ...Option) (*Listener, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if config == nil {
		return nil, errors.New("dtls: nil Config")
	}
	l := &Listener{pc: pc, config: config, opts: o, conns: make(map[netip.AddrPort]*listenedConn),
		accept: make(chan *Conn, 16), closed: make(chan struct{}), out: make([]byte, 0, 128), byCID: map[string]*listenedConn{}}
	if err := l.rotate(); err != nil {
		return nil, err
	}
	l.rotate()
	go l.serve()
	return l, nil
}

func (l *Listener) rotate() error {
	l.keys[1] = l.keys[0]
	if _, err := rand.Read(l.keys[0][:]); err != nil {
		return err
	}
	l.mac = hmac.New(sha256.New, l.keys[0][:])
	l.macPrev = hmac.New(sha256.New, l.keys[1][:])
	l.rotatedAt = l.opts.clock.Now()
	return nil
}

// Accept waits for the next peer that came back with a good cookie. Its
// handshake runs on the Conn's first Read, Write or Handshake.
func (l *Listener) Accept() (net.Conn, error) { return l.AcceptDTLS() }

// AcceptDTLS is Accept returning the *Conn.
func (l *Listener) AcceptDTLS() (*Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Addr is the socket's address.
func (l *Listener) Addr() net.Addr { return l.pc.LocalAddr() }

// Close stops the listener and its connections.
func (l *Listener) Close() error {
	l.mu.Lock()
	select {
	case <-l.closed:
		l.mu.Unlock()
		return nil
	default:
	}
	close(l.closed)
	conns := l.conns
	l.conns = map[netip.AddrPort]*listenedConn{}
	l.mu.Unlock()
	for _, lc := range conns {
		lc.c.Close()
	}
	return l.pc.Close()
}

// readFrom reads a datagram and its source, without allocating on a UDP
// socket.
func (l *Listener) readFrom(buf []byte) (int, netip.AddrPort, error) {
	if uc, ok := l.pc.(*net.UDPConn); ok {
		n, ap, err := uc.ReadFromUDPAddrPort(buf)
		return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err
	}
	n, from, err := l.pc.ReadFrom(buf)
	if err != nil {
		return n, netip.AddrPort{}, err
	}
	ap, perr := netip.ParseAddrPort(from.String())
	if perr != nil {
		return 0, ap, nil // not an IP peer: dropped
	}
	return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// writeTo sends a datagram to ap.
func (l *Listener) writeTo(b []byte, ap netip.AddrPort) {
	if uc, ok := l.pc.(*net.UDPConn); ok {
		uc.WriteToUDPAddrPort(b, ap)
		return
	}
	l.pc.WriteTo(b, net.UDPAddrFromAddrPort(ap))
}

func (l *Listener) serve() {
	buf := make([]byte, 65536)
	for {
		n, key, err := l.readFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			l.Close()
			return
		}
		if !key.IsValid() {
			continue
		}
		d := buf[:n]
		l.mu.Lock()
		lc := l.conns[key]
		l.mu.Unlock()
		var from net.Addr
		if lc == nil && l.opts.cid > 0 && n > 11+l.opts.cid && wire.ContentType(d[0]) == contentCID {
			// A known connection ID from a new address: the peer may
			// have moved; its Conn decides once the record authenticates.
			l.mu.Lock()
			lc = l.byCID[string(d[11:11+l.opts.cid])]
			l.mu.Unlock()
			from = net.UDPAddrFromAddrPort(key)
		}
		if lc != nil {
			p := newPacket(d, from)
			select {
			case lc.in <- p:
			default: // the connection does not keep up: dropped
				if p.buf != nil {
					datagramPool.Put(p.buf)
				}
			}
			continue
		}
		l.hello(d, key)
	}
}

// clientHello is what the cookie covers of a first-fragment ClientHello,
// found without allocating.
type clientHello struct {
	recordSeq        uint64
	messageSeq       uint16
	version          uint16
	random, sid      []byte
	cookie           []byte
	suites, compress []byte
}

// parseHello reads a datagram that starts with a whole, unfragmented
// ClientHello in epoch 0; ok false otherwise (the datagram is dropped).
func parseHello(d []byte) (h clientHello, ok bool) {
	r, _, ok := splitRecord(d)
	if !ok || r.typ != wire.TypeHandshake || r.epoch != 0 {
		return h, false
	}
	f, _, ok := splitFragment(r.payload)
	if !ok || f.typ != wire.TypeClientHello || f.off != 0 || len(f.data) != f.length {
		return h, false
	}
	h.recordSeq, h.messageSeq = r.seq, f.seq
	s := cryptobyte.String(f.data)
	var random, sid, cookie, suites, comp cryptobyte.String
	if !s.ReadUint16(&h.version) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sid) || !s.ReadUint8LengthPrefixed(&cookie) ||
		!s.ReadUint16LengthPrefixed(&suites) || !s.ReadUint8LengthPrefixed(&comp) {
		return h, false
	}
	h.random, h.sid, h.cookie, h.suites, h.compress = random, sid, cookie, suites, comp
	return h, true
}

// cookieFor computes the cookie for a hello from addr under mac into
// l.sum: an HMAC of the address and the fields RFC 6347 4.2.1 has the
// client repeat (version, random, session ID, suites, compression). The
// input is put together in l.in, which is kept: no allocation per hello.
func (l *Listener) cookieFor(mac hash.Hash, addr netip.AddrPort, h *clientHello) []byte {
	b := l.in[:0]
	ip := addr.Addr().As16()
	b = append(b, ip[:]...)
	b = binary.BigEndian.AppendUint16(b, addr.Port())
	for _, p := range [...][]byte{h.random, h.sid, h.suites, h.compress} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	b = binary.BigEndian.AppendUint16(b, h.version)
	l.in = b[:0]
	mac.Reset()
	mac.Write(b)
	return mac.Sum(l.sum[:0])
}

// hello handles a datagram from a peer we keep nothing for.
func (l *Listener) hello(d []byte, from netip.AddrPort) {
	h, ok := parseHello(d)
	if !ok {
		return
	}
	if l.opts.clock.Now().Sub(l.rotatedAt) > cookieRotation {
		l.rotate()
	}
	if len(h.cookie) > 0 && (hmac.Equal(h.cookie, l.cookieFor(l.mac, from, &h)) || hmac.Equal(h.cookie, l.cookieFor(l.macPrev, from, &h))) {
		l.admit(d, from, &h)
		return
	}
	cookie := l.cookieFor(l.mac, from, &h)
	// The HelloVerifyRequest: record sequence number the ClientHello's
	// (RFC 6347 4.2.1), message_seq 0, version DTLS 1.0 as peers expect.
	body := 3 + len(cookie)
	out := l.out[:0]
	out = append(out, byte(wire.TypeHandshake), versionDTLS10>>8, versionDTLS10&0xff, 0, 0,
		byte(h.recordSeq>>40), byte(h.recordSeq>>32), byte(h.recordSeq>>24), byte(h.recordSeq>>16), byte(h.recordSeq>>8), byte(h.recordSeq),
		0, byte(handshakeHeaderLen+body),
		wire.TypeHelloVerifyRequest, 0, 0, byte(body), 0, 0, 0, 0, 0, 0, 0, byte(body),
		versionDTLS10>>8, versionDTLS10&0xff, byte(len(cookie)))
	out = append(out, cookie...)
	l.out = out[:0]
	l.writeTo(out, from)
}

// admit makes a connection for a peer that came back with a good cookie.
func (l *Listener) admit(d []byte, key netip.AddrPort, h *clientHello) {
	in := make(chan packet, 64)
	c := &Conn{pc: l.pc, raddr: net.UDPAddrFromAddrPort(key), opts: l.opts, config: l.config, in: in, deadlineSet: make(chan struct{}, 1),
		quit: make(chan struct{}), listened: true, firstSeq: uint64(h.messageSeq), firstRecordSeq: h.recordSeq}
	lc := &listenedConn{c: c, in: in, key: key}
	if l.opts.cid >= 0 {
		c.ourCID = make([]byte, l.opts.cid)
		if _, err := rand.Read(c.ourCID); err != nil {
			return
		}
		c.addrChanged = func(_, now net.Addr) {
			ap, err := netip.ParseAddrPort(now.String())
			if err != nil {
				return
			}
			ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			l.mu.Lock()
			if l.conns[lc.key] == lc {
				delete(l.conns, lc.key)
			}
			lc.key = ap
			l.conns[ap] = lc
			l.mu.Unlock()
		}
	}
	var once sync.Once
	c.stop = func() {
		once.Do(func() {
			l.mu.Lock()
			if l.conns[lc.key] == lc {
				delete(l.conns, lc.key)
			}
			if l.byCID[string(c.ourCID)] == lc {
				delete(l.byCID, string(c.ourCID))
			}
			l.mu.Unlock()
			close(c.quit)
		})
	}
	l.mu.Lock()
	l.conns[key] = lc
	if len(c.ourCID) > 0 {
		l.byCID[string(c.ourCID)] = lc
	}
	l.mu.Unlock()
	in <- newPacket(d, nil)
	select {
	case l.accept <- c:
	default:
		// Nobody accepts fast enough: the peer will retransmit.
		c.stop()
	}
}
