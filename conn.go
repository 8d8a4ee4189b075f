package hasp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/record"
	"github.com/hasp-tls/hasp/internal/wire"
	"github.com/hasp-tls/hasp/trust"
)

// Bounds on what a peer can make us do without progress.
const (
	// maxUselessRecords bounds consecutive records that carry no
	// application data: empty records, warning alerts, CCS.
	maxUselessRecords = 32
	// maxWarningAlerts bounds warning alerts in a row.
	maxWarningAlerts = 4
	// maxEarlyDataSkip bounds the 0-RTT bytes a server skips after
	// declining early data.
	maxEarlyDataSkip = 1 << 14
)

// Conn is a TLS connection over a net.Conn. Read and Write may run at
// once from two goroutines; Close is safe at any time.
type Conn struct {
	// handshaker's netConn is the connection underneath (NetConn).
	handshaker

	handshakeMu  sync.Mutex
	handshakeErr error

	rec *record.Conn

	// Read side, under inMu (its flags are below).
	inMu     sync.Mutex
	hsBuf    []byte
	pending  []byte // decrypted application data not yet read
	readErr  error
	useless  int32
	empty    int32 // empty application data records in a row
	warnings int32 // warning alerts in a row

	// Write side, under outMu (its flags are below).
	outMu    sync.Mutex
	writeErr error

	// Post-handshake authentication (server): the result channel of the
	// exchange in progress, and application data that arrived while
	// RequestClientCertificate read on its own (under inMu).
	phaMu     sync.Mutex
	phaResult chan error
	held      []byte

	// life is set when the Config limits a connection's life
	// (lifetime.go).
	life atomic.Pointer[lifetime]

	// engMu serialises engine calls from the read and write sides; owed
	// holds write-side actions the read side could not carry out at once.
	engMu  sync.Mutex
	owedMu sync.Mutex
	owed   []engine.Action

	// The small fields last, packed: the struct stays within 480 bytes
	// (a Go size class; each idle connection keeps one).
	//
	// closeNotified is sawClose for CloseNotifyReceived, which may run
	// while a Read holds inMu.
	closeNotified atomic.Bool
	closed        atomic.Bool
	owing         atomic.Bool
	// updateOwed: the peer asked for a KeyUpdate; the writer sends it
	// before its next application data (RFC 8446 section 4.6.3).
	updateOwed atomic.Bool
	// engLive: eng is a live engine that freezeEngine has not tried to
	// freeze since the handshake or its last thaw.
	engLive atomic.Bool
	// Under inMu.
	ccsSeen bool
	// hsAliased: hsBuf points into the record layer's buffer (the
	// handshake messages of the last record read, not yet consumed).
	hsAliased bool
	rLevel    engine.Level
	sawClose  bool
	// Under outMu.
	wLevel     engine.Level
	closedSend bool
}

// Client returns a client-side connection over conn.
func Client(conn net.Conn, config *Config) *Conn {
	return &Conn{handshaker: handshaker{config: config, isClient: true, remote: conn.RemoteAddr(), compatState: compatState{netConn: conn}}, rec: record.New(conn)}
}

// Server returns a server-side connection over conn.
func Server(conn net.Conn, config *Config) *Conn {
	return &Conn{handshaker: handshaker{config: config, remote: conn.RemoteAddr(), compatState: compatState{netConn: conn}}, rec: record.New(conn)}
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.netConn }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.netConn.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.netConn.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.netConn.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.netConn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline. A Write that times out leaves
// the connection unusable for writing.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.netConn.SetWriteDeadline(t) }

