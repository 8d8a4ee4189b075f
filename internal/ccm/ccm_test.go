package ccm

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"testing"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Known answers: RFC 3610 section 8 (13-byte nonces, the first header
// bytes as additional data) and NIST SP 800-38C appendix C (shorter and
// 12-byte nonces, the TLS length).
var vectors = []struct {
	name          string
	key, nonce    string
	tagSize, hdr  int
	input, output string
}{
	{"RFC 3610 #1", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5", 8, 8,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		"0001020304050607588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"},
	{"RFC 3610 #2", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000004030201a0a1a2a3a4a5", 8, 8,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"000102030405060772c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916"},
	{"RFC 3610 #3", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000005040302a0a1a2a3a4a5", 8, 8,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"000102030405060751b1e5f44a197d1da46b0f8e2d282ae871e838bb64da8596574adaa76fbd9fb0c5"},
	{"RFC 3610 #11", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "0000000d0c0b0aa0a1a2a3a4a5", 10, 12,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"000102030405060708090a0b676bb20380b0e301e8ab79590a396da78b834934f53aa2e9107a8b6c022c"},
	{"RFC 3610 #12", "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "0000000e0d0c0ba0a1a2a3a4a5", 10, 12,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"000102030405060708090a0bc0ffa0d6f05bdb67f24d43a4338d2aa4bed7b20e43cd1aa31662e7ad65d6db"},
	{"RFC 3610 (key D7 82 8D..., M 10)", "d7828d13b2b0bdc325a76236df93cc6b", "0042fff8f1951c3c9696766cfa", 10, 8,
		"d85bc7e69f944fb88a19b950bcf71a018e5e6701c91787659809d67dbedd18",
		"d85bc7e69f944fb8bc218daa947427b6db386a99ac1aef23ade0b52939cb6a637cf9bec2408897c6ba"},
	{"SP 800-38C C.1", "404142434445464748494a4b4c4d4e4f", "10111213141516", 4, 8,
		"000102030405060720212223", "00010203040506077162015b4dac255d"},
	{"SP 800-38C C.2", "404142434445464748494a4b4c4d4e4f", "1011121314151617", 6, 16,
		"000102030405060708090a0b0c0d0e0f202122232425262728292a2b2c2d2e2f",
		"000102030405060708090a0b0c0d0e0fd2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd"},
	{"SP 800-38C C.3", "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b", 8, 20,
		"000102030405060708090a0b0c0d0e0f10111213202122232425262728292a2b2c2d2e2f3031323334353637",
		"000102030405060708090a0b0c0d0e0f10111213e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951"},
}

func TestKnownAnswers(t *testing.T) {
	for _, v := range vectors {
		b, _ := aes.NewCipher(unhex(v.key))
		nonce, in, want := unhex(v.nonce), unhex(v.input), unhex(v.output)
		a, err := New(b, len(nonce), v.tagSize)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		ad, pt := in[:v.hdr], in[v.hdr:]
		got := a.Seal(append([]byte(nil), ad...), nonce, pt, ad)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: sealed\n%x\nwant\n%x", v.name, got, want)
			continue
		}
		opened, err := a.Open(nil, nonce, want[v.hdr:], ad)
		if err != nil || !bytes.Equal(opened, pt) {
			t.Errorf("%s: open %x, %v", v.name, opened, err)
		}
		// Any changed bit of tag, ciphertext or additional data fails.
		for i := range len(want) {
			bad := append([]byte(nil), want...)
			bad[i] ^= 0x01
			if _, err := a.Open(nil, nonce, bad[v.hdr:], bad[:v.hdr]); err == nil {
				t.Errorf("%s: byte %d changed and still opened", v.name, i)
			}
		}
	}
}

// In place, as the record layer uses it, and with an additional data
// length past 0xff00, where its encoding changes (RFC 3610 2.2).
func TestInPlaceAndLongAdditionalData(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	a, _ := New(b, 12, 8)
	nonce := make([]byte, 12)
	for _, adLen := range []int{0, 1, 0xfeff, 0xff00, 0x10000} {
		ad := bytes.Repeat([]byte{7}, adLen)
		msg := []byte("a record of the IoT profile")
		buf := append(make([]byte, 0, len(msg)+8), msg...)
		sealed := a.Seal(buf[:0], nonce, buf, ad)
		opened, err := a.Open(sealed[:0], nonce, sealed, ad)
		if err != nil || !bytes.Equal(opened, msg) {
			t.Fatalf("ad %d: %q, %v", adLen, opened, err)
		}
	}
}

func TestParameters(t *testing.T) {
	b, _ := aes.NewCipher(make([]byte, 16))
	for _, p := range [][2]int{{6, 8}, {14, 8}, {12, 3}, {12, 18}, {12, 7}} {
		if _, err := New(b, p[0], p[1]); err == nil {
			t.Errorf("nonce %d tag %d accepted", p[0], p[1])
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte("some ciphertext that is not"), []byte("ad"))
	b, _ := aes.NewCipher(make([]byte, 16))
	a, _ := New(b, 12, 8)
	f.Fuzz(func(t *testing.T, ct, ad []byte) {
		if _, err := a.Open(nil, make([]byte, 12), ct, ad); err == nil {
			t.Fatal("random bytes authenticated")
		}
	})
}
