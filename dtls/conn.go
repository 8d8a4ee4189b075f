// Package dtls is TLS for datagrams: DTLS 1.2 (RFC 6347) on hasp's
// handshake engine, for WebRTC, CoAP and IoT, VPNs and games. A Conn is a
// net.Conn with message semantics: one Write is one record, one Read
// returns one record's data. Handshake messages are fragmented to the
// path MTU and put together again from fragments in any order; flights
// are retransmitted on a timer that doubles from one second up to a
// minute (RFC 6347 4.2.4); records that do not authenticate are dropped
// without a word, and replays are refused by a sliding window.
//
// Client and Server run a connection over a net.PacketConn to one peer;
// Dial does both steps for a client; Listen serves many peers on one
// socket, answering each new one with a stateless HelloVerifyRequest
// cookie before it keeps any state for it.
package dtls

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/bridge"
	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/protect"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Clock is the time a Conn's retransmission timers run on. Tests pass a
// virtual one to run loss scenarios in no time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// DefaultMTU is the datagram size used before the path MTU is known: 1200
// bytes fit every IPv6 path and the usual tunnels.
const DefaultMTU = 1200

// minMTU keeps a fragment's room positive after the headers and the
// largest protection overhead.
const minMTU = 256

// Retransmission timer bounds (RFC 6347 section 4.2.4.1), and how many
// times one flight goes again unanswered before the handshake gives up
// (1+2+4+...+60 s: about five minutes).
const (
	initialTimeout = time.Second
	maxTimeout     = 60 * time.Second
	maxRetransmits = 10
)

// ErrHandshakeTimeout is the handshake's error when the peer never
// answered a flight.
var ErrHandshakeTimeout = errors.New("dtls: no answer from the peer: handshake timed out")

// Option sets a connection's transport settings.
type Option func(*options)

type options struct {
	mtu   int
	clock Clock
	srtp  []uint16
	cid   int // length of our connection ID; -1: none
}

// WithMTU sets the largest datagram sent (default DefaultMTU; at least
// 256).
func WithMTU(n int) Option { return func(o *options) { o.mtu = n } }

// SRTPProtectionProfile is a DTLS-SRTP protection profile (RFC 5764,
// IANA "DTLS-SRTP Protection Profiles").
type SRTPProtectionProfile uint16

// The profiles WebRTC uses.
const (
	SRTP_AES128_CM_HMAC_SHA1_80 SRTPProtectionProfile = 0x0001
	SRTP_AES128_CM_HMAC_SHA1_32 SRTPProtectionProfile = 0x0002
	SRTP_AEAD_AES_128_GCM       SRTPProtectionProfile = 0x0007
	SRTP_AEAD_AES_256_GCM       SRTPProtectionProfile = 0x0008
)

// keyingLength is the exporter output a profile needs: two master keys
// and two master salts (RFC 5764 4.2; RFC 7714 12 for AES-GCM).
func (p SRTPProtectionProfile) keyingLength() int {
	switch p {
	case SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AES128_CM_HMAC_SHA1_32:
		return 2 * (16 + 14)
	case SRTP_AEAD_AES_128_GCM:
		return 2 * (16 + 12)
	case SRTP_AEAD_AES_256_GCM:
		return 2 * (32 + 12)
	}
	return 0
}

// WithSRTP offers (a client) or accepts (a server, in its order of
// preference) DTLS-SRTP protection profiles: the use_srtp extension of
// RFC 5764, as WebRTC keys its media.
func WithSRTP(profiles ...SRTPProtectionProfile) Option {
	return func(o *options) {
		for _, p := range profiles {
			o.srtp = append(o.srtp, uint16(p))
		}
	}
}

// WithConnectionID negotiates DTLS 1.2 connection IDs (RFC 9146): the
// peer puts a random ID of n bytes of ours on its records, and the
// connection keeps working when the peer's address changes (NAT
// rebinding): the new address is taken from a record that authenticates
// and is newer than any before. n = 0 asks for no ID but sends the
// peer's. A Listener given it tells peers apart by their ID.
func WithConnectionID(n int) Option { return func(o *options) { o.cid = n } }

// WithClock runs the retransmission timers on c.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

