package hasp

import (
	"slices"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// scanHello reads the same extension types, in the same order, as the
// full decoder, and the point formats; cut short or padded, the message
// is refused without a panic.
func TestScanHello(t *testing.T) {
	ch := wire.ClientHello{
		Vers: wire.VersionTLS12, CipherSuites: []uint16{TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		Compression: []uint8{0}, ServerName: "example.test", HasServerName: true,
		SupportedGroups: []uint16{uint16(X25519)}, PointFormats: []uint8{0},
		SigSchemes: []uint16{uint16(ECDSAWithP256AndSHA256)}, ALPN: []string{"h2"}, EMS: true, Padding: -1,
	}
	msg := ch.Marshal()
	var full wire.ClientHello
	if err := full.Unmarshal(msg); err != nil {
		t.Fatal(err)
	}
	var want []uint16
	for _, e := range full.Extensions {
		want = append(want, e.Type)
	}
	x, ok := scanHello(msg)
	if !ok || !slices.Equal(x.extensions, want) || !slices.Equal(x.points, []uint8{0}) {
		t.Fatalf("scanHello = %v, %v, %v; want extensions %v, points [0]", x.extensions, x.points, ok, want)
	}
	for n := range len(msg) - 1 {
		if _, ok := scanHello(msg[:n]); ok && n >= 4 {
			// Only a prefix that ends exactly before the extensions
			// block could read, and the length in the header rules
			// that out.
			t.Errorf("scanHello took the first %d of %d bytes", n, len(msg))
		}
	}
	if _, ok := scanHello(nil); ok {
		t.Error("scanHello took nothing")
	}
}
