package hasp

import (
	"errors"
	"testing"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
)

// In TLS 1.3 an alert's level is ignored (RFC 8446 section 6): a
// warning-level or unknown-level unexpected_message ends the connection as
// the peer's alert, where BoringSSL refuses the level itself (BoGo's
// SendWarningAlerts-TLS13 and SendBogusAlertType are disabled for it). In
// TLS 1.2 a warning is taken and the connection goes on.
func TestAlertLevelIgnoredInTLS13(t *testing.T) {
	for _, level := range []byte{wire.AlertLevelWarning, 0x77} {
		c := &Conn{handshaker: handshaker{config: &Config{}}}
		c.st.Store(&engine.State{Version: wire.VersionTLS13})
		err := c.readAlert([]byte{level, byte(wire.AlertUnexpectedMessage)})
		var ae *AlertError
		if !errors.As(err, &ae) || !ae.Remote || ae.Alert != wire.AlertUnexpectedMessage {
			t.Errorf("level %d: got %v, want the peer's unexpected_message", level, err)
		}
	}
	c := &Conn{handshaker: handshaker{config: &Config{}}}
	c.st.Store(&engine.State{Version: wire.VersionTLS12})
	if err := c.readAlert([]byte{wire.AlertLevelWarning, byte(wire.AlertUnexpectedMessage)}); err != nil {
		t.Errorf("TLS 1.2 warning: %v", err)
	}
}