func buildOptions(opts []Option) (options, error) {
	o := options{mtu: DefaultMTU, clock: realClock{}, cid: -1}
	for _, f := range opts {
		f(&o)
	}
	if o.cid > 255 {
		return o, fmt.Errorf("dtls: connection ID of %d bytes (at most 255)", o.cid)
	}
	if o.mtu < minMTU || o.mtu > 65535 {
		return o, fmt.Errorf("dtls: MTU %d out of range (%d to 65535)", o.mtu, minMTU)
	}
	return o, nil
}

// flightItem is one message (or CCS) of the flight we last sent, kept to
// send again.
type flightItem struct {
	ccs   bool
	epoch uint16
	seq   uint16
	msg   []byte // handshake message with its 4-byte TLS header
}

// Conn is a DTLS connection to one peer.
type Conn struct {
	pc      net.PacketConn
	raddrMu sync.Mutex
	raddr   net.Addr
	// ourCID is the connection ID the peer puts on its records (nil:
	// none asked for); cidActive once both ends agreed (RFC 9146).
	ourCID    []byte
	cidActive atomic.Bool
	// addrChanged tells a Listener that the peer moved.
	addrChanged func(old, new net.Addr)
	connected   bool // pc is connected to raddr: Write, not WriteTo
	client      bool
	opts        options
	config      *hasp.Config
	in          <-chan packet // the peer's datagrams
	stop        func()        // stops what feeds in, and closes pc if ours
	quit        chan struct{} // closed by stop

	handshakeMu  sync.Mutex
	handshakeErr error
	hs           bridge.Handshake
	eng          engine.Engine
	done         bool
	// firstSeq and firstRecordSeq: a listener's connection starts from
	// the ClientHello that carried a good cookie (message_seq, and the
	// record number its ServerHello continues from).
	firstSeq, firstRecordSeq uint64
	listened                 bool

	// Read side, under inMu.
	inMu    sync.Mutex
	cur     *readEpoch
	prev    *readEpoch
	future  [][]byte // records of the next epoch that came before its key
	reasm   reassembler
	rLevel  engine.Level
	appData []appRecord // a queue from appHead
	appHead int
	readErr error
	// deadline is Read's, in Unix nanoseconds (0: none); SetReadDeadline
	// pokes deadlineSet so that a waiting Read sees the change.
	deadline    atomic.Int64
	deadlineSet chan struct{}
	// peerRetransmitted: a fragment of a message already handled came
	// again, so the peer lost our last flight.
	peerRetransmitted bool
	sentFlight        bool

	// Write side, under outMu.
	outMu    sync.Mutex
	wepochs  []*writeEpoch // by epoch number
	flight   []flightItem
	lastSend time.Time
	closed   bool
	wbuf     []byte
	fbuf     []byte
}

// Client returns a DTLS client on pc talking to addr; the handshake runs
// on the first Read or Write, or Handshake. Close closes pc.
func Client(pc net.PacketConn, addr net.Addr, config *hasp.Config, opts ...Option) (*Conn, error) {
	return newConn(pc, addr, config, true, opts)
}

// Server returns a DTLS server on pc for the client at addr (a socket
// that serves one peer; Listen serves many). It asks for no cookie.
func Server(pc net.PacketConn, addr net.Addr, config *hasp.Config, opts ...Option) (*Conn, error) {
	return newConn(pc, addr, config, false, opts)
}

func newConn(pc net.PacketConn, addr net.Addr, config *hasp.Config, client bool, opts []Option) (*Conn, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	c := &Conn{pc: pc, raddr: addr, client: client, opts: o, config: config, deadlineSet: make(chan struct{}, 1), quit: make(chan struct{})}
	if nc, ok := pc.(net.Conn); ok && nc.RemoteAddr() != nil {
		c.connected = true
	}
	if o.cid >= 0 {
		c.ourCID = make([]byte, o.cid)
		if _, err := rand.Read(c.ourCID); err != nil {
			return nil, err
		}
	}
	ch := make(chan packet, 64)
	c.in = ch
	var once sync.Once
	c.stop = func() {
		once.Do(func() {
			close(c.quit)
			pc.Close()
		})
	}
	go c.readLoop(ch)
	return c, nil
}

