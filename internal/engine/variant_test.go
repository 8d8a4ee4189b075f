package engine

import (
	"slices"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// Versions are chosen from the variant's table, by generation: DTLS
// versions count down (0xfefc is DTLS 1.3, newer than 0xfefd), so no
// numeric comparison may decide.
func TestVariantVersions(t *testing.T) {
	for _, tc := range []struct {
		v        Variant
		min, max uint16
		want     []uint16
	}{
		{TLS, 0, 0, []uint16{wire.VersionTLS13, wire.VersionTLS12}},
		{TLS, wire.VersionTLS13, 0, []uint16{wire.VersionTLS13}},
		{TLS, 0, wire.VersionTLS12, []uint16{wire.VersionTLS12}},
		{DTLS, 0, 0, []uint16{versionDTLS13, versionDTLS12}},
		{DTLS, versionDTLS13, 0, []uint16{versionDTLS13}},
		{DTLS, 0, versionDTLS12, []uint16{versionDTLS12}},
		{DTLS, 0, wire.VersionTLS12, []uint16{versionDTLS12}}, // TLS bounds carry over
		{DTLS, wire.VersionTLS13, 0, []uint16{versionDTLS13}},
		{QUIC, 0, 0, []uint16{wire.VersionTLS13}},
		{QUIC, 0, wire.VersionTLS12, nil},
	} {
		cfg := &Config{Variant: tc.v, MinVersion: tc.min, MaxVersion: tc.max}
		if got := cfg.versions(); !slices.Equal(got, tc.want) {
			t.Errorf("%s min %04x max %04x: offers %04x, want %04x", tc.v, tc.min, tc.max, got, tc.want)
		}
	}
}

func TestNegotiateVersionByTable(t *testing.T) {
	for _, tc := range []struct {
		v       Variant
		max     uint16
		offered []uint16
		legacy  uint16
		want    uint16
	}{
		{DTLS, 0, []uint16{versionDTLS12, versionDTLS13}, versionDTLS12, versionDTLS13},
		{DTLS, versionDTLS12, []uint16{versionDTLS13, versionDTLS12}, versionDTLS12, versionDTLS12},
		{DTLS, 0, nil, versionDTLS12, versionDTLS12},
		{DTLS, 0, nil, 0xfefb, versionDTLS12}, // a legacy_version newer than 1.2
		{TLS, 0, nil, wire.VersionTLS13, wire.VersionTLS12},
		{TLS, 0, nil, 0x0400, wire.VersionTLS12}, // a future major version (RFC 5246 E.1)
		{TLS, 0, []uint16{wire.VersionTLS12, wire.VersionTLS13}, wire.VersionTLS12, wire.VersionTLS13},
		{DTLS, 0, nil, 0xfeff, 0}, // DTLS 1.0: refused
		{TLS, 0, []uint16{wire.VersionTLS11}, wire.VersionTLS11, 0},
	} {
		s := NewServer(&Config{Variant: tc.v, MaxVersion: tc.max})
		got, err := s.negotiateVersion(&wire.ClientHello{Vers: tc.legacy, SupportedVersions: tc.offered})
		if got != tc.want || (tc.want == 0) != (wire.AlertOf(err) == wire.AlertProtocolVersion) {
			t.Errorf("%s offered %04x (legacy %04x): %04x, %v; want %04x", tc.v, tc.offered, tc.legacy, got, err, tc.want)
		}
	}
}
