package keysched

import (
	"bytes"
	"crypto"
	"crypto/hkdf"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func seq(from, to int) []byte {
	var b []byte
	for i := from; i <= to; i++ {
		b = append(b, byte(i))
	}
	return b
}

// RFC 5869 appendix A, test cases 1 to 3 (SHA-256): the expander's
// HKDF-Expand from the PRK gives the OKM.
func TestExpanderRFC5869(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prk, info []byte
		length    int
		okm       string
	}{
		{"A.1", unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"), seq(0xf0, 0xf9), 42,
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"A.2", unhex("06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244"), seq(0xb0, 0xff), 82,
			"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
		{"A.3", unhex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"), nil, 42,
			"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	} {
		e := newExpander(crypto.SHA256, "", tc.prk)
		for round := 0; round < 2; round++ { // the second use goes through Reset
			got := e.expand(nil, append([]byte(nil), tc.info...), tc.length)
			if hex.EncodeToString(got) != tc.okm {
				t.Errorf("%s (use %d): %x", tc.name, round+1, got)
			}
		}
	}
}

// Every label, context and length, with one expander reused, equals
// crypto/hkdf's HKDF-Expand over the same HkdfLabel.
func TestExpanderMatchesHKDF(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		secret := make([]byte, h.Size())
		for i := range secret {
			secret[i] = byte(r.IntN(256))
		}
		e := newExpander(h, prefixTLS13, secret)
		for i := 0; i < 200; i++ {
			label := string(seq(0x61, 0x61+r.IntN(20)))
			context := seq(0, r.IntN(120)-1)
			length := 1 + r.IntN(3*h.Size())
			info := []byte{byte(length >> 8), byte(length), byte(len(prefixTLS13) + len(label))}
			info = append(append(append(info, prefixTLS13...), label...), byte(len(context)))
			info = append(info, context...)
			want, err := hkdf.Expand(h.New, secret, string(info), length)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.label(label, context, length); !bytes.Equal(got, want) {
				t.Fatalf("%v %q context %d length %d: %x, want %x", h, label, len(context), length, got, want)
			}
		}
	}
}

// tmpLabel writes its one-block output over the expander's own HkdfLabel
// buffer; it must equal label's.
func TestExpanderTmpLabel(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		secret := bytes.Repeat([]byte{7}, h.Size())
		th := bytes.Repeat([]byte{3}, h.Size())
		want := newExpander(h, prefixTLS13, secret).label(LabelDerived, th, h.Size())
		e := newExpander(h, prefixTLS13, secret)
		e.label(LabelClientApp, th, h.Size()) // a use before, as in a stage
		e2 := newExpander(h, prefixTLS13, secret)
		if got := e2.tmpLabel(LabelDerived, th, h.Size()); !bytes.Equal(got, want) {
			t.Fatalf("%v: tmpLabel %x, label %x", h, got, want)
		}
		if got := e.tmpLabel(LabelDerived, th, h.Size()); !bytes.Equal(got, want) {
			t.Fatalf("%v after another label: tmpLabel %x, label %x", h, got, want)
		}
	}
}
