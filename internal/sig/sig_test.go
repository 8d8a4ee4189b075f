package sig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"slices"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

type keys struct {
	p256, p384, p521 *ecdsa.PrivateKey
	rsa              *rsa.PrivateKey
	ed               ed25519.PrivateKey
}

func newKeys(t *testing.T) keys {
	t.Helper()
	var k keys
	k.p256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k.p384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k.p521, _ = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	return k
}

// Every scheme a key offers for TLS 1.3 signs and verifies; a flipped bit
// does not verify.
func TestSignVerify13(t *testing.T) {
	k := newKeys(t)
	msg := Content13(true, bytes.Repeat([]byte{7}, 32))
	for _, signer := range []crypto.Signer{k.p256, k.p384, k.p521, k.rsa, k.ed} {
		schemes := ForKey(signer.Public())
		if len(schemes) == 0 {
			t.Fatalf("%T: no schemes", signer)
		}
		for _, s := range schemes {
			if !slices.Contains(TLS13Schemes(), s) {
				t.Errorf("ForKey offers %s, which TLS 1.3 does not allow", wire.SchemeName(s))
			}
			sg, err := Sign(signer, s, rand.Reader, msg)
			if err != nil {
				t.Fatalf("%s: %v", wire.SchemeName(s), err)
			}
			if err := Verify(signer.Public(), s, msg, sg); err != nil {
				t.Errorf("%s: %v", wire.SchemeName(s), err)
			}
			sg[len(sg)/2] ^= 1
			if err := Verify(signer.Public(), s, msg, sg); err == nil {
				t.Errorf("%s: a damaged signature verifies", wire.SchemeName(s))
			}
		}
	}
}

// TLS 1.3 binds ECDSA schemes to a curve and forbids rsa_pkcs1 and SHA-1
// in handshake signatures (RFC 8446 sections 4.2.3 and 4.4.3); TLS 1.2
// allows any curve and PKCS#1 v1.5 with SHA-2. hasp refuses SHA-1 in both.
func TestSchemeRules(t *testing.T) {
	k := newKeys(t)
	msg := []byte("signed content")
	p384, _ := Sign(k.p384, wire.ECDSAWithP256AndSHA256, rand.Reader, msg)
	if err := Verify(k.p384.Public(), wire.ECDSAWithP256AndSHA256, msg, p384); err == nil {
		t.Error("TLS 1.3: ecdsa_secp256r1_sha256 accepted from a P-384 key")
	}
	if err := Verify12(k.p384.Public(), wire.ECDSAWithP256AndSHA256, msg, p384); err != nil {
		t.Errorf("TLS 1.2: ECDSA-SHA256 from a P-384 key refused: %v", err)
	}
	pkcs1, _ := Sign(k.rsa, wire.PKCS1WithSHA256, rand.Reader, msg)
	if err := Verify(k.rsa.Public(), wire.PKCS1WithSHA256, msg, pkcs1); err == nil {
		t.Error("TLS 1.3: rsa_pkcs1_sha256 accepted in a handshake signature")
	}
	if err := Verify12(k.rsa.Public(), wire.PKCS1WithSHA256, msg, pkcs1); err != nil {
		t.Errorf("TLS 1.2: rsa_pkcs1_sha256 refused: %v", err)
	}
	if _, err := Sign(k.rsa, wire.PKCS1WithSHA1, rand.Reader, msg); err == nil {
		t.Error("signed with rsa_pkcs1_sha1")
	}
	sha1 := make([]byte, 256)
	if Verify(k.rsa.Public(), wire.PKCS1WithSHA1, msg, sha1) == nil || Verify12(k.rsa.Public(), wire.PKCS1WithSHA1, msg, sha1) == nil {
		t.Error("rsa_pkcs1_sha1 accepted")
	}
	esha1 := make([]byte, 72)
	if Verify(k.p256.Public(), wire.ECDSAWithSHA1, msg, esha1) == nil || Verify12(k.p256.Public(), wire.ECDSAWithSHA1, msg, esha1) == nil {
		t.Error("ecdsa_sha1 accepted")
	}
	pss, _ := Sign(k.rsa, wire.PSSWithSHA256, rand.Reader, msg)
	if err := Verify(k.rsa.Public(), wire.PSSPSSWithSHA256, msg, pss); err == nil {
		t.Error("rsa_pss_pss_sha256 accepted from an rsaEncryption key")
	}
	ed, _ := Sign(k.ed, wire.Ed25519, rand.Reader, msg)
	if err := Verify(k.p256.Public(), wire.Ed25519, msg, ed); err == nil || errors.Is(err, ErrBadSignature) {
		t.Errorf("ed25519 scheme with an ECDSA key: %v, want a mismatch", err)
	}
	if err := Verify(k.ed.Public(), 0xfefe, msg, ed); err == nil {
		t.Error("unknown scheme accepted")
	}
}

// Pick takes our first preference that the peer offered.
func TestPick(t *testing.T) {
	k := newKeys(t)
	if s, err := Pick(k.rsa.Public(), []uint16{wire.PSSWithSHA512, wire.PKCS1WithSHA256, wire.PSSWithSHA256}); err != nil || s != wire.PSSWithSHA256 {
		t.Errorf("RSA: got %s, %v", wire.SchemeName(s), err)
	}
	if _, err := Pick(k.rsa.Public(), []uint16{wire.PKCS1WithSHA256}); !errors.Is(err, ErrNoCommonScheme) {
		t.Errorf("RSA with only pkcs1 offered in 1.3: %v", err)
	}
	if s, err := Pick12(k.rsa.Public(), []uint16{wire.PKCS1WithSHA256}); err != nil || s != wire.PKCS1WithSHA256 {
		t.Errorf("RSA with only pkcs1 offered in 1.2: %s, %v", wire.SchemeName(s), err)
	}
	if s, err := Pick(k.p384.Public(), []uint16{wire.ECDSAWithP256AndSHA256, wire.ECDSAWithP384AndSHA384}); err != nil || s != wire.ECDSAWithP384AndSHA384 {
		t.Errorf("P-384: got %s, %v", wire.SchemeName(s), err)
	}
	if s, err := Pick12(k.p384.Public(), []uint16{wire.ECDSAWithP256AndSHA256}); err != nil || s != wire.ECDSAWithP256AndSHA256 {
		t.Errorf("P-384 in 1.2 with only P-256's scheme offered: %s, %v", wire.SchemeName(s), err)
	}
}

// Content13 is 64 spaces, the context string, a zero byte and the
// transcript hash (RFC 8446 section 4.4.3).
func TestContent13(t *testing.T) {
	h := bytes.Repeat([]byte{0xab}, 48)
	for server, ctx := range map[bool]string{true: "TLS 1.3, server CertificateVerify", false: "TLS 1.3, client CertificateVerify"} {
		want := append(append(append(bytes.Repeat([]byte{0x20}, 64), ctx...), 0), h...)
		if got := Content13(server, h); !bytes.Equal(got, want) {
			t.Errorf("server=%v: got %q", server, got)
		}
	}
}
