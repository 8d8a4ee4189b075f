package hasp

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"github.com/hasp-tls/hasp/internal/engine"
)

// maxHeldDuringAuth bounds the application data a server keeps while it
// waits for a client's post-handshake certificate.
const maxHeldDuringAuth = 1 << 20

// ErrNoPostHandshakeAuth is returned by RequestClientCertificate when the
// client did not offer post-handshake authentication.
var ErrNoPostHandshakeAuth = engine.ErrNoPostHandshakeAuth

// RequestClientCertificate asks the client for a certificate on an
// established TLS 1.3 connection (post-handshake authentication, RFC 8446
// section 4.6.2), which crypto/tls does not offer. The client must have
// offered it (Config.PostHandshakeAuth on a hasp client, -enable_pha for
// openssl s_client). The chain is checked as Config.ClientAuth and
// ClientCAs say, and returned; a refusal ends the connection with the
// alert that says why. Application data that arrives meanwhile is kept
// for Read.
func (c *Conn) RequestClientCertificate(ctx context.Context) ([]*x509.Certificate, error) {
	if c.isClient {
		return nil, errors.New("hasp: only a server requests client certificates")
	}
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	result := make(chan error, 1)
	c.outMu.Lock()
	if c.writeErr != nil {
		c.outMu.Unlock()
		return nil, c.writeErr
	}
	err := c.payOwedLocked(false)
	var acts []engine.Action
	if err == nil {
		acts, err = c.engineCall(func() ([]engine.Action, error) { return c.eng.RequestCertificate() })
	}
	if err == nil {
		c.phaMu.Lock()
		c.phaResult = result
		c.phaMu.Unlock()
		err = c.applyPostLocked(acts)
	}
	c.outMu.Unlock()
	if err != nil {
		return nil, err
	}
	for {
		select {
		case err := <-result:
			return c.authResult(err)
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
		// Read the answer ourselves unless a Read is doing it.
		if c.inMu.TryLock() {
			err := c.readDuringAuth()
			c.inMu.Unlock()
			if err != nil {
				c.finishPostHandshakeAuth(err)
			}
			continue
		}
		select {
		case err := <-result:
			return c.authResult(err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// readDuringAuth reads one record for RequestClientCertificate, keeping
// application data for Read. Called with inMu held.
func (c *Conn) readDuringAuth() error {
	if c.readErr != nil {
		return c.readErr
	}
	if len(c.pending) > 0 {
		c.held = append(c.held, c.pending...)
		c.pending = nil
	}
	if err := c.readRecord(); err != nil {
		if !isTimeout(err) {
			c.readErr = err
		}
		return err
	}
	if len(c.pending) > 0 {
		if len(c.held)+len(c.pending) > maxHeldDuringAuth {
			return errors.New("hasp: too much application data while waiting for the client's certificate")
		}
		c.held = append(c.held, c.pending...)
		c.pending = nil
	}
	return nil
}

// finishPostHandshakeAuth hands the outcome to RequestClientCertificate.
func (c *Conn) finishPostHandshakeAuth(err error) {
	c.phaMu.Lock()
	defer c.phaMu.Unlock()
	if c.phaResult != nil {
		c.phaResult <- err
		c.phaResult = nil
	}
}

// ErrNoClientCertificate is returned when the client answers a
// post-handshake request with no certificate (and ClientAuth does not
// require one, which would end the connection instead).
var ErrNoClientCertificate = errors.New("hasp: the client sent no certificate")

func (c *Conn) authResult(err error) ([]*x509.Certificate, error) {
	if err != nil {
		return nil, err
	}
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, ErrNoClientCertificate
	}
	return certs, nil
}

// SendSessionTicket sends one more NewSessionTicket on an established
// server connection (beyond the TicketCount sent after the handshake), so
// a client can resume later or in parallel.
func (c *Conn) SendSessionTicket() error {
	if c.isClient {
		return errors.New("hasp: only a server sends session tickets")
	}
	if err := c.Handshake(); err != nil {
		return err
	}
	if c.config.SessionTicketsDisabled {
		return errors.New("hasp: session tickets are disabled")
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	if err := c.payOwedLocked(false); err != nil {
		return err
	}
	acts, err := c.engineCall(func() ([]engine.Action, error) { return c.eng.SendTicket() })
	if err != nil {
		return err
	}
	return c.applyPostLocked(acts)
}