// packet is a datagram and where it came from; buf, when set, is the
// pooled buffer that holds it, returned once nothing points into it.
type packet struct {
	data []byte
	from net.Addr
	buf  *[]byte
}

// smallDatagram is the size of pooled datagram buffers: a datagram of
// the usual MTU fits, and then costs no allocation.
const smallDatagram = 2048

var readBufPool = sync.Pool{New: func() any { b := make([]byte, 65536); return &b }}

var datagramPool = sync.Pool{New: func() any { b := make([]byte, smallDatagram); return &b }}

// newPacket copies a datagram into a pooled buffer (or a new one when it
// is large).
func newPacket(d []byte, from net.Addr) packet {
	if len(d) <= smallDatagram {
		b := datagramPool.Get().(*[]byte)
		return packet{(*b)[:copy(*b, d)], from, b}
	}
	return packet{append([]byte(nil), d...), from, nil}
}

// appRecord is application data waiting for Read; buf is the datagram's
// pooled buffer, set on the datagram's last record, released when that
// one is read.
type appRecord struct {
	data []byte
	buf  *[]byte
}

func (c *Conn) remote() net.Addr {
	c.raddrMu.Lock()
	defer c.raddrMu.Unlock()
	return c.raddr
}

// readLoop feeds the peer's datagrams from pc to ch until pc fails:
// those from the peer's address, and once connection IDs are agreed any
// (the records then say whose they are).
func (c *Conn) readLoop(ch chan<- packet) {
	pc, connected, done := c.pc, c.connected, c.quit
	defer close(ch)
	// The largest UDP datagram fits; the buffer goes back to a pool when
	// the connection ends, for the next one.
	bufp := readBufPool.Get().(*[]byte)
	defer readBufPool.Put(bufp)
	buf := *bufp
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !connected && !sameAddr(from, c.remote()) && !c.cidActive.Load() {
			continue
		}
		p := newPacket(buf[:n], from)
		// Waiting here leaves datagrams in the socket's buffer, where the
		// kernel drops them when the connection does not keep up.
		select {
		case ch <- p:
		case <-done:
			return
		}
	}
}

// sameAddr reports whether two addresses are the same peer, without
// allocating for UDP ones.
func sameAddr(a, b net.Addr) bool {
	if a == nil || b == nil {
		return false
	}
	ua, ok1 := a.(*net.UDPAddr)
	ub, ok2 := b.(*net.UDPAddr)
	if ok1 && ok2 {
		return ua.Port == ub.Port && ua.IP.Equal(ub.IP) && ua.Zone == ub.Zone
	}
	return a.Network() == b.Network() && a.String() == b.String()
}

// init makes the handshaker, once.
func (c *Conn) init() error {
	if c.hs != nil {
		return nil
	}
	if bridge.NewDatagram == nil {
		return errors.New("dtls: package hasp is not initialised")
	}
	srtp, cid := c.opts.srtp, c.ourCID
	tune := func(ec *engine.Config) {
		ec.SRTPProfiles = srtp
		ec.ConnectionID = cid
	}
	hs, err := bridge.NewDatagram(c.config, c.client, c.remote(), tune)
	if err != nil {
		return err
	}
	c.hs, c.eng = hs, hs.Engine()
	c.cur = &readEpoch{}
	c.wepochs = []*writeEpoch{{}}
	if c.listened {
		c.eng.(*engine.Server).StartSeq(uint16(c.firstSeq))
		c.reasm.next = uint16(c.firstSeq)
		c.wepochs[0].seq = c.firstRecordSeq
	}
	return nil
}

// Handshake runs the handshake if it has not run yet.
func (c *Conn) Handshake() error {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.done || c.handshakeErr != nil {
		return c.handshakeErr
	}
	if err := c.init(); err != nil {
		c.handshakeErr = err
		return err
	}
	c.inMu.Lock()
	err := c.handshake()
	c.inMu.Unlock()
	if err != nil {
		c.handshakeErr = c.fail(err)
		return c.handshakeErr
	}
	c.done = true
	return nil
}

