package hasp

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
)

// QUIC (RFC 9001): the TLS 1.3 handshake without records. A QUIC stack
// carries handshake bytes in CRYPTO frames at four encryption levels and
// protects its packets with the secrets the handshake yields. QUICConn is
// shaped like crypto/tls's QUICConn, so that a QUIC implementation can
// switch: it takes the bytes of each level through HandleData and answers
// with events (data to send, secrets to install, the peer's transport
// parameters, completion). It drives the same engine as Conn, with QUIC's
// rules: no compatibility change_cipher_spec, an empty legacy_session_id,
// no KeyUpdate message, ALPN and quic_transport_parameters required.

// QUICEncryptionLevel is a QUIC encryption level: the keys (and packet
// number space) handshake data travels under.
type QUICEncryptionLevel int

const (
	QUICEncryptionLevelInitial = QUICEncryptionLevel(iota)
	QUICEncryptionLevelEarly
	QUICEncryptionLevelHandshake
	QUICEncryptionLevelApplication
)

func (l QUICEncryptionLevel) String() string {
	switch l {
	case QUICEncryptionLevelInitial:
		return "Initial"
	case QUICEncryptionLevelEarly:
		return "Early"
	case QUICEncryptionLevelHandshake:
		return "Handshake"
	case QUICEncryptionLevelApplication:
		return "Application"
	}
	return fmt.Sprintf("QUICEncryptionLevel(%d)", int(l))
}

// QUICEventKind is the kind of a QUICEvent.
type QUICEventKind int

const (
	// QUICNoEvent: no event is waiting.
	QUICNoEvent QUICEventKind = iota
	// QUICSetReadSecret and QUICSetWriteSecret give the secret (Data) and
	// suite of a level. Initial secrets come from the connection ID, not
	// from here (RFC 9001 section 5.2).
	QUICSetReadSecret
	QUICSetWriteSecret
	// QUICWriteData: send Data in CRYPTO frames at Level.
	QUICWriteData
	// QUICTransportParameters: the peer's transport parameters (Data).
	QUICTransportParameters
	// QUICTransportParametersRequired: call SetTransportParameters, then
	// NextEvent again.
	QUICTransportParametersRequired
	// QUICRejectedEarlyData: the server declined 0-RTT (client only).
	QUICRejectedEarlyData
	// QUICHandshakeDone: the handshake is complete.
	QUICHandshakeDone
	// QUICResumeSession (with QUICConfig.EnableSessionEvents): a client
	// offers the session in SessionState, or a server got it from the
	// client's ticket.
	QUICResumeSession
	// QUICStoreSession (client, with QUICConfig.EnableSessionEvents): the
	// server sent a session (SessionState) for later; store it with
	// QUICConn.StoreSession, changed or not, or drop it.
	QUICStoreSession
	// QUICErrorEvent: the handshake failed where no call could return
	// the error (after SetTransportParameters); Err wraps an *AlertError.
	QUICErrorEvent
)

// QUICEvent is one step for the QUIC stack.
type QUICEvent struct {
	Kind  QUICEventKind
	Level QUICEncryptionLevel
	// Data: the bytes to send, the secret, or the transport parameters;
	// valid until the next call on the QUICConn.
	Data  []byte
	Suite uint16
	// SessionState is set for QUICResumeSession and QUICStoreSession.
	SessionState *SessionState
	// Err is set for QUICErrorEvent.
	Err error
}

// QUICConfig configures a QUICConn.
type QUICConfig struct {
	// TLSConfig is the TLS configuration; it needs NextProtos (QUIC
	// requires ALPN, RFC 9001 section 8.1) and MinVersion and MaxVersion,
	// if set, must allow TLS 1.3.
	TLSConfig *Config
	// EnableSessionEvents turns on the QUICResumeSession and
	// QUICStoreSession events. A client then stores no session in its
	// ClientSessionCache by itself: QUICConn.StoreSession does.
	EnableSessionEvents bool
}

// QUICSessionTicketOptions are the options of QUICConn.SendSessionTicket.
type QUICSessionTicketOptions struct {
	// EarlyData: allow 0-RTT with the ticket (not yet supported).
	EarlyData bool
	// Extra is application data to carry in the ticket (not yet
	// supported).
	Extra [][]byte
}

