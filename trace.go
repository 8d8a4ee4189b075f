package hasp

import (
	"fmt"
	"strings"

	"github.com/hasp-tls/hasp/internal/wire"
)

// HandshakeMessage is one handshake message as it crossed the wire, for
// Config.HandshakeTrace.
type HandshakeMessage struct {
	// Sent is true for our messages, false for the peer's.
	Sent bool
	// Type is the handshake type (1 ClientHello, 2 ServerHello, ...).
	Type uint8
	// Raw is the whole message, header included. It is only valid during
	// the call.
	Raw []byte
	// Version is the protocol version, once known (0 before).
	Version uint16
}

// Name is the message's name, "ClientHello" and the like.
func (m HandshakeMessage) Name() string {
	if m.Type == wire.TypeServerHello && len(m.Raw) >= 38 && [32]byte(m.Raw[6:38]) == wire.HelloRetryRequestRandom {
		return "HelloRetryRequest"
	}
	return wire.HandshakeName(m.Type)
}

// Summary gives the message's key fields in one line: offered and chosen
// versions, suites, groups, key shares, signature schemes, ALPN, names,
// certificates.
func (m HandshakeMessage) Summary() string {
	var parts []string
	add := func(f string, a ...any) { parts = append(parts, fmt.Sprintf(f, a...)) }
	switch m.Type {
	case wire.TypeClientHello:
		var ch wire.ClientHello
		if ch.Unmarshal(m.Raw) != nil {
			break
		}
		if len(ch.SupportedVersions) > 0 {
			add("versions %s", names(ch.SupportedVersions, wire.VersionName))
		} else {
			add("version %s", wire.VersionName(ch.Vers))
		}
		add("suites %s", names(ch.CipherSuites, wire.SuiteName))
		if len(ch.KeyShares) > 0 {
			var g []uint16
			for _, ks := range ch.KeyShares {
				g = append(g, ks.Group)
			}
			add("key shares %s", names(g, wire.GroupName))
		}
		add("groups %s", names(ch.SupportedGroups, wire.GroupName))
		if ch.ServerName != "" {
			add("SNI %s", ch.ServerName)
		}
		if len(ch.ALPN) > 0 {
			add("ALPN %s", strings.Join(ch.ALPN, ","))
		}
		if len(ch.PSKIdentities) > 0 {
			add("offers a PSK")
		}
		if len(ch.SessionTicket) > 0 {
			add("offers a TLS 1.2 ticket")
		}
	case wire.TypeServerHello:
		var sh wire.ServerHello
		if sh.Unmarshal(m.Raw) != nil {
			break
		}
		v := sh.Vers
		if sh.SupportedVersion != 0 {
			v = sh.SupportedVersion
		}
		add("version %s", wire.VersionName(v))
		add("suite %s", wire.SuiteName(sh.CipherSuite))
		if sh.IsHelloRetryRequest() {
			add("asks for a %s share", wire.GroupName(sh.SelectedGroup))
		} else if sh.KeyShare.Group != 0 {
			add("key share %s", wire.GroupName(sh.KeyShare.Group))
		}
		if sh.HasSelectedPSK {
			add("resumes (PSK %d)", sh.SelectedPSK)
		}
		if sh.ALPN != "" {
			add("ALPN %s", sh.ALPN)
		}
		if sh.EMS {
			add("extended master secret")
		}
	case wire.TypeEncryptedExtensions:
		var ee wire.EncryptedExtensions
		if ee.Unmarshal(m.Raw) != nil {
			break
		}
		if ee.ALPN != "" {
			add("ALPN %s", ee.ALPN)
		}
		if ee.ServerNameAck {
			add("SNI acknowledged")
		}
	case wire.TypeCertificate:
		var chain [][]byte
		if m.Version == wire.VersionTLS12 {
			var c wire.Certificate12
			if c.Unmarshal(m.Raw) == nil {
				chain = c.Chain
			}
		} else {
			var c wire.Certificate
			if c.Unmarshal(m.Raw) == nil {
				for _, e := range c.Entries {
					chain = append(chain, e.Data)
				}
			}
		}
		if len(chain) == 1 {
			add("1 certificate")
		} else {
			add("%d certificates", len(chain))
		}
	case wire.TypeCertificateVerify:
		var cv wire.CertificateVerify
		if cv.Unmarshal(m.Raw) == nil {
			add("%s", wire.SchemeName(cv.Scheme))
		}
	case wire.TypeServerKeyExchange:
		var ske wire.ServerKeyExchange
		if ske.Unmarshal(m.Raw) == nil {
			add("%s signed with %s", wire.GroupName(ske.Group), wire.SchemeName(ske.Scheme))
		}
	case wire.TypeNewSessionTicket:
		if m.Version == wire.VersionTLS12 {
			var t wire.NewSessionTicket12
			if t.Unmarshal(m.Raw) == nil {
				add("lifetime %ds", t.Lifetime)
			}
		} else {
			var t wire.NewSessionTicket
			if t.Unmarshal(m.Raw) == nil {
				add("lifetime %ds", t.Lifetime)
			}
		}
	case wire.TypeKeyUpdate:
		if len(m.Raw) == 5 && m.Raw[4] == 1 {
			add("update requested")
		}
	}
	return strings.Join(parts, ", ")
}

func names(v []uint16, f func(uint16) string) string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = f(x)
	}
	return "[" + strings.Join(out, " ") + "]"
}

func (c *Conn) trace(sent bool, msg []byte) {
	if f := c.config.HandshakeTrace; f != nil && len(msg) >= wire.HandshakeHeaderLen {
		var v uint16
		if c.state() != nil {
			v = c.state().Version
		}
		f(HandshakeMessage{Sent: sent, Type: msg[0], Raw: msg, Version: v})
	}
}
