package engine

import (
	"slices"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// HelloInfoOf lists the extension types in the order sent and copies the
// point formats, which would otherwise point into the message.
func TestHelloInfoOf(t *testing.T) {
	ch := wire.ClientHello{
		Vers: wire.VersionTLS12, CipherSuites: []uint16{wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		Compression: []uint8{0}, ServerName: "example.test", HasServerName: true,
		SupportedGroups: []uint16{wire.GroupX25519}, PointFormats: []uint8{0},
		ALPN: []string{"h2"}, EMS: true, Padding: -1,
	}
	msg := ch.Marshal()
	var parsed wire.ClientHello
	if err := parsed.Unmarshal(msg); err != nil {
		t.Fatal(err)
	}
	var want []uint16
	for _, e := range parsed.Extensions {
		want = append(want, e.Type)
	}
	h := HelloInfoOf(&parsed, []uint16{wire.VersionTLS12}, true)
	clear(msg) // the message's bytes are gone once Handle returns
	if !slices.Equal(h.Extensions, want) || len(want) < 4 || !slices.Equal(h.PointFormats, []uint8{0}) || !h.Retry || h.ServerName != "example.test" {
		t.Fatalf("HelloInfoOf: extensions %v (want %v), points %v, retry %v, name %q", h.Extensions, want, h.PointFormats, h.Retry, h.ServerName)
	}
}
