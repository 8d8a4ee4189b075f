package engine

import (
	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Variant is the transport flavour a handshake runs over. One table says
// how they differ; no version constant decides anything outside it.
type Variant uint8

const (
	// TLS over a byte stream (RFC 8446, RFC 5246).
	TLS Variant = iota
	// DTLS over datagrams (RFC 9147, RFC 6347): versions count down,
	// handshake messages carry message_seq.
	DTLS
	// QUIC carries the TLS 1.3 handshake in CRYPTO frames (RFC 9001).
	QUIC
)

func (v Variant) String() string { return variants[v].name }

// DTLS wire versions (RFC 9147 5.3, RFC 6347 4.1): one's complement of
// the TLS ones, so they count down.
const (
	versionDTLS12 uint16 = 0xfefd
	versionDTLS13 uint16 = 0xfefc
)

// generation is the protocol a wire version speaks: TLS 1.2 rules (DTLS
// 1.2 included) or TLS 1.3 rules (DTLS 1.3, QUIC).
type generation uint8

const (
	gen12 generation = 12
	gen13 generation = 13
)

// variantInfo is one row of the table.
type variantInfo struct {
	name string
	// Wire versions of each generation; 0 where the variant has none.
	v13, v12 uint16
	// legacyVersion is the legacy_version of 1.3 hellos (RFC 8446 4.1.2,
	// RFC 9147 5.3).
	legacyVersion uint16
	// datagram: message_seq exists, and the DTLS 1.2 transcript hashes
	// the 12-byte handshake header (RFC 6347 4.2.6).
	datagram bool
	// compatCCS: the middlebox compatibility mode of RFC 8446 appendix
	// D.4 (a fake session ID and a change_cipher_spec) exists. Neither
	// DTLS 1.3 (RFC 9147 5) nor QUIC (RFC 9001 8.4) has it.
	compatCCS bool
	// sessionIDAllowed: a 1.3 ClientHello may carry a non-empty
	// legacy_session_id (QUIC forbids it, RFC 9001 8.4).
	sessionIDAllowed bool
	// endOfEarlyData: the EndOfEarlyData message exists (not in DTLS 1.3,
	// RFC 9147 5.6, nor QUIC, RFC 9001 8.3).
	endOfEarlyData bool
	// keyUpdate: the TLS KeyUpdate message exists (QUIC updates keys in
	// its own packets and forbids it, RFC 9001 6).
	keyUpdate bool
	// alpnRequired: the handshake fails without an application protocol
	// (RFC 9001 8.1).
	alpnRequired bool
	// keys is the key schedule's flavour: DTLS 1.3 labels its secrets
	// "dtls13" (RFC 9147 5.9).
	keys keysched.Variant
}

var variants = [...]variantInfo{
	TLS: {name: "TLS", v13: wire.VersionTLS13, v12: wire.VersionTLS12, legacyVersion: wire.VersionTLS12,
		compatCCS: true, sessionIDAllowed: true, endOfEarlyData: true, keyUpdate: true},
	DTLS: {name: "DTLS", v13: versionDTLS13, v12: versionDTLS12, legacyVersion: versionDTLS12,
		datagram: true, sessionIDAllowed: true, keyUpdate: true, keys: keysched.DTLS13},
	QUIC: {name: "QUIC", v13: wire.VersionTLS13, legacyVersion: wire.VersionTLS12,
		keyUpdate: false, alpnRequired: true},
}

func (c *Config) variant() *variantInfo { return &variants[c.Variant] }

// gen maps a wire version to its generation (0 when the variant does not
// speak it).
func (v *variantInfo) gen(w uint16) generation {
	switch {
	case w == 0:
		return 0
	case w == v.v13:
		return gen13
	case w == v.v12:
		return gen12
	}
	return 0
}

// wire maps a generation to the variant's wire version.
func (v *variantInfo) wire(g generation) uint16 {
	switch g {
	case gen13:
		return v.v13
	case gen12:
		return v.v12
	}
	return 0
}

// offers reports whether the configuration allows generation g: the
// variant has it and it lies within MinVersion..MaxVersion (compared by
// generation, never numerically: DTLS versions count down).
func (c *Config) offers(g generation) bool {
	v := c.variant()
	if v.wire(g) == 0 {
		return false
	}
	if mx := v.familyGen(c.MaxVersion); mx != 0 && g > mx {
		return false
	}
	if mn := v.familyGen(c.MinVersion); mn != 0 && g < mn {
		return false
	}
	return true
}

// familyGen places any version of the variant's family on the
// generation scale, also those it does not speak (TLS 1.2 as a bound on
// QUIC, DTLS 1.0): TLS 1.0 is 10, DTLS 1.0 (like TLS 1.1) 11.
func (v *variantInfo) familyGen(w uint16) generation {
	if v.datagram {
		switch w {
		case versionDTLS13:
			return gen13
		case versionDTLS12:
			return gen12
		case 0xfeff:
			return 11
		}
		// A TLS version as a bound on DTLS (hasp.Config speaks TLS
		// versions): the DTLS version of the same generation.
	}
	if w >= 0x0301 && w <= 0x0304 {
		return generation(w - 0x0301 + 10)
	}
	return 0
}

// versions lists the wire versions a client offers, most preferred first.
func (c *Config) versions() []uint16 {
	var out []uint16
	for _, g := range []generation{gen13, gen12} {
		if c.offers(g) {
			out = append(out, c.variant().wire(g))
		}
	}
	return out
}

// gen is the generation of the negotiated version (0 before it is known).
func (c *common) gen() generation { return c.cfg.variant().gen(c.st.Version) }
