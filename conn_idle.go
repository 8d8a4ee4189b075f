package hasp

import "github.com/hasp-tls/hasp/internal/engine"

// An established TLS 1.3 Conn does not need its handshake engine to move
// application data: only KeyUpdate, NewSessionTicket and the calls that
// make them do. So when a Read is about to wait with nothing buffered,
// the engine is frozen (engine.Freeze keeps the traffic secrets and a
// few counters, and shares the published snapshot), dropping the
// engine, its Config and the certificate it chose; the next call that
// needs it thaws it from the Config. A server parked in Read then holds
// about 2 KB less per connection.

// freezeEngine puts the engine away if it is live and freezable. The read
// side calls it with inMu held, before waiting.
func (c *Conn) freezeEngine() {
	if !c.engLive.Load() {
		return
	}
	c.engMu.Lock()
	if f := engine.Freeze(c.eng, c.st.Load()); f != nil {
		c.eng = f
	}
	// Tried once per thaw: an engine that cannot freeze (post-handshake
	// authentication possible, TLS 1.2) is not asked again.
	c.engLive.Store(false)
	c.engMu.Unlock()
}

// thawLocked rebuilds a frozen engine; engMu is held. It is built from the
// Config as it is now: like crypto/tls's, a Config must not change once
// a connection uses it. Thawing happens only for a post-handshake message
// (a KeyUpdate, a ticket), so its cost (engineConfig, for a server with
// client CAs their subjects) is paid rarely.
func (c *Conn) thawLocked() error {
	f, ok := c.eng.(*engine.Frozen)
	if !ok {
		return nil
	}
	ec, err := c.engineConfig()
	if err != nil {
		return err
	}
	c.eng = f.Thaw(ec)
	c.engLive.Store(true)
	return nil
}