// Handshake runs the handshake if it has not run yet.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext runs the handshake; cancelling ctx aborts it and
// closes the connection.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	if c.handshakeDone.Load() {
		return nil
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.handshakeDone.Load() {
		return nil
	}
	if c.handshakeErr != nil {
		return c.handshakeErr
	}
	if ctx.Done() != nil {
		stop := make(chan struct{})
		finished := make(chan struct{})
		defer func() {
			close(stop)
			<-finished
		}()
		go func() {
			defer close(finished)
			select {
			case <-ctx.Done():
				c.netConn.Close()
			case <-stop:
			}
		}()
	}
	c.inMu.Lock()
	c.outMu.Lock()
	if c.ctx == nil {
		// ClientHelloInfo.Context and CertificateRequestInfo.Context.
		c.ctx = ctx
		defer func() { c.ctx = nil }()
	}
	err := c.handshake()
	if err == nil {
		// An idle connection from now on drops its AEAD state while
		// it waits (record.Conn.Park).
		c.rec.Park(&c.outMu)
		switch {
		case c.isClient:
			// What the server sent after its Finished (its tickets, with
			// its flight) waits for the first Read in a buffer of its
			// size, not in a pooled record buffer.
			c.rec.Compact()
		case !c.rec.Buffered():
			// A server reads at once what a client sent with its
			// Finished (a request): that stays where it is.
			c.rec.Release()
		}
	}
	c.outMu.Unlock()
	c.inMu.Unlock()
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	c.handshakeErr = err
	if err == nil {
		if !c.isClient && (c.config == nil || !c.config.KeepClientHello) {
			c.hello.Store(nil) // see Config.KeepClientHello
		}
		// Under engMu: a Read or KeyUpdate that sees handshakeDone may
		// call the engine at once.
		c.engMu.Lock()
		c.publishFinal() // the first snapshot others may hold
		c.handshakeDone.Store(true)
		c.engLive.Store(true)
		c.engMu.Unlock()
		c.startLifetime()
	}
	return err
}

func (c *Conn) handshake() (err error) {
	eng, err := c.newEngine()
	if err != nil {
		return err
	}
	c.eng = eng
	acts, err := eng.Start()
	c.publish()
	if err != nil {
		return c.fatal(err)
	}
	if err := c.apply(acts); err != nil {
		return err
	}
	for !eng.Done() {
		msg, err := c.readHandshakeMessage()
		if err != nil {
			return c.fatal(err)
		}
		c.trace(false, msg)
		typ := msg[0]
		acts, err := eng.Handle(c.rLevel, msg)
		c.publish()
		c.consumeHandshakeMessage(len(msg)) // msg is overwritten
		if err != nil {
			return c.fatal(err)
		}
		if len(c.hsBuf) > 0 && sends(acts) {
			// msg ended the peer's flight: we answer it, and the peer
			// may send no more handshake data until it has read our
			// answer. RFC 8446 section 5.1 asks this at key changes; a
			// HelloRetryRequest or a TLS 1.2 flight has none, so it is
			// checked here for every flight.
			return c.fatal(wire.Errorf(wire.AlertUnexpectedMessage, "handshake data left over after %s ended the peer's flight", wire.HandshakeName(typ)))
		}
		if err := c.apply(acts); err != nil {
			return err
		}
	}
	// An idle connection holds nothing of the handshake's messages (the
	// handshake buffer went in consumeHandshakeMessage); what followed
	// the last one in its record is copied out of the record buffer.
	c.ownHandshakeBuffer()
	eng.Idle()
	return nil
}

// joinPool holds the buffers apply joins a flight's messages in before
// they become records (a server's EncryptedExtensions to Finished: about
// 2 KB per handshake otherwise).
var joinPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// sends reports whether acts send a handshake message.
func sends(acts []engine.Action) bool {
	for _, a := range acts {
		if a.Kind == engine.ActSend {
			return true
		}
	}
	return false
}

