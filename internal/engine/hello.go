package engine

import (
	"github.com/hasp-tls/hasp/internal/wire"
)

// HelloSpec is what a ClientHello carries, decided; BuildHello turns it
// into the message with no randomness, clock or state of its own. The
// client engine fills a spec from its Config (Client.helloSpec); a
// scanner fills one by hand to send probes (old versions, chosen suites
// and extensions, no SNI), and ECH will build its inner and outer hellos
// from two specs, without a second copy of the hello code.
type HelloSpec struct {
	// LegacyVersion is legacy_version (0x0303 for TLS 1.2 and 1.3; the
	// version itself for a probe of an older one).
	LegacyVersion uint16
	Random        [32]byte
	SessionID     []byte
	CipherSuites  []uint16
	// Compression methods; nil means only null.
	Compression []uint8
	// Versions is supported_versions (nil: the extension is left out and
	// legacy_version alone speaks).
	Versions []uint16
	// ServerName for SNI; empty leaves the extension out.
	ServerName     string
	Groups         []uint16
	SigSchemes     []uint16
	SigSchemesCert []uint16
	// KeyShares, when Versions offers TLS 1.3: the extension is sent
	// (possibly empty) iff SendKeyShares.
	SendKeyShares bool
	KeyShares     []wire.KeyShare
	PSKModes      []uint8
	ALPN          []string
	StatusRequest bool
	SCT           bool
	// PostHandshakeAuth offers post-handshake authentication (TLS 1.3).
	PostHandshakeAuth bool
	// TLS 1.2 extensions: extended master secret, an empty
	// renegotiation_info, ec_point_formats, and a session ticket (the
	// extension is sent when AskTicket or a ticket is given).
	EMS           bool
	SecureReneg   bool
	PointFormats  []uint8
	AskTicket     bool
	SessionTicket []byte
	// Extra extensions a transport or a probe adds (QUIC transport
	// parameters, GREASE, ...).
	Extra []wire.Extension
}

// BuildHello makes the ClientHello a spec describes, unmarshalled fields
// only: the client marshals it (padding and the PSK binders depend on the
// transcript).
func BuildHello(spec *HelloSpec) *wire.ClientHello {
	h := &wire.ClientHello{
		Vers:              spec.LegacyVersion,
		Random:            spec.Random,
		SessionID:         spec.SessionID,
		CipherSuites:      spec.CipherSuites,
		Compression:       spec.Compression,
		ServerName:        spec.ServerName,
		SupportedGroups:   spec.Groups,
		SigSchemes:        spec.SigSchemes,
		SigSchemesCert:    spec.SigSchemesCert,
		SupportedVersions: spec.Versions,
		HasKeyShare:       spec.SendKeyShares,
		KeyShares:         spec.KeyShares,
		PSKModes:          spec.PSKModes,
		ALPN:              spec.ALPN,
		StatusRequest:     spec.StatusRequest,
		SCT:               spec.SCT,
		PostHandshakeAuth: spec.PostHandshakeAuth,
		EMS:               spec.EMS,
		HasSecureReneg:    spec.SecureReneg,
		PointFormats:      spec.PointFormats,
		HasSessionTicket:  spec.AskTicket || len(spec.SessionTicket) > 0,
		SessionTicket:     spec.SessionTicket,
		Extra:             spec.Extra,
		Padding:           -1,
	}
	if h.Compression == nil {
		h.Compression = []uint8{0}
	}
	return h
}
