package hasp

import (
	"errors"
	"net"

	"github.com/hasp-tls/hasp/internal/bridge"
	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
)

// versionDTLS12 is DTLS 1.2's wire version (RFC 6347 section 4.1).
const versionDTLS12 = 0xfefd

func init() { bridge.NewDatagram = newDatagramHandshake }

// datagramHandshake is the handshaker package dtls drives.
type datagramHandshake struct{ handshaker }

func newDatagramHandshake(config any, client bool, remote net.Addr, tune func(*engine.Config)) (bridge.Handshake, error) {
	cfg, _ := config.(*Config)
	if cfg == nil {
		return nil, errors.New("hasp: nil Config")
	}
	h := &datagramHandshake{handshaker{config: cfg, isClient: client, variant: engine.DTLS, remote: remote}}
	h.tune = func(ec *engine.Config) {
		// DTLS 1.2 only until DTLS 1.3 lands; a Config's TLS bounds
		// say nothing more here (hasp speaks no DTLS 1.0).
		ec.MinVersion, ec.MaxVersion = versionDTLS12, versionDTLS12
		if tune != nil {
			tune(ec)
		}
	}
	eng, err := h.newEngine()
	if err != nil {
		return nil, err
	}
	h.eng = eng
	return h, nil
}

func (h *datagramHandshake) Engine() engine.Engine { return h.eng }
func (h *datagramHandshake) Publish()              { h.publish() }

func (h *datagramHandshake) Done() {
	h.handshakeDone.Store(true)
	h.publish()
}

func (h *datagramHandshake) ConnectionState() any { return h.connectionStateOf(h.state()) }

func (h *datagramHandshake) Fail(err error) (uint8, bool, error) {
	var ae *AlertError
	if errors.As(err, &ae) {
		return 0, false, err
	}
	var we *wire.Error
	if errors.As(err, &we) {
		return uint8(we.Alert), true, h.alertError(we.Alert, we.Reason)
	}
	return 0, false, err
}

func (h *datagramHandshake) PeerAlert(a uint8) error {
	return &AlertError{Alert: Alert(a), Remote: true}
}

func (h *datagramHandshake) Trace(sent bool, msg []byte) {
	if f := h.config.HandshakeTrace; f != nil && len(msg) >= wire.HandshakeHeaderLen {
		var v uint16
		if st := h.state(); st != nil {
			v = st.Version
		}
		f(HandshakeMessage{Sent: sent, Type: msg[0], Raw: msg, Version: v})
	}
}

// is12 reports whether a wire version follows TLS 1.2's rules: TLS 1.2
// or DTLS 1.2.
func is12(v uint16) bool { return v == VersionTLS12 || v == versionDTLS12 }