// apply carries out the engine's actions, then sends what they queued in
// one write. Handshake messages under one key are packed into full
// records (a server's EncryptedExtensions to Finished usually fit one),
// which saves record overhead and AEAD calls.
func (c *Conn) apply(acts []engine.Action) error {
	// first and joined hold the handshake messages not yet in records:
	// first alone (no copy), or several joined in joined.
	var first, joined []byte
	var joinedBuf *[]byte // from joinPool
	flush := func() error {
		data := first
		if joined != nil {
			data = joined
		}
		first, joined = nil, nil
		if data == nil {
			return nil
		}
		err := c.rec.WriteRecord(wire.TypeHandshake, data) // copies data
		if joinedBuf != nil {
			*joinedBuf = data[:0]
			joinPool.Put(joinedBuf)
			joinedBuf = nil
		}
		return err
	}
	for _, a := range acts {
		var err error
		switch a.Kind {
		case engine.ActSend:
			c.trace(true, a.Msg)
			switch {
			case first == nil:
				first = a.Msg
			case joined == nil:
				joinedBuf = joinPool.Get().(*[]byte)
				joined = append(append((*joinedBuf)[:0], first...), a.Msg...)
			default:
				joined = append(joined, a.Msg...)
			}
		case engine.ActSendCCS:
			if err = flush(); err != nil {
				break
			}
			if sends(acts) {
				err = c.rec.WriteRecord(wire.TypeChangeCipherSpec, []byte{1})
				break
			}
			// A TLS 1.3 client's, queued alone at the ServerHello: the
			// record layer writes it in front of its next record (the
			// Finished, or an alert), in one write, and holds no write
			// buffer meanwhile (record.Conn.SendCCS).
			c.rec.SendCCS()
		case engine.ActReadKey:
			if len(c.hsBuf) > 0 {
				// RFC 8446 section 5.1: handshake messages MUST NOT span
				// a key change.
				return c.fatal(wire.Errorf(wire.AlertUnexpectedMessage, "handshake data left over at a key change"))
			}
			switch {
			case a.TLS12:
				err = c.rec.SetReadKey12(a.Suite, a.Secret, a.IV)
			case a.Key != nil:
				err = c.rec.SetReadKeys(a.Suite, a.Key, a.IV)
			default:
				err = c.rec.SetReadKey(a.Suite, a.Secret)
			}
			c.rLevel = a.Level
		case engine.ActSkipEarlyData:
			c.rec.SkipEarlyData(maxEarlyDataSkip)
		case engine.ActWriteKey:
			if err = flush(); err != nil {
				break
			}
			switch {
			case a.TLS12:
				err = c.rec.SetWriteKey12(a.Suite, a.Secret, a.IV)
			case a.Key != nil:
				err = c.rec.SetWriteKeys(a.Suite, a.Key, a.IV)
			default:
				err = c.rec.SetWriteKey(a.Suite, a.Secret)
			}
			c.wLevel = a.Level
			if lim := int(c.state().PeerRecordLimit); lim > 0 {
				c.rec.WriteLimit = int32(lim - 1)
			}
		case engine.ActDone:
		}
		if err != nil {
			return c.fatal(err)
		}
	}
	if err := flush(); err != nil {
		return c.fatal(err)
	}
	if err := c.rec.Flush(); err != nil {
		c.writeErr = err
		return err
	}
	return nil
}

// readHandshakeMessage returns the next whole handshake message; it stays
// in hsBuf until consumeHandshakeMessage.
func (c *Conn) readHandshakeMessage() ([]byte, error) {
	for {
		if msg, err := c.bufferedHandshakeMessage(); msg != nil || err != nil {
			return msg, err
		}
		c.ownHandshakeBuffer()
		typ, payload, err := c.rec.ReadRecord()
		if err != nil {
			return nil, err
		}
		switch typ {
		case wire.TypeHandshake:
			c.warnings = 0 // warnings are limited in a row
			if len(c.hsBuf) == 0 {
				// Whole messages are read where the record layer
				// decrypted them, not copied; see ownHandshakeBuffer.
				c.hsBuf, c.hsAliased = payload[:len(payload):len(payload)], true
			} else {
				c.hsBuf = append(c.hsBuf, payload...)
			}
		case wire.TypeChangeCipherSpec:
			if c.state().Version == wire.VersionTLS12 {
				// TLS 1.2: the CCS switches the read keys.
				if len(payload) != 1 || payload[0] != 1 {
					// Not the single byte 0x01 (RFC 5246 7.1): refused as
					// RFC 8446 section 5 words it, unexpected_message.
					return nil, wire.Errorf(wire.AlertUnexpectedMessage, "change_cipher_spec of %d bytes", len(payload))
				}
				acts, err := c.eng.HandleCCS()
				c.publish()
				if err != nil {
					return nil, err
				}
				if err := c.apply(acts); err != nil {
					return nil, err
				}
				continue
			}
			// RFC 8446 section 5: one CCS of value 0x01 may arrive
			// during the handshake; anything else is unexpected.
			if c.ccsSeen || !c.eng.CCSAllowed() || len(payload) != 1 || payload[0] != 1 || len(c.hsBuf) > 0 {
				return nil, wire.Errorf(wire.AlertUnexpectedMessage, "unexpected change_cipher_spec")
			}
			c.ccsSeen = true
		case wire.TypeAlert:
			if err := c.readAlert(payload); err != nil {
				return nil, err
			}
		default:
			return nil, wire.Errorf(wire.AlertUnexpectedMessage, "%s record during the handshake", typ)
		}
	}
}

// bufferedHandshakeMessage returns the whole message at the start of hsBuf,
// or nil when more bytes are needed.
func (c *Conn) bufferedHandshakeMessage() ([]byte, error) {
	typ, n, ok := wire.ParseHandshakeHeader(c.hsBuf)
	if !ok {
		return nil, nil
	}
	if n > wire.MaxHandshakeLen {
		// Refused before buffering it: a length we will not accept is an
		// illegal value for that field.
		return nil, wire.Errorf(wire.AlertIllegalParameter, "%s of %d bytes exceeds the limit of %d", wire.HandshakeName(typ), n, wire.MaxHandshakeLen)
	}
	if len(c.hsBuf) < wire.HandshakeHeaderLen+n {
		return nil, nil
	}
	return c.hsBuf[:wire.HandshakeHeaderLen+n], nil
}