// QUICConn is a TLS 1.3 handshake for a QUIC connection.
type QUICConn struct {
	h       handshaker
	events  []QUICEvent
	next    int
	started bool
	failed  error

	params    []byte
	paramsSet bool
	// pendingStart: a client waits for its transport parameters before
	// its ClientHello; heldHello: a server holds the ClientHello until it
	// has them.
	pendingStart bool
	heldHello    []byte
	paramsTold   bool

	readLevel  QUICEncryptionLevel
	in         [4][]byte // handshake bytes per level, not yet a whole message
	sentTicket bool
}

// QUICClient returns a client QUICConn.
func QUICClient(config *QUICConfig) *QUICConn { return newQUICConn(config, true) }

// QUICServer returns a server QUICConn.
func QUICServer(config *QUICConfig) *QUICConn { return newQUICConn(config, false) }

func newQUICConn(config *QUICConfig, client bool) *QUICConn {
	q := &QUICConn{}
	var cfg *Config
	if config != nil {
		cfg = config.TLSConfig
	}
	q.h = handshaker{config: cfg, isClient: client, variant: engine.QUIC}
	if config != nil && config.EnableSessionEvents {
		q.enableSessionEvents()
	}
	q.h.tune = func(ec *engine.Config) {
		ec.TransportParams = q.params
		// Tickets only on request (SendSessionTicket), as crypto/tls.
		ec.Tickets = 0
		if !client {
			ec.QUICParams = func([]byte) ([]byte, error) { return q.params, nil }
		}
	}
	return q
}

// SetTransportParameters sets the transport parameters to send. A server
// may wait for the client's (QUICTransportParametersRequired).
func (q *QUICConn) SetTransportParameters(params []byte) {
	if params == nil {
		params = []byte{}
	}
	if q.failed != nil {
		return
	}
	q.params, q.paramsSet = params, true
	before := q.failed
	defer func() {
		if q.failed != nil && before == nil {
			q.events = append(q.events, QUICEvent{Kind: QUICErrorEvent, Err: q.failed})
		}
	}()
	switch {
	case q.pendingStart:
		q.pendingStart = false
		q.startEngine()
	case q.heldHello != nil:
		msg := q.heldHello
		q.heldHello = nil
		q.run(q.h.eng.Handle(engine.LevelInitial, msg))
	}
}

