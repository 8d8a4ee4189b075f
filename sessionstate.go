package hasp

import (
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/engine"
)

// SessionState is a session that can be resumed, on either side: what a
// server seals into a ticket (Config.WrapSession, Config.UnwrapSession)
// or what a client keeps to offer one (ClientSessionState.ResumptionState,
// NewResumptionState). Applications that store sessions themselves
// encode it with Bytes and decode it with ParseSessionState.
type SessionState struct {
	// Extra is carried along by Bytes and ParseSessionState and ignored by
	// hasp: an application (or each layer of a stack) may append entries
	// of its own that it can recognise in any order (say, an ID and a
	// version first). Append to it; do not replace what others put there.
	Extra [][]byte
	// EarlyData says whether the session may carry 0-RTT data in QUIC.
	// hasp does not offer or accept 0-RTT yet, so it is always false.
	EarlyData bool

	// Exactly one of these: a server's session (the engine's encoding)
	// or a client's.
	server []byte
	client *ClientSessionState
}

// sessionStateFormat is the first byte of Bytes' encoding.
const sessionStateFormat = 1

const (
	sessionKindServer = 1
	sessionKindClient = 2
)

var errBadSessionState = errors.New("hasp: malformed session state")

// Bytes encodes the session for ParseSessionState. It holds the session's
// secret: keep it as carefully as a private key.
func (s *SessionState) Bytes() ([]byte, error) {
	var kind uint8
	var payload []byte
	switch {
	case s.server != nil:
		kind, payload = sessionKindServer, s.server
	case s.client != nil && s.client.ticket != nil:
		p, err := s.client.MarshalBinary()
		if err != nil {
			return nil, err
		}
		kind, payload = sessionKindClient, p
	default:
		return nil, errors.New("hasp: empty SessionState (make one with ParseSessionState or get one from hasp)")
	}
	var b cryptobyte.Builder
	b.AddUint8(sessionStateFormat)
	b.AddUint8(kind)
	early := uint8(0)
	if s.EarlyData {
		early = 1
	}
	b.AddUint8(early)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range s.Extra {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e) })
		}
	})
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
	return b.Bytes()
}

// ParseSessionState decodes what SessionState.Bytes made, of a server or
// of a client.
func ParseSessionState(data []byte) (*SessionState, error) {
	in := cryptobyte.String(data)
	var format, kind, early uint8
	var extra, payload cryptobyte.String
	if !in.ReadUint8(&format) || format != sessionStateFormat || !in.ReadUint8(&kind) || !in.ReadUint8(&early) || early > 1 ||
		!in.ReadUint24LengthPrefixed(&extra) || !in.ReadUint24LengthPrefixed(&payload) || !in.Empty() {
		return nil, errBadSessionState
	}
	s := &SessionState{EarlyData: early == 1}
	for !extra.Empty() {
		var e cryptobyte.String
		if !extra.ReadUint24LengthPrefixed(&e) {
			return nil, errBadSessionState
		}
		s.Extra = append(s.Extra, slices.Clone([]byte(e)))
	}
	switch kind {
	case sessionKindServer:
		if _, err := engine.ParseSession(payload); err != nil {
			return nil, errBadSessionState
		}
		s.server = slices.Clone([]byte(payload))
	case sessionKindClient:
		cs := new(ClientSessionState)
		if err := cs.UnmarshalBinary(payload); err != nil {
			return nil, errBadSessionState
		}
		s.client = cs
	default:
		return nil, errBadSessionState
	}
	if s.EarlyData {
		// hasp makes no 0-RTT sessions; one that says otherwise was not
		// made by Bytes from a hasp session.
		return nil, errBadSessionState
	}
	return s, nil
}

// ResumptionState returns the ticket the server sent (the session's
// identity) and the rest of what resuming the session needs, for a
// ClientSessionCache that stores sessions itself: encode state with
// Bytes, and give both back to NewResumptionState. A nil session gives
// nils.
func (cs *ClientSessionState) ResumptionState() (ticket []byte, state *SessionState, err error) {
	if cs == nil || cs.ticket == nil {
		return nil, nil, nil
	}
	return cs.ticket.Ticket, &SessionState{client: cs, Extra: cs.extra}, nil
}