// ownHandshakeBuffer copies what is left in hsBuf out of the record
// buffer it aliases, before the record layer reads into that buffer again.
func (c *Conn) ownHandshakeBuffer() {
	if !c.hsAliased {
		return
	}
	c.hsAliased = false
	if len(c.hsBuf) == 0 {
		c.hsBuf = nil
		return
	}
	c.hsBuf = append([]byte(nil), c.hsBuf...)
}

func (c *Conn) consumeHandshakeMessage(n int) {
	rest := copy(c.hsBuf, c.hsBuf[n:])
	c.hsBuf = c.hsBuf[:rest]
	if rest == 0 && c.hsAliased {
		c.hsBuf, c.hsAliased = nil, false
	}
	if rest == 0 && (cap(c.hsBuf) > 4096 || c.eng.Done()) {
		// Once connected, an idle connection keeps no handshake buffer.
		c.hsBuf = nil
	}
}

// readAlert handles an alert record. Every alert ends the connection
// except close_notify (EOF) and user_canceled (ignored, bounded). In TLS
// 1.3 the level is ignored (RFC 8446 section 6).
func (c *Conn) readAlert(p []byte) error {
	if len(p) != 2 {
		return wire.Errorf(wire.AlertDecodeError, "alert of %d bytes", len(p))
	}
	a := wire.Alert(p[1])
	switch a {
	case wire.AlertCloseNotify:
		c.sawClose = true
		c.closeNotified.Store(true)
		return io.EOF
	case wire.AlertUserCanceled:
		return c.warning()
	}
	if p[0] == wire.AlertLevelWarning && c.tls12Rules() {
		// TLS 1.2 warnings (no_renegotiation, unrecognized_name, ...) do
		// not end the connection; TLS 1.3 ignores the level (RFC 8446
		// section 6).
		return c.warning()
	}
	return &AlertError{Alert: a, Remote: true}
}

// tls12Rules: alerts follow TLS 1.2's rules: the connection is TLS 1.2,
// or a client that offered TLS 1.2 does not know the version yet (a TLS
// 1.2 server may warn before its ServerHello).
func (c *Conn) tls12Rules() bool {
	st := c.state()
	if st != nil && st.Version != 0 {
		return st.Version == wire.VersionTLS12
	}
	return c.isClient && (c.config.MinVersion == 0 || c.config.MinVersion <= VersionTLS12)
}

func (c *Conn) warning() error {
	// Warnings (and user_canceled) carry nothing: four in a row at most,
	// as BoringSSL allows; each also counts as a record without progress.
	c.warnings++
	if c.warnings > maxWarningAlerts {
		return wire.Errorf(wire.AlertUnexpectedMessage, "too many warning alerts")
	}
	c.useless++
	if c.useless > maxUselessRecords {
		return wire.Errorf(wire.AlertUnexpectedMessage, "too many warning alerts")
	}
	return nil
}