// Start begins the handshake: a client produces its ClientHello (or asks
// for its transport parameters first).
func (q *QUICConn) Start(ctx context.Context) error {
	if q.started {
		return errors.New("hasp: QUICConn started twice")
	}
	q.started = true
	if q.h.config == nil {
		return errors.New("hasp: QUICConfig.TLSConfig is nil")
	}
	if q.h.config.MinVersion != 0 && q.h.config.MinVersion > VersionTLS13 || q.h.config.MaxVersion != 0 && q.h.config.MaxVersion < VersionTLS13 {
		return errors.New("hasp: QUIC needs TLS 1.3")
	}
	if len(q.h.config.NextProtos) == 0 {
		// RFC 9001 section 8.1: QUIC agrees on the application by ALPN.
		return errors.New("hasp: QUIC needs Config.NextProtos (ALPN, RFC 9001 section 8.1)")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q.h.ctx = ctx
	if q.h.isClient && !q.paramsSet {
		// The ClientHello carries them: ask, and start when they come.
		q.pendingStart = true
		q.events = append(q.events, QUICEvent{Kind: QUICTransportParametersRequired})
		return nil
	}
	return q.startEngine()
}

func (q *QUICConn) startEngine() error {
	eng, err := q.h.newEngine()
	if err != nil {
		return q.fail(err)
	}
	q.h.eng = eng
	q.run(eng.Start())
	return q.failed
}

// NextEvent returns the next event, or one of kind QUICNoEvent.
func (q *QUICConn) NextEvent() QUICEvent {
	if q.next >= len(q.events) {
		q.events, q.next = q.events[:0], 0
		return QUICEvent{}
	}
	e := q.events[q.next]
	q.events[q.next] = QUICEvent{}
	q.next++
	return e
}

// maxQUICBuffered bounds the handshake bytes buffered at one level.
const maxQUICBuffered = wire.MaxHandshakeLen + wire.HandshakeHeaderLen

// HandleData takes handshake bytes the peer sent at level (CRYPTO frame
// contents, in order).
func (q *QUICConn) HandleData(level QUICEncryptionLevel, data []byte) error {
	if q.failed != nil {
		return q.failed
	}
	if !q.started || q.h.eng == nil {
		return errors.New("hasp: QUICConn.HandleData before Start (and, on a client, SetTransportParameters)")
	}
	if level < QUICEncryptionLevelInitial || level > QUICEncryptionLevelApplication {
		return q.fail(wire.Errorf(wire.AlertInternalError, "handshake data at unknown level %d", int(level)))
	}
	if level == QUICEncryptionLevelEarly {
		// RFC 9001 section 8.3 / RFC 9000 12.4: no CRYPTO frames in 0-RTT.
		return q.fail(wire.Errorf(wire.AlertUnexpectedMessage, "handshake data at the 0-RTT level"))
	}
	if level < q.readLevel {
		return q.fail(wire.Errorf(wire.AlertUnexpectedMessage, "handshake data at the %s level after its keys were discarded", level))
	}
	if len(q.in[level])+len(data) > maxQUICBuffered {
		return q.fail(wire.Errorf(wire.AlertUnexpectedMessage, "more than %d bytes of handshake data at the %s level", maxQUICBuffered, level))
	}
	q.in[level] = append(q.in[level], data...)
	for q.failed == nil && q.heldHello == nil {
		buf := q.in[q.readLevel]
		typ, n, ok := wire.ParseHandshakeHeader(buf)
		if !ok {
			break
		}
		if n > wire.MaxHandshakeLen {
			return q.fail(wire.Errorf(wire.AlertIllegalParameter, "%s of %d bytes exceeds the limit of %d", wire.HandshakeName(typ), n, wire.MaxHandshakeLen))
		}
		if len(buf) < wire.HandshakeHeaderLen+n {
			break
		}
		// No copy: q.in is our own buffer, and later data is only ever
		// appended past msg (or into a new buffer), never over it.
		msg := buf[:wire.HandshakeHeaderLen+n]
		q.in[q.readLevel] = buf[wire.HandshakeHeaderLen+n:]
		if len(q.in[q.readLevel]) == 0 {
			q.in[q.readLevel] = nil
		}
		if !q.h.isClient && typ == wire.TypeClientHello && !q.paramsSet {
			// The server's parameters may depend on the client's: say
			// what they are and wait (QUICTransportParametersRequired).
			var ch wire.ClientHello
			if err := ch.Unmarshal(msg); err != nil {
				return q.fail(err)
			}
			if tp, ok := wire.FindExtension(ch.Extensions, wire.ExtQUICTransportParameters); ok {
				q.tellParams(tp)
			}
			q.heldHello = msg
			q.events = append(q.events, QUICEvent{Kind: QUICTransportParametersRequired})
			break
		}
		q.run(q.h.eng.Handle(engine.Level(q.readLevel), msg))
	}
	return q.failed
}

// run turns the engine's actions into events.
func (q *QUICConn) run(acts []engine.Action, err error) {
	q.h.publish()
	if err != nil {
		q.fail(err)
		return
	}
	st := q.h.state()
	if tp := st.X().PeerTransportParams; tp != nil && !q.paramsTold {
		q.tellParams(tp)
	}
	for _, a := range acts {
		switch a.Kind {
		case engine.ActSend:
			q.events = append(q.events, QUICEvent{Kind: QUICWriteData, Level: QUICEncryptionLevel(a.Level), Data: a.Msg})
		case engine.ActReadKey:
			if len(q.in[q.readLevel]) > 0 {
				// RFC 9001 section 4.1.3 (as RFC 8446 5.1): no message
				// spans a key change.
				q.fail(wire.Errorf(wire.AlertUnexpectedMessage, "handshake data left over at the %s level at a key change", q.readLevel))
				return
			}
			q.readLevel = QUICEncryptionLevel(a.Level)
			q.events = append(q.events, QUICEvent{Kind: QUICSetReadSecret, Level: q.readLevel, Suite: a.Suite.ID, Data: a.Secret})
		case engine.ActWriteKey:
			q.events = append(q.events, QUICEvent{Kind: QUICSetWriteSecret, Level: QUICEncryptionLevel(a.Level), Suite: a.Suite.ID, Data: a.Secret})
		case engine.ActDone:
			q.h.handshakeDone.Store(true)
			q.h.publish()
			q.events = append(q.events, QUICEvent{Kind: QUICHandshakeDone})
		case engine.ActSkipEarlyData:
			// QUIC drops 0-RTT packets itself (RFC 9001 section 4.6.2).
		case engine.ActSendCCS, engine.ActWarning, engine.ActUpdateOwed:
			q.fail(wire.Errorf(wire.AlertInternalError, "the engine asked for a record over QUIC"))
			return
		}
	}
	q.h.eng.Idle()
}

func (q *QUICConn) tellParams(tp []byte) {
	q.paramsTold = true
	q.events = append(q.events, QUICEvent{Kind: QUICTransportParameters, Data: bytes.Clone(tp)})
}

// fail ends the handshake; the error carries the alert (an *AlertError)
// for the QUIC stack to send as a CRYPTO_ERROR (RFC 9001 section 4.8).
func (q *QUICConn) fail(err error) error {
	if q.failed != nil {
		return q.failed
	}
	var ae *AlertError
	var we *wire.Error
	switch {
	case errors.As(err, &ae):
		if ae.Err == nil {
			ae.Err = q.h.alertError(ae.Alert, ae.Reason).Err
		}
	case errors.As(err, &we):
		err = q.h.alertError(we.Alert, we.Reason)
	default:
		err = &AlertError{Alert: wire.AlertInternalError, Reason: err.Error(), Err: err}
	}
	q.failed = err
	return err
}

// SendSessionTicket sends a session ticket (server, once the handshake is
// done); its bytes come out as a QUICWriteData event.
func (q *QUICConn) SendSessionTicket(opts QUICSessionTicketOptions) error {
	switch {
	case q.h.isClient:
		return errors.New("hasp: SendSessionTicket on a client")
	case !q.h.handshakeDone.Load():
		return errors.New("hasp: SendSessionTicket before the handshake completed")
	case opts.EarlyData:
		return errors.New("hasp: 0-RTT tickets are not supported yet")
	case len(opts.Extra) > 0:
		return errors.New("hasp: extra ticket data is not supported yet")
	case q.sentTicket:
		return errors.New("hasp: SendSessionTicket called twice")
	case q.h.config.SessionTicketsDisabled:
		return errors.New("hasp: session tickets are disabled")
	}
	q.sentTicket = true
	q.run(q.h.eng.SendTicket())
	return q.failed
}

// ConnectionState reports what the handshake negotiated.
func (q *QUICConn) ConnectionState() ConnectionState { return q.h.connectionStateOf(q.h.state()) }

// Close ends the handshake; later calls fail.
func (q *QUICConn) Close() error {
	if q.failed == nil {
		q.failed = errors.New("hasp: QUICConn closed")
	}
	return nil
}

// enableSessionEvents routes sessions through QUICResumeSession and
// QUICStoreSession events.
func (q *QUICConn) enableSessionEvents() {
	q.h.onOffer = func(cs *ClientSessionState) {
		_, ss, _ := cs.ResumptionState()
		q.events = append(q.events, QUICEvent{Kind: QUICResumeSession, SessionState: ss})
	}
	q.h.onStore = func(cs *ClientSessionState) {
		_, ss, _ := cs.ResumptionState()
		q.events = append(q.events, QUICEvent{Kind: QUICStoreSession, SessionState: ss})
	}
	q.h.onResume = func(ss *SessionState) {
		q.events = append(q.events, QUICEvent{Kind: QUICResumeSession, SessionState: ss})
	}
}

// StoreSession puts a session from a QUICStoreSession event into the
// client's ClientSessionCache (client only).
func (q *QUICConn) StoreSession(session *SessionState) error {
	switch {
	case !q.h.isClient:
		return errors.New("hasp: StoreSession on a server")
	case q.h.config == nil || q.h.config.ClientSessionCache == nil:
		return errors.New("hasp: StoreSession without a Config.ClientSessionCache")
	case session == nil || session.client == nil || session.client.ticket == nil:
		return errors.New("hasp: StoreSession needs the SessionState of a QUICStoreSession event")
	}
	cs, err := NewResumptionState(session.client.ticket.Ticket, session)
	if err != nil {
		return err
	}
	q.h.config.ClientSessionCache.Put(q.h.sessionKey(), cs)
	return nil
}
