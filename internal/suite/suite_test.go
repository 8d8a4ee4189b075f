package suite

import (
	"crypto"
	"crypto/tls"
	"strings"
	"testing"
)

// Each suite's ID and name agree with the IANA registry as crypto/tls
// spells it, its AEAD takes KeyLen-byte keys with 12-byte nonces and a
// 16-byte tag (8 for _CCM_8), and its hash is the one its name ends with
// (SHA-256 for the CCM suites, RFC 7251 2).
func TestSuitesAgreeWithRegistry(t *testing.T) {
	tls13 := map[uint16]bool{}
	for _, id := range TLS13IDs() {
		tls13[id] = true
	}
	// crypto/tls has no AES-CCM: those names are the IANA registry's.
	iana := map[uint16]string{0xc0ac: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 0xc0ae: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
		0x00a8: "TLS_PSK_WITH_AES_128_GCM_SHA256", 0x00a9: "TLS_PSK_WITH_AES_256_GCM_SHA384", 0xc0a4: "TLS_PSK_WITH_AES_128_CCM",
		0xc0a8: "TLS_PSK_WITH_AES_128_CCM_8", 0xccab: "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
		0xccac: "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", 0xd001: "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256",
		0xd003: "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"}
	for _, s := range all {
		got := tls.CipherSuiteName(s.ID)
		if n, ok := iana[s.ID]; ok {
			got = n
		}
		if got != s.Name {
			t.Errorf("0x%04x: hasp calls it %s, the registry %s", s.ID, s.Name, got)
		}
		if s.TLS13 != tls13[s.ID] || s.TLS13 == strings.Contains(s.Name, "_WITH_") {
			t.Errorf("%s: TLS13=%v", s.Name, s.TLS13)
		}
		if s.ChaCha != strings.Contains(s.Name, "CHACHA20") || s.ECDSA != strings.Contains(s.Name, "ECDSA") ||
			s.PSK != strings.Contains(s.Name, "PSK") || s.PSK && s.ECDHE != strings.Contains(s.Name, "ECDHE") {
			t.Errorf("%s: ChaCha=%v ECDSA=%v PSK=%v ECDHE=%v", s.Name, s.ChaCha, s.ECDSA, s.PSK, s.ECDHE)
		}
		want := crypto.SHA256
		if strings.HasSuffix(s.Name, "SHA384") {
			want = crypto.SHA384
		}
		if s.Hash != want {
			t.Errorf("%s: hash %v", s.Name, s.Hash)
		}
		a, err := s.NewAEAD(make([]byte, s.KeyLen))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		tag := 16
		if strings.Contains(s.Name, "_CCM_8") {
			tag = 8
		}
		if a.NonceSize() != 12 || a.Overhead() != tag {
			t.Errorf("%s: nonce %d, tag %d", s.Name, a.NonceSize(), a.Overhead())
		}
		if _, err := s.NewAEAD(make([]byte, s.KeyLen+1)); err == nil {
			t.Errorf("%s: accepts a %d-byte key", s.Name, s.KeyLen+1)
		}
		if ByID(s.ID) != s {
			t.Errorf("%s: ByID does not find it", s.Name)
		}
	}
	if ByID(0x002f) != nil { // TLS_RSA_WITH_AES_128_CBC_SHA
		t.Error("a CBC suite is known")
	}
}