// fatal turns an error into the connection's end: for a protocol error
// it sends the alert (no close_notify) and closes the transport.
func (c *Conn) fatal(err error) error {
	if err == nil {
		return nil
	}
	if ae, ok := err.(*AlertError); ok {
		if ae.Remote {
			c.netConn.Close()
		}
		return err
	}
	var we *wire.Error
	var a wire.Alert
	if errors.As(err, &we) {
		a = we.Alert
	} else if wa, ok := err.(wire.Alert); ok {
		a = wa
		we = &wire.Error{Alert: wa}
	} else {
		// Transport errors (EOF, timeouts) are returned as they are.
		if err == io.EOF && !c.handshakeDone.Load() {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	ae := c.alertError(a, we.Reason)
	ae.notTLS = we.NotTLS
	c.sendAlertLocked(a)
	c.netConn.Close()
	return ae
}

// sendAlertLocked sends an alert record; the caller holds outMu (or owns
// the write side during the handshake).
func (c *Conn) sendAlertLocked(a wire.Alert) {
	if c.writeErr != nil {
		return
	}
	level := wire.AlertLevelFatal
	if a == wire.AlertCloseNotify || a == wire.AlertUserCanceled {
		level = wire.AlertLevelWarning
	}
	c.rec.WriteRecord(wire.TypeAlert, []byte{level, byte(a)})
	if err := c.rec.Flush(); err != nil {
		c.writeErr = err
	}
}

// Read reads application data, running the handshake first if needed.
func (c *Conn) Read(b []byte) (n int, err error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			err = c.expiredErr(err)
		} else {
			c.touch()
		}
	}()
	if len(b) == 0 {
		return 0, nil
	}
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if len(c.held) > 0 {
		n = copy(b, c.held)
		c.held = c.held[n:]
		if len(c.held) == 0 {
			c.held = nil
		}
		return n, nil
	}
	for len(c.pending) == 0 {
		if c.readErr != nil {
			return 0, c.readErr
		}
		if !c.rec.Buffered() {
			// About to wait for the peer (after a record that carried no
			// data, a ticket or a KeyUpdate, too): an idle connection
			// holds no record buffer and no engine (see conn_idle.go),
			// and waits here, not deep in readRecord, so that its
			// goroutine's stack can shrink (record.Conn.Wait).
			c.rec.Release()
			c.freezeEngine()
			if err := c.rec.Wait(); err != nil {
				err = c.readFailure(err)
				if !isTimeout(err) {
					c.readErr = err
				}
				return 0, err
			}
		}
		if err := c.readRecord(); err != nil {
			if !isTimeout(err) {
				c.readErr = err
			}
			return 0, err
		}
	}
	n = copy(b, c.pending)
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		// Even empty, the slice would keep the record buffer it points
		// into alive after that buffer went back to the pool.
		c.pending = nil
		if !c.rec.Buffered() {
			c.rec.Release()
		}
	}
	return n, nil
}

// isTimeout reports whether err is a deadline passing. net.Conn's contract
// makes that recoverable: once the deadline moves, Read carries on, and
// the record layer keeps any partial record it had read (net/http sets a
// past read deadline at the end of every HTTP/1.1 request).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// readRecord reads one record after the handshake.
func (c *Conn) readRecord() error {
	typ, payload, err := c.rec.ReadRecord()
	if err != nil {
		return c.readFailure(err)
	}
	switch typ {
	case wire.TypeApplicationData:
		if len(c.hsBuf) > 0 {
			// A handshake message must not be interleaved with data
			// (RFC 8446 section 5.1).
			return c.readFailure(wire.Errorf(wire.AlertUnexpectedMessage, "application data inside a handshake message"))
		}
		if len(payload) == 0 {
			// Counted apart from warnings and post-handshake messages:
			// 32 empty records in a row are tolerated, as BoringSSL does.
			c.empty++
			if c.empty > maxUselessRecords {
				return c.readFailure(wire.Errorf(wire.AlertUnexpectedMessage, "too many empty records"))
			}
			return nil
		}
		if c.useless > 0 {
			// Post-handshake messages (KeyUpdates among them) came since
			// the last data: the engine's flood count starts again. In
			// steady state nothing is owed and no lock is taken.
			c.noteAppData()
		}
		c.useless, c.empty, c.warnings = 0, 0, 0
		c.pending = payload
		return nil
	case wire.TypeHandshake:
		c.warnings = 0
		c.hsBuf = append(c.hsBuf, payload...)
		for {
			msg, err := c.bufferedHandshakeMessage()
			if err != nil {
				return c.readFailure(err)
			}
			if msg == nil {
				return nil
			}
			if err := c.postHandshake(msg); err != nil {
				return err
			}
			c.consumeHandshakeMessage(len(msg))
		}
	case wire.TypeAlert:
		if err := c.readAlert(payload); err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return c.readFailure(err)
		}
		return nil
	}
	return c.readFailure(wire.Errorf(wire.AlertUnexpectedMessage, "%s record after the handshake", typ))
}

func (c *Conn) noteAppData() {
	c.engMu.Lock()
	c.eng.NoteAppData()
	c.engMu.Unlock()
}

// engineCall runs one engine call under engMu and copies its actions
// out: the read side (post-handshake messages) and the write side
// (KeyUpdate, post-handshake requests) may call the engine at once.
func (c *Conn) engineCall(f func() ([]engine.Action, error)) ([]engine.Action, error) {
	c.engMu.Lock()
	defer c.engMu.Unlock()
	if err := c.thawLocked(); err != nil {
		return nil, err
	}
	acts, err := f()
	c.publish()
	acts = slices.Clone(acts)
	// The engine need not hold what it handed out; and having done
	// something, it may be frozen again at the next wait.
	c.eng.Idle()
	c.engLive.Store(true)
	return acts, err
}