// NewResumptionState makes a ClientSessionState that ClientSessionCache.Get
// may return, from a ticket and a client's state as ResumptionState gave
// them (the state through Bytes and ParseSessionState). The server's chain
// is verified again before the session is offered.
func NewResumptionState(ticket []byte, state *SessionState) (*ClientSessionState, error) {
	if state == nil || state.client == nil || state.client.ticket == nil {
		return nil, errors.New("hasp: NewResumptionState needs a client's SessionState (from ClientSessionState.ResumptionState)")
	}
	src := state.client
	t := *src.ticket
	t.Ticket = slices.Clone(ticket)
	if len(t.Ticket)+len(t.SessionID) == 0 {
		return nil, errors.New("hasp: NewResumptionState: no ticket")
	}
	if len(t.Ticket) > 0xffff {
		return nil, errors.New("hasp: NewResumptionState: ticket longer than 65535 bytes")
	}
	return &ClientSessionState{ticket: &t, peerCerts: src.peerCerts, verifiedChains: src.verifiedChains,
		until: src.until, extra: state.Extra}, nil
}

// EncryptTicket seals a session with the Config's ticket keys (those
// given to SetSessionTicketKeys or SessionTicketKey, or made and rotated
// on their own). It can serve as Config.WrapSession.
func (c *Config) EncryptTicket(cs ConnectionState, ss *SessionState) ([]byte, error) {
	b, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	return c.sealTicket(b)
}

// DecryptTicket opens a ticket EncryptTicket sealed. It can serve as
// Config.UnwrapSession. A ticket that does not open or parse gives
// (nil, nil): the client then gets a full handshake.
func (c *Config) DecryptTicket(identity []byte, cs ConnectionState) (*SessionState, error) {
	plain, err := c.openTicket(identity)
	if err != nil {
		return nil, nil
	}
	ss, err := ParseSessionState(plain)
	if err != nil || ss.server == nil {
		return nil, nil
	}
	return ss, nil
}

// sessionHooks reports whether tickets go through SessionState (the
// application set WrapSession or UnwrapSession).
func (c *Config) sessionHooks() bool { return c.WrapSession != nil || c.UnwrapSession != nil }

// sealSession is the engine's SealTicket: the Config's own sealing, or
// WrapSession (EncryptTicket when only UnwrapSession is set).
func (c *handshaker) sealSession(plain []byte) ([]byte, error) {
	cfg := c.config
	if !cfg.sessionHooks() {
		return cfg.sealTicket(plain)
	}
	ss := &SessionState{server: slices.Clone(plain)}
	cs := c.connectionStateNow()
	if cfg.WrapSession != nil {
		return cfg.WrapSession(cs, ss)
	}
	return cfg.EncryptTicket(cs, ss)
}

// openSession is the engine's OpenTicket: the Config's own opening, or
// UnwrapSession (DecryptTicket when only WrapSession is set). An error
// from UnwrapSession ends the handshake: it is kept for the engine
// wrapper to raise once the engine call returns.
func (c *handshaker) openSession(ticket []byte) ([]byte, error) {
	cfg := c.config
	var ss *SessionState
	switch {
	case cfg.UnwrapSession != nil:
		var err error
		ss, err = cfg.UnwrapSession(ticket, c.connectionStateNow())
		if err != nil {
			if c.sessionErr == nil {
				c.sessionErr = err
			}
			return nil, err
		}
	case cfg.WrapSession != nil:
		ss, _ = cfg.DecryptTicket(ticket, c.connectionStateNow())
	default:
		plain, err := cfg.openTicket(ticket)
		if err != nil {
			return nil, err
		}
		if c.onResume == nil {
			return plain, nil
		}
		ss = &SessionState{server: plain}
	}
	if ss == nil || ss.server == nil {
		return nil, errUnknownTicket
	}
	if c.onResume != nil {
		c.onResume(ss)
	}
	return ss.server, nil
}

// connectionStateNow is the ConnectionState of the engine's state at this
// moment, for hooks called from inside an engine call.
func (c *handshaker) connectionStateNow() ConnectionState {
	if c.eng == nil {
		return ConnectionState{}
	}
	st := c.eng.State()
	return c.connectionStateOf(&st)
}