func (c *Conn) handshake() error {
	acts, err := c.eng.Start()
	c.hs.Publish()
	if err != nil {
		return err
	}
	if err := c.apply(acts); err != nil {
		return err
	}
	// One timer for the handshake on the real clock (time.After would
	// make one per flight, each kept until it fires).
	var rt *time.Timer
	after := func(d time.Duration) <-chan time.Time {
		if _, ok := c.opts.clock.(realClock); !ok {
			return c.opts.clock.After(d)
		}
		if rt == nil {
			rt = time.NewTimer(d)
		} else {
			rt.Reset(d)
		}
		return rt.C
	}
	defer func() {
		if rt != nil {
			rt.Stop()
		}
	}()
	timeout := initialTimeout
	timer := after(timeout)
	tries := 0
	for !c.eng.Done() {
		select {
		case p, ok := <-c.in:
			if !ok {
				return io.ErrUnexpectedEOF
			}
			c.sentFlight = false
			if err := c.takePacket(p); err != nil {
				return err
			}
			if c.sentFlight {
				// A new flight: its timer starts again from one second.
				timeout, tries = initialTimeout, 0
				timer = after(timeout)
			}
		case <-c.quit:
			return net.ErrClosed
		case <-timer:
			if tries++; tries > maxRetransmits {
				return ErrHandshakeTimeout
			}
			if err := c.retransmit(); err != nil {
				return err
			}
			timeout = min(2*timeout, maxTimeout)
			timer = after(timeout)
		}
	}
	c.hs.Done()
	c.reasm.reset()
	return nil
}

// fail sends the alert an error calls for and returns what the caller
// should see.
func (c *Conn) fail(err error) error {
	if c.hs == nil {
		return err
	}
	alert, send, out := c.hs.Fail(err)
	if send {
		c.sendAlert(wire.AlertLevelFatal, wire.Alert(alert))
	}
	if err == io.ErrUnexpectedEOF || err == net.ErrClosed {
		return err
	}
	return out
}

// takePacket handles a datagram and gives its buffer back when none of
// its application data waits to be read.
func (c *Conn) takePacket(p packet) error {
	n := len(c.appData)
	err := c.handleDatagram(p.data, p.from)
	if p.buf != nil {
		if len(c.appData) > n {
			c.appData[len(c.appData)-1].buf = p.buf
		} else {
			datagramPool.Put(p.buf)
		}
	}
	return err
}

// handleDatagram takes every record of a datagram from from.
func (c *Conn) handleDatagram(d []byte, from net.Addr) error {
	c.peerRetransmitted = false
	// A tls12_cid record carries our ID (it is dropped otherwise), so
	// its length is ours, agreed yet or not.
	cidLen := len(c.ourCID)
	for len(d) > 0 {
		r, rest, ok := splitRecordCID(d, cidLen)
		if !ok {
			break
		}
		d = rest
		if r.typ == contentCID || from == nil || sameAddr(from, c.remote()) {
			if err := c.handleRecordFrom(r, from); err != nil {
				return err
			}
		}
	}
	if c.peerRetransmitted {
		return c.answerRetransmission()
	}
	return nil
}

// readEpochFor returns the read state for epoch e, if we read it.
func (c *Conn) readEpochFor(e uint16) *readEpoch {
	switch {
	case c.cur != nil && c.cur.epoch == e:
		return c.cur
	case c.prev != nil && c.prev.epoch == e:
		return c.prev
	}
	return nil
}

// maxFuture bounds the records kept for an epoch whose key is not there
// yet (a Finished that overtook its ChangeCipherSpec).
const maxFuture = 8

func (c *Conn) handleRecord(r record) error { return c.handleRecordFrom(r, nil) }