// postHandshake feeds a post-handshake message to the engine. New read
// keys take effect at once; what must be written (a KeyUpdate in answer)
// goes out now if the write side is free, or else before the writer's
// next record: RFC 8446 section 4.6.3 asks only that it precede our next
// application data. Never waiting for the write lock here means a reader
// cannot be stuck behind a writer that waits for the peer to read.
func (c *Conn) postHandshake(msg []byte) error {
	c.useless++
	if c.useless > maxUselessRecords {
		return c.readFailure(wire.Errorf(wire.AlertUnexpectedMessage, "too many post-handshake messages without data"))
	}
	c.trace(false, msg)
	acts, err := c.engineCall(func() ([]engine.Action, error) { return c.eng.Handle(c.rLevel, msg) })
	if err != nil {
		return c.readFailure(err)
	}
	var owed []engine.Action
	for _, a := range acts {
		switch a.Kind {
		case engine.ActReadKey:
			if len(c.hsBuf) > len(msg) {
				// RFC 8446 section 5.1: a key change must fall on a record
				// boundary; more handshake data in the record that carried
				// the KeyUpdate would be read under the wrong key.
				return c.readFailure(wire.Errorf(wire.AlertUnexpectedMessage, "%s does not end its record", wire.HandshakeName(msg[0])))
			}
			if err := c.rec.SetReadKey(a.Suite, a.Secret); err != nil {
				return c.readFailure(err)
			}
		case engine.ActAuthDone:
			c.finishPostHandshakeAuth(nil)
		case engine.ActUpdateOwed:
			c.updateOwed.Store(true)
			c.owing.Store(true)
		case engine.ActSend, engine.ActWriteKey, engine.ActWarning:
			owed = append(owed, a)
		}
	}
	if len(owed) == 0 {
		return nil
	}
	c.owedMu.Lock()
	c.owed = append(c.owed, owed...)
	c.owedMu.Unlock()
	c.owing.Store(true)
	if c.outMu.TryLock() {
		err := c.payOwedLocked(false)
		c.outMu.Unlock()
		if err != nil {
			// Like crypto/tls: a KeyUpdate we cannot answer ends reading
			// too.
			return err
		}
	}
	return nil
}

// payOwedLocked writes what the read side owes the peer (under outMu);
// with update, also the KeyUpdate the peer asked for, which is owed only
// before application data.
func (c *Conn) payOwedLocked(update bool) error {
	if !c.owing.Load() {
		return nil
	}
	c.owedMu.Lock()
	acts := c.owed
	c.owed = nil
	c.owing.Store(!update && c.updateOwed.Load())
	c.owedMu.Unlock()
	if err := c.applyPostLocked(acts); err != nil {
		return err
	}
	if update && c.updateOwed.Load() {
		return c.updateKeysLocked(false)
	}
	return nil
}

// applyPostLocked carries out write-side actions (a message to send, a
// new write key) under outMu, then flushes.
func (c *Conn) applyPostLocked(acts []engine.Action) error {
	for _, a := range acts {
		var err error
		switch a.Kind {
		case engine.ActWriteKey:
			if c.writeErr == nil {
				err = c.rec.SetWriteKey(a.Suite, a.Secret)
			}
		case engine.ActSend:
			if c.writeErr == nil && !c.closedSend {
				c.trace(true, a.Msg)
				err = c.rec.WriteRecord(wire.TypeHandshake, a.Msg)
			}
		case engine.ActWarning:
			if c.writeErr == nil && !c.closedSend {
				err = c.rec.WriteRecord(wire.TypeAlert, []byte{wire.AlertLevelWarning, byte(a.Alert)})
			}
		}
		if err != nil {
			c.writeErr = err
			return err
		}
	}
	if err := c.rec.Flush(); err != nil {
		c.writeErr = err
		return err
	}
	return nil
}

