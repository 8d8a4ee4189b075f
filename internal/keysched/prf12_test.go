package keysched

import (
	"crypto"
	_ "crypto/sha256"
	"encoding/hex"
	"testing"
)

// Known answer for P_SHA256 from the test vectors published on the
// IETF TLS mailing list (www.ietf.org/mail-archive/web/tls/current/msg03416.html),
// also used by other TLS stacks.
func TestPRF12KnownAnswer(t *testing.T) {
	secret, _ := hex.DecodeString("9bbe436ba940f017b17652849a71db35")
	seed, _ := hex.DecodeString("a0ba9f936cda311827a6f796ffd5198c")
	want := "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
	got := hex.EncodeToString(PRF12(crypto.SHA256, secret, "test label", seed, 100))
	if got != want {
		t.Fatalf("PRF:\n got %s\nwant %s", got, want)
	}
}