// handleRecordFrom takes a record that came from from (nil: the peer's
// known address).
func (c *Conn) handleRecordFrom(r record, from net.Addr) error {
	if r.version != versionDTLS12 && r.version != versionDTLS10 {
		return nil // RFC 6347 4.1.2.7: not ours, dropped
	}
	e := c.readEpochFor(r.epoch)
	if e == nil {
		if c.cur != nil && r.epoch == c.cur.epoch+1 && len(c.future) < maxFuture {
			raw := make([]byte, 0, recordHeaderLen+len(r.cid)+len(r.payload))
			raw = append(raw, byte(r.typ), byte(r.version>>8), byte(r.version), byte(r.epoch>>8), byte(r.epoch),
				byte(r.seq>>40), byte(r.seq>>32), byte(r.seq>>24), byte(r.seq>>16), byte(r.seq>>8), byte(r.seq))
			raw = append(raw, r.cid...)
			raw = append(raw, byte(len(r.payload)>>8), byte(len(r.payload)))
			c.future = append(c.future, append(raw, r.payload...))
		}
		return nil
	}
	newest := !e.window.seen || r.seq > e.window.latest
	withCID := r.typ == contentCID
	data, err := e.open(&r)
	if err == errDrop {
		return nil
	}
	if err != nil {
		return err
	}
	if withCID && newest && from != nil && !sameAddr(from, c.remote()) {
		// RFC 9146 section 6: the peer moved; a record that
		// authenticates and is newer than any before says where to.
		c.raddrMu.Lock()
		old := c.raddr
		c.raddr = from
		c.raddrMu.Unlock()
		if c.addrChanged != nil {
			c.addrChanged(old, from)
		}
	}
	switch r.typ {
	case wire.TypeHandshake:
		return c.handleHandshake(e, data)
	case wire.TypeChangeCipherSpec:
		if len(data) != 1 || data[0] != 1 || e != c.cur || c.done || !c.eng.CCSAllowed() {
			return nil // a retransmitted or stray CCS
		}
		acts, err := c.eng.HandleCCS()
		c.hs.Publish()
		if err != nil {
			return err
		}
		return c.apply(acts)
	case wire.TypeAlert:
		if len(data) != 2 {
			return nil
		}
		if wire.Alert(data[1]) == wire.AlertCloseNotify {
			return io.EOF
		}
		if data[0] == wire.AlertLevelWarning {
			return nil
		}
		return c.hs.PeerAlert(data[1])
	case wire.TypeApplicationData:
		if e.half == nil {
			// RFC 6347 4.1: application data only under keys.
			return nil
		}
		if len(c.appData)-c.appHead < 64 {
			// data lies in the datagram, which is ours alone: no copy.
			c.appData = append(c.appData, appRecord{data: data})
		}
		if c.done {
			// The peer has our last flight: no need to keep it.
			c.outMu.Lock()
			c.flight = nil
			c.outMu.Unlock()
		}
	}
	return nil
}

func (c *Conn) handleHandshake(e *readEpoch, data []byte) error {
	for len(data) > 0 {
		f, rest, ok := splitFragment(data)
		if !ok {
			c.reasm.dropped++
			break
		}
		data = rest
		if c.done {
			// After the handshake only a retransmission of the peer's
			// last flight matters; a renegotiation is not answered.
			if f.seq < c.reasm.next {
				c.peerRetransmitted = true
			}
			continue
		}
		if c.reasm.add(f) {
			c.peerRetransmitted = true
		}
	}
	for !c.done {
		msg := c.reasm.pop()
		if msg == nil {
			break
		}
		c.hs.Trace(false, msg)
		acts, err := c.eng.Handle(c.rLevel, msg)
		c.hs.Publish()
		if err != nil {
			return err
		}
		if err := c.apply(acts); err != nil {
			return err
		}
		if c.eng.Done() {
			break
		}
	}
	return nil
}