func (c *Conn) readFailure(err error) error {
	if !isProtocolError(err) {
		if err == io.EOF && !c.sawClose {
			return io.EOF
		}
		return err
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.readFailureLocked(err)
}

func (c *Conn) readFailureLocked(err error) error {
	if !isProtocolError(err) {
		c.finishPostHandshakeAuth(err)
		return err
	}
	e := c.fatal(err)
	c.writeErr = e
	c.finishPostHandshakeAuth(e)
	return e
}

func isProtocolError(err error) bool {
	var we *wire.Error
	if errors.As(err, &we) {
		return true
	}
	_, ok := err.(wire.Alert)
	if ok {
		return true
	}
	var ae *AlertError
	return errors.As(err, &ae)
}

// Write writes application data, running the handshake first if needed.
func (c *Conn) Write(b []byte) (n int, err error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	defer func() {
		if err != nil {
			err = c.expiredErr(err)
		} else {
			c.touch()
		}
	}()
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	if c.closedSend {
		return 0, errors.New("hasp: write after CloseWrite")
	}
	limit := c.rekeyLimit()
	if c.state().Version != VersionTLS13 {
		// TLS 1.2 has no KeyUpdate: no automatic rekeying.
		limit = math.MaxUint64
	}
	for len(b) > 0 {
		if c.owing.Load() {
			if err := c.payOwedLocked(true); err != nil {
				return n, err
			}
		}
		if c.rec.WriteRecords() >= limit {
			// Rekey before the AEAD's limits (RFC 8446 section 5.5).
			if err := c.updateKeysLocked(false); err != nil {
				return n, err
			}
		}
		chunk := min(len(b), record.MaxPlaintext)
		if err := c.rec.WriteRecord(wire.TypeApplicationData, b[:chunk]); err != nil {
			c.writeErr = err
			return n, err
		}
		if c.rec.NeedFlush() {
			if err := c.rec.Flush(); err != nil {
				c.writeErr = err
				return n, err
			}
		}
		n += chunk
		b = b[chunk:]
	}
	if err := c.rec.Flush(); err != nil {
		c.writeErr = err
		return 0, err
	}
	return n, nil
}

// CloseNotifyReceived reports whether the peer sent close_notify. After
// Read returns io.EOF it tells a clean end (true) from a transport that
// closed without one (false, a possible truncation): like crypto/tls,
// hasp's Read returns io.EOF in both cases, for the many peers (HTTP
// servers among them) that never send it. A protocol without its own
// framing of the end should treat false as an error (RFC 8446 section
// 6.1).
func (c *Conn) CloseNotifyReceived() bool { return c.closeNotified.Load() }

// CloseWrite sends close_notify and stops writing; reading goes on.
func (c *Conn) CloseWrite() error {
	if !c.handshakeDone.Load() {
		return errors.New("hasp: CloseWrite before the handshake completed")
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.closeNotifyLocked()
}

func (c *Conn) closeNotifyLocked() error {
	if c.closedSend {
		return nil
	}
	c.closedSend = true
	if c.writeErr != nil {
		return c.writeErr
	}
	c.sendAlertLocked(wire.AlertCloseNotify)
	return c.writeErr
}

// Close sends close_notify (when the handshake completed) and closes the
// connection.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	if lt := c.life.Load(); lt != nil {
		if t := lt.timer.Load(); t != nil {
			t.Stop()
		}
	}
	var alertErr error
	if c.handshakeDone.Load() {
		// Do not wait for a Write stuck on a full socket: bound it.
		c.netConn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.outMu.Lock()
		alertErr = c.closeNotifyLocked()
		c.outMu.Unlock()
	}
	err := c.netConn.Close()
	// Give the record buffers back unless a Read or Write is still
	// inside them (it fails now that the transport is closed).
	if c.inMu.TryLock() {
		if c.outMu.TryLock() {
			c.rec.Close()
			c.readErr, c.writeErr = net.ErrClosed, net.ErrClosed
			c.outMu.Unlock()
		}
		c.inMu.Unlock()
	}
	if err != nil {
		return err
	}
	if alertErr != nil && !errors.Is(alertErr, net.ErrClosed) {
		var ae *AlertError
		if errors.As(alertErr, &ae) {
			return nil
		}
	}
	return nil
}

// KeyUpdate sends a KeyUpdate (RFC 8446 section 4.6.3) and switches to the
// next write key; requestPeer asks the peer to update its keys too.
// KeyUpdate exists only in TLS 1.3: on a TLS 1.2 connection it returns
// an error wrapping ErrNotInThisVersion and sends nothing.
func (c *Conn) KeyUpdate(requestPeer bool) error {
	if err := c.Handshake(); err != nil {
		return err
	}
	if v := c.state().Version; v != VersionTLS13 {
		return fmt.Errorf("hasp: KeyUpdate on a %s connection: %w", VersionName(v), ErrNotInThisVersion)
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	return c.updateKeysLocked(requestPeer)
}

func (c *Conn) updateKeysLocked(requestPeer bool) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	if err := c.payOwedLocked(false); err != nil {
		return err
	}
	// This update answers any the peer asked for.
	c.updateOwed.Store(false)
	acts, err := c.engineCall(func() ([]engine.Action, error) { return c.eng.UpdateKeys(requestPeer) })
	if err != nil {
		return err
	}
	if err := c.applyPostLocked(acts); err != nil {
		c.writeErr = err
		return err
	}
	return nil
}

