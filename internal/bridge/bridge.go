// Package bridge lets transports outside package hasp (package dtls)
// drive a handshake through hasp's handshaker, which translates a
// hasp.Config for the engine, picks certificates, verifies and trusts the
// peer, keeps sessions and builds ConnectionState. Package hasp fills in
// NewDatagram when it is initialised; a transport imports hasp (for its
// Config), so that has happened before it calls.
package bridge

import (
	"net"

	"github.com/hasp-tls/hasp/internal/engine"
)

// Handshake is one connection's handshaker.
type Handshake interface {
	// Engine is the connection's engine, made from the Config.
	Engine() engine.Engine
	// Publish takes a snapshot of the engine's state: after every
	// engine call.
	Publish()
	// Done marks the handshake complete (and publishes).
	Done()
	// ConnectionState is a hasp.ConnectionState.
	ConnectionState() any
	// Fail turns an engine or transport error into what the caller
	// returns: the alert to send (ok false: send none) and the error,
	// a *hasp.AlertError for protocol errors.
	Fail(err error) (alert uint8, send bool, out error)
	// PeerAlert is the error for an alert the peer sent.
	PeerAlert(alert uint8) error
	// Trace reports a handshake message to Config.HandshakeTrace.
	Trace(sent bool, msg []byte)
}

// NewDatagram makes the handshaker of a DTLS connection for config (a
// *hasp.Config), on the client or server side, with the peer's address;
// tune (may be nil) sets the engine options only the transport has.
var NewDatagram func(config any, client bool, remote net.Addr, tune func(*engine.Config)) (Handshake, error)
