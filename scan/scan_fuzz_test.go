package scan

import "testing"

// FuzzParseSKE: a ServerKeyExchange after a ServerHello that chose a
// DHE, ECDHE or PSK suite (the suite is the fuzzer's) is read or
// ignored, never a panic; a DH prime's size is what its bytes say.
func FuzzParseSKE(f *testing.F) {
	// ECDHE: named curve x25519, a 32-byte point, rsa_pss_rsae_sha256.
	ec := []byte{3, 0, 29, 32}
	ec = append(ec, make([]byte, 32)...)
	ec = append(ec, 0x08, 0x04, 0, 0)
	f.Add(uint16(0xc02f), ec)
	// DHE: p (2 bytes), g, y, then a scheme.
	f.Add(uint16(0x009e), []byte{0, 2, 0xff, 0xfb, 0, 1, 2, 0, 1, 5, 0x04, 0x01, 0, 0})
	f.Add(uint16(0x009e), []byte{0xff, 0xff, 1})
	f.Add(uint16(0xc0a0), []byte{0, 0})
	f.Fuzz(func(t *testing.T, suite uint16, body []byte) {
		for _, v := range []uint16{0x0303, 0x0301} {
			fl := flight{alert: -1, hello: &serverHello{suite: suite, version: v}}
			handleMessage(&fl, 12, body)
			if fl.dhBits > 8*len(body) {
				t.Fatalf("a %d-bit prime from %d bytes", fl.dhBits, len(body))
			}
		}
	})
}