// ConnectionState reports what the handshake negotiated.
type ConnectionState struct {
	Version                     uint16
	HandshakeComplete           bool
	DidResume                   bool
	CipherSuite                 uint16
	CurveID                     CurveID
	NegotiatedProtocol          string
	ServerName                  string
	PeerCertificates            []*x509.Certificate
	VerifiedChains              [][]*x509.Certificate
	SignedCertificateTimestamps [][]byte
	OCSPResponse                []byte
	// HelloRetryRequest reports whether the server asked for another
	// ClientHello.
	HelloRetryRequest bool
	// SignatureScheme is the scheme of the server's CertificateVerify
	// (as seen by either side).
	SignatureScheme SignatureScheme
	// Verdict is the trust decision on the peer, when Config.Trust is
	// set.
	Verdict *trust.Verdict
	// ClientHello, on a server, is what the client offered (versions,
	// suites, groups, signature schemes, ALPN, name): during the
	// handshake, and after it when Config.KeepClientHello is set; nil on
	// a client and on a resumption that chose no certificate.
	ClientHello *ClientHelloInfo
	// PSKIdentity is the identity of the pre-shared key that
	// authenticated a TLS 1.2 PSK suite (nil otherwise).
	PSKIdentity []byte
	// TLSUnique is the tls-unique channel binding (RFC 5929 section 3):
	// the first Finished of a TLS 1.2 handshake; nil for TLS 1.3, which
	// has no such value (use ExportKeyingMaterial, RFC 9266).
	TLSUnique []byte
	// ECHAccepted reports whether Encrypted Client Hello was accepted;
	// always false until hasp implements ECH (a Config that asks for it
	// fails its handshake instead).
	ECHAccepted bool
	// NegotiatedProtocolIsMutual is always true.
	//
	// Deprecated: as in crypto/tls, this value has no meaning.
	NegotiatedProtocolIsMutual bool

	exporter func(label string, context []byte, length int) ([]byte, error)
}

// ExportKeyingMaterial returns keying material (RFC 8446 section 7.5).
func (cs *ConnectionState) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	if cs.exporter == nil {
		return nil, ErrHandshakeIncomplete
	}
	return cs.exporter(label, context, length)
}

// ConnectionState returns the state of the connection.
func (c *Conn) ConnectionState() ConnectionState {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	return c.connectionStateLocked()
}

func (c *Conn) connectionStateLocked() ConnectionState {
	return c.connectionStateOf(c.state())
}

// chooseClientCertificate picks the first certificate whose key can sign
// with a scheme the server accepts and whose chain names one of the CAs
// it listed (any, when it listed none). With no match it sends none, and
// the server decides (RFC 8446 section 4.4.2.3).
func chooseClientCertificate(certs []*engine.Certificate, src []Certificate, info *engine.CertRequestInfo) *engine.Certificate {
	pick := engine.Pick13
	if info.TLS12 {
		pick = engine.Pick12
	}
	var fits *engine.Certificate
	for i, ec := range certs {
		if _, err := pick(ec, info.SignatureSchemes); err != nil || !engine.FitsCertTypes(ec, info.CertTypes) {
			continue
		}
		if len(info.AcceptableCAs) == 0 || issuedBy(src[i], info.AcceptableCAs) {
			return ec
		}
		if fits == nil {
			fits = ec
		}
	}
	// certificate_authorities is a hint (RFC 8446 4.2.4): with no
	// certificate from the CAs named, send one the server can at least
	// verify a signature from, as OpenSSL and BoringSSL do, rather than
	// none.
	return fits
}

// issuedBy reports whether any certificate of the chain is issued by (or
// is) one of the named CAs.
func issuedBy(c Certificate, cas [][]byte) bool {
	for _, der := range c.Certificate {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		for _, ca := range cas {
			if bytes.Equal(cert.RawIssuer, ca) || bytes.Equal(cert.RawSubject, ca) {
				return true
			}
		}
	}
	return false
}

// LocalCertificateChain returns the chain this side presented in the
// handshake (DER, leaf first), or nil.
func (c *Conn) LocalCertificateChain() [][]byte {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.state() == nil || c.state().LocalCertificate == nil {
		return nil
	}
	return c.state().LocalCertificate.Chain
}