// apply carries out the engine's actions: messages make a new flight,
// sent at the end.
func (c *Conn) apply(acts []engine.Action) error {
	var flight []flightItem
	var future [][]byte
	c.outMu.Lock()
	for _, a := range acts {
		switch a.Kind {
		case engine.ActSend:
			c.hs.Trace(true, a.Msg)
			flight = append(flight, flightItem{epoch: uint16(len(c.wepochs) - 1), seq: a.Seq, msg: append([]byte(nil), a.Msg...)})
		case engine.ActSendCCS:
			flight = append(flight, flightItem{ccs: true, epoch: uint16(len(c.wepochs) - 1)})
		case engine.ActWriteKey:
			h := new(protect.Half)
			if err := h.SetTLS12(a.Suite, a.Secret, a.IV); err != nil {
				c.outMu.Unlock()
				return err
			}
			we := &writeEpoch{epoch: uint16(len(c.wepochs)), half: h}
			if st := c.eng.State(); st.X().ConnectionIDAgreed {
				we.cid = st.X().PeerConnectionID
			}
			c.wepochs = append(c.wepochs, we)
		case engine.ActReadKey:
			h := new(protect.Half)
			if err := h.SetTLS12(a.Suite, a.Secret, a.IV); err != nil {
				c.outMu.Unlock()
				return err
			}
			c.prev, c.cur = c.cur, &readEpoch{epoch: c.cur.epoch + 1, half: h}
			if st := c.eng.State(); st.X().ConnectionIDAgreed {
				c.cur.cid = c.ourCID
				c.cidActive.Store(true)
			}
			c.rLevel = a.Level
			future, c.future = c.future, nil
		case engine.ActWarning:
			c.sendAlertLocked(wire.AlertLevelWarning, a.Alert)
		}
	}
	var err error
	if flight != nil {
		c.flight = flight
		c.sentFlight = true
		err = c.sendFlightLocked()
	} else if c.eng.Done() {
		// The peer sent the last flight: ours needs no keeping.
		c.flight = nil
	}
	c.outMu.Unlock()
	if err != nil {
		return err
	}
	cidLen := len(c.ourCID)
	for _, raw := range future {
		if r, _, ok := splitRecordCID(raw, cidLen); ok {
			if err := c.handleRecord(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// retransmit sends the last flight again, when the timer fires.
func (c *Conn) retransmit() error {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.flight == nil {
		return nil
	}
	return c.sendFlightLocked()
}

// answerRetransmission sends our last flight again when the peer sent
// its previous one again (RFC 6347 4.2.4), at most every 100 ms.
func (c *Conn) answerRetransmission() error {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.flight == nil || c.opts.clock.Now().Sub(c.lastSend) < 100*time.Millisecond {
		return nil
	}
	return c.sendFlightLocked()
}

// sendFlightLocked sends the flight in as few datagrams as the MTU
// allows, fragmenting messages where needed. Each transmission takes new
// record sequence numbers (RFC 6347 4.2.4).
func (c *Conn) sendFlightLocked() error {
	dg := c.wbuf[:0]
	flush := func() error {
		if len(dg) == 0 {
			return nil
		}
		err := c.writeDatagram(dg)
		dg = dg[:0]
		return err
	}
	var err error
	for _, it := range c.flight {
		we := c.wepochs[it.epoch]
		if it.ccs {
			if len(dg)+recordHeaderLen+1+we.overhead() > c.opts.mtu {
				if err := flush(); err != nil {
					return err
				}
			}
			if dg, err = we.seal(dg, wire.TypeChangeCipherSpec, []byte{1}); err != nil {
				return err
			}
			continue
		}
		body := len(it.msg) - 4
		for off, first := 0, true; first || off < body; first = false {
			room := c.opts.mtu - len(dg) - recordHeaderLen - we.overhead() - handshakeHeaderLen
			if room < 64 && len(dg) > 0 && body-off > room {
				if err := flush(); err != nil {
					return err
				}
				room = c.opts.mtu - recordHeaderLen - we.overhead() - handshakeHeaderLen
			}
			n := min(max(room, 0), body-off)
			c.fbuf = appendFragment(c.fbuf[:0], it.msg, it.seq, off, n)
			if dg, err = we.seal(dg, wire.TypeHandshake, c.fbuf); err != nil {
				return err
			}
			off += n
		}
	}
	err = flush()
	c.wbuf = dg[:0]
	c.lastSend = c.opts.clock.Now()
	return err
}

func (c *Conn) writeDatagram(d []byte) error {
	var err error
	if c.connected {
		_, err = c.pc.(net.Conn).Write(d)
	} else {
		_, err = c.pc.WriteTo(d, c.remote())
	}
	return err
}

// sendAlert sends an alert in the current epoch.
func (c *Conn) sendAlert(level uint8, a wire.Alert) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	c.sendAlertLocked(level, a)
}

func (c *Conn) sendAlertLocked(level uint8, a wire.Alert) {
	if c.closed || len(c.wepochs) == 0 {
		return
	}
	we := c.wepochs[len(c.wepochs)-1]
	d, err := we.seal(c.wbuf[:0], wire.TypeAlert, []byte{level, byte(a)})
	if err == nil {
		c.writeDatagram(d)
	}
	c.wbuf = d[:0]
}

// Read returns the data of one record (the rest of the record is lost
// if b is too short, as with a datagram).
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.inMu.Lock()
	defer c.inMu.Unlock()
	for {
		if c.appHead < len(c.appData) {
			r := c.appData[c.appHead]
			n := copy(b, r.data)
			if r.buf != nil {
				datagramPool.Put(r.buf)
			}
			c.appData[c.appHead] = appRecord{}
			if c.appHead++; c.appHead == len(c.appData) {
				c.appData, c.appHead = c.appData[:0], 0
			}
			return n, nil
		}
		if c.readErr != nil {
			return 0, c.readErr
		}
		var timeout <-chan time.Time
		if dl := c.deadline.Load(); dl != 0 {
			d := time.Until(time.Unix(0, dl))
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-c.deadlineSet:
		case p, ok := <-c.in:
			if !ok {
				c.readErr = io.EOF
				continue
			}
			if err := c.takePacket(p); err != nil {
				if err == io.EOF {
					c.readErr = io.EOF
				} else {
					c.readErr = c.fail(err)
				}
			}
		case <-timeout:
			return 0, os.ErrDeadlineExceeded
		case <-c.quit:
			return 0, net.ErrClosed
		}
	}
}

// MaxWrite is the most one Write may carry: what fits in one datagram of
// the MTU under the connection's protection.
func (c *Conn) MaxWrite() int {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.maxWriteLocked()
}

func (c *Conn) maxWriteLocked() int {
	oh := 0
	if len(c.wepochs) > 0 {
		oh = c.wepochs[len(c.wepochs)-1].overhead()
	}
	return min(c.opts.mtu-recordHeaderLen-oh, 1<<14)
}

// ErrTooLarge is returned by Write for a message that does not fit in
// one datagram (see MaxWrite).
var ErrTooLarge = errors.New("dtls: message larger than one datagram")

// Write sends b as one record in one datagram.
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if len(b) > c.maxWriteLocked() {
		return 0, ErrTooLarge
	}
	we := c.wepochs[len(c.wepochs)-1]
	d, err := we.seal(c.wbuf[:0], wire.TypeApplicationData, b)
	if err != nil {
		return 0, err
	}
	c.wbuf = d[:0]
	if err := c.writeDatagram(d); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close sends close_notify (after a handshake) and ends the connection.
func (c *Conn) Close() error {
	c.outMu.Lock()
	if !c.closed && len(c.wepochs) > 1 {
		c.sendAlertLocked(wire.AlertLevelWarning, wire.AlertCloseNotify)
	}
	c.closed = true
	c.outMu.Unlock()
	c.stop()
	return nil
}

// ConnectionState describes the connection as hasp.Conn's does.
func (c *Conn) ConnectionState() hasp.ConnectionState {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.hs == nil {
		return hasp.ConnectionState{}
	}
	return c.hs.ConnectionState().(hasp.ConnectionState)
}

// SRTPProtectionProfile is the DTLS-SRTP profile agreed on (0: none).
func (c *Conn) SRTPProtectionProfile() SRTPProtectionProfile {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.eng == nil || !c.done {
		return 0
	}
	st := c.eng.State()
	return SRTPProtectionProfile(st.X().SRTPProfile)
}

// SRTPKeyingMaterial is the keying material of the agreed profile (RFC
// 5764 4.2): client key, server key, client salt, server salt.
func (c *Conn) SRTPKeyingMaterial() ([]byte, error) {
	p := c.SRTPProtectionProfile()
	if p == 0 || p.keyingLength() == 0 {
		return nil, errors.New("dtls: no SRTP protection profile agreed")
	}
	st := c.ConnectionState()
	return st.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, p.keyingLength())
}

// LocalAddr is the socket's address.
func (c *Conn) LocalAddr() net.Addr { return c.pc.LocalAddr() }

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote() }

// SetDeadline sets the read deadline (writes do not block).
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline bounds Read (not the handshake's retransmissions).
func (c *Conn) SetReadDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.deadline.Store(ns)
	select {
	case c.deadlineSet <- struct{}{}:
	default:
	}
	return nil
}

// SetWriteDeadline is accepted and ignored: a datagram write does not
// wait for the peer.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
