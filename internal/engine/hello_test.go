package engine

import (
	"slices"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// A probe a scanner would send: TLS 1.0 by legacy_version alone, one
// chosen suite, no SNI, a GREASE extension. BuildHello is pure: the same
// spec gives the same bytes.
func TestBuildHelloProbe(t *testing.T) {
	spec := &HelloSpec{
		LegacyVersion: wire.VersionTLS10,
		CipherSuites:  []uint16{0x002f},
		Groups:        []uint16{wire.GroupSecp256r1},
		Extra:         []wire.Extension{{Type: 0x0a0a, Data: []byte{0}}},
	}
	spec.Random[0] = 1
	a, b := BuildHello(spec).Marshal(), BuildHello(spec).Marshal()
	if string(a) != string(b) {
		t.Fatal("BuildHello is not deterministic")
	}
	var ch wire.ClientHello
	if err := ch.Unmarshal(a); err != nil {
		t.Fatal(err)
	}
	if ch.Vers != wire.VersionTLS10 || len(ch.SupportedVersions) != 0 || ch.ServerName != "" || ch.HasKeyShare ||
		!slices.Equal(ch.CipherSuites, spec.CipherSuites) || !ch.Has(0x0a0a) || !slices.Equal(ch.Compression, []uint8{0}) {
		t.Fatalf("probe hello %+v", ch)
	}
}

// The client's own hello is BuildHello of the spec its Config implies.
func TestClientHelloFromSpec(t *testing.T) {
	c := NewClient(clientConfig())
	acts, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	var ch wire.ClientHello
	if err := ch.Unmarshal(acts[0].Msg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch.SupportedVersions, []uint16{wire.VersionTLS13, wire.VersionTLS12}) || ch.ServerName != "localhost" ||
		len(ch.KeyShares) != 2 || !ch.EMS || len(ch.SessionID) != 32 || len(ch.PSKModes) != 0 {
		t.Fatalf("client hello %+v", ch)
	}
}
