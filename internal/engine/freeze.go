package engine

import (
	"bytes"
	"crypto"
	"errors"
	"time"

	"github.com/hasp-tls/hasp/internal/keysched"
)

// Frozen is an established TLS 1.3 connection's engine put away while
// the connection idles: only what a later KeyUpdate or NewSessionTicket
// needs (the application traffic secrets, the flood counter, the ticket
// facts), without the engine, its Config and the certificate it chose.
// Application data never needs the engine, so a connection waiting in
// Read holds this instead; a post-handshake message thaws it first.
//
// It implements Engine only so that a transport can keep it in the same
// field: every call that would act returns ErrFrozen.
type Frozen struct {
	// st is the snapshot the transport published, shared and never
	// written again.
	st       *State
	notAfter time.Time
	// The application traffic secrets, held in place (not as two more
	// allocations), with their hash and variant. The small fields are
	// packed after them: the struct fits Go's 144-byte size class.
	clientApp, serverApp [maxSecret]byte
	secretLen            uint8
	variant              keysched.Variant
	hash                 uint8 // a crypto.Hash
	server               bool
	ticketsWanted        bool
	// updateOwed: the peer asked for a KeyUpdate we have not sent yet
	// (the transport sends it before its next data, thawing the engine).
	updateOwed bool
	// keyUpdatesSeen is at most maxKeyUpdates.
	keyUpdatesSeen uint8
}

// maxSecret is the longest traffic secret: SHA-384's.
const maxSecret = 48

func (f *Frozen) keep(client, server keysched.TrafficSecret) bool {
	if len(client.Secret) > maxSecret || len(server.Secret) != len(client.Secret) {
		return false
	}
	f.secretLen = uint8(copy(f.clientApp[:], client.Secret))
	copy(f.serverApp[:], server.Secret)
	f.hash, f.variant = uint8(client.Hash), client.Variant
	return true
}

func (f *Frozen) secret(b *[maxSecret]byte, dir keysched.Direction) keysched.TrafficSecret {
	return keysched.TrafficSecret{Hash: crypto.Hash(f.hash), Secret: bytes.Clone(b[:f.secretLen]), Dir: dir, Variant: f.variant}
}

// ErrFrozen: the transport called a frozen engine without thawing it.
var ErrFrozen = errors.New("engine: frozen; Thaw it first")

// Freeze returns e put away, or nil when it cannot be: only a connected
// TLS 1.3 engine over TLS with nothing in progress (no post-handshake
// authentication possible, no actions pending; a KeyUpdate still owed is kept) and a
// snapshot st equal to its State.
func Freeze(e Engine, st *State) *Frozen {
	switch e := e.(type) {
	case *Server:
		if !e.freezable() || e.v12 != nil || e.state != sConnected || e.phaTranscript != nil || e.pha != nil {
			return nil
		}
		f := &Frozen{server: true, st: st, keyUpdatesSeen: uint8(min(e.keyUpdatesSeen, maxKeyUpdates)), updateOwed: e.updateOwed, ticketsWanted: e.ticketsWanted, notAfter: e.notAfter}
		if !f.keep(e.clientApp, e.serverApp) {
			return nil
		}
		return f
	case *Client:
		if !e.freezable() || e.v12 != nil || e.state != cConnected || e.phaTranscript != nil {
			return nil
		}
		f := &Frozen{st: st, keyUpdatesSeen: uint8(min(e.keyUpdatesSeen, maxKeyUpdates)), updateOwed: e.updateOwed}
		if !f.keep(e.clientApp, e.serverApp) {
			return nil
		}
		return f
	}
	return nil
}

func (c *common) freezable() bool {
	return c.done && c.failed == nil && len(c.acts) == 0 && c.hsStage == nil &&
		c.cfg.Variant == TLS && c.gen() == gen13
}

// Thaw rebuilds the engine with cfg, which must be what the engine was
// made with.
func (f *Frozen) Thaw(cfg *Config) Engine {
	c := common{cfg: cfg, st: *f.st, done: true, clientApp: f.secret(&f.clientApp, keysched.ClientToServer),
		serverApp: f.secret(&f.serverApp, keysched.ServerToClient), keyUpdatesSeen: int(f.keyUpdatesSeen),
		updateOwed: f.updateOwed}
	if f.server {
		return &Server{common: c, state: sConnected, ticketsWanted: f.ticketsWanted, notAfter: f.notAfter}
	}
	return &Client{common: c, state: cConnected}
}

func (f *Frozen) Start() ([]Action, error)               { return nil, ErrFrozen }
func (f *Frozen) Handle(Level, []byte) ([]Action, error) { return nil, ErrFrozen }
func (f *Frozen) HandleCCS() ([]Action, error)           { return nil, ErrFrozen }
func (f *Frozen) UpdateKeys(bool) ([]Action, error)      { return nil, ErrFrozen }
func (f *Frozen) SendTicket() ([]Action, error)          { return nil, ErrFrozen }
func (f *Frozen) RequestCertificate() ([]Action, error)  { return nil, ErrFrozen }
func (f *Frozen) NoteAppData()                           { f.keyUpdatesSeen = 0 }
func (f *Frozen) State() State                           { return *f.st }
func (f *Frozen) Done() bool                             { return true }
func (f *Frozen) Err() error                             { return nil }
func (f *Frozen) Idle()                                  {}
func (f *Frozen) CCSAllowed() bool                       { return false }
