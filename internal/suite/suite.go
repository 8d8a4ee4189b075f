// Package suite describes cipher suites: the AEAD and hash each uses, and
// which versions may negotiate it.
package suite

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	_ "crypto/sha256" // SHA-256 for the suites that use it
	_ "crypto/sha512" // SHA-384 for the suites that use it

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/hasp-tls/hasp/internal/ccm"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Suite is one cipher suite.
type Suite struct {
	ID     uint16
	Name   string
	KeyLen int
	Hash   crypto.Hash
	TLS13  bool
	// For TLS 1.2: what authenticates the server's key exchange.
	ECDSA bool
	// ChaCha marks the suites that are fast without AES hardware.
	ChaCha bool
	// NotDefault: negotiated only when the Config names it.
	NotDefault bool
	// PSK: authenticated by a pre-shared key, not a certificate; with
	// ECDHE also an (unsigned) ECDHE exchange (RFC 4279, RFC 5489).
	PSK, ECDHE bool
	newAEAD    func(key []byte) (cipher.AEAD, error)
}

// NewAEAD returns the suite's AEAD keyed with key.
func (s *Suite) NewAEAD(key []byte) (cipher.AEAD, error) { return s.newAEAD(key) }

// IVLen is the length of the per-connection IV (the "write_iv" of RFC
// 8446 section 7.3, or the implicit nonce part in TLS 1.2).
func (s *Suite) IVLen() int {
	if s.TLS13 || s.ChaCha {
		return 12
	}
	return 4
}

func aesGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

var all = []*Suite{
	{ID: wire.TLS_AES_128_GCM_SHA256, KeyLen: 16, Hash: crypto.SHA256, TLS13: true, newAEAD: aesGCM},
	{ID: wire.TLS_AES_256_GCM_SHA384, KeyLen: 32, Hash: crypto.SHA384, TLS13: true, newAEAD: aesGCM},
	{ID: wire.TLS_CHACHA20_POLY1305_SHA256, KeyLen: 32, Hash: crypto.SHA256, TLS13: true, ChaCha: true, newAEAD: chacha20poly1305.New},
	{ID: wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, KeyLen: 16, Hash: crypto.SHA256, ECDSA: true, newAEAD: aesGCM},
	{ID: wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, KeyLen: 16, Hash: crypto.SHA256, newAEAD: aesGCM},
	{ID: wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, KeyLen: 32, Hash: crypto.SHA384, ECDSA: true, newAEAD: aesGCM},
	{ID: wire.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, KeyLen: 32, Hash: crypto.SHA384, newAEAD: aesGCM},
	{ID: wire.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, KeyLen: 32, Hash: crypto.SHA256, ECDSA: true, ChaCha: true, newAEAD: chacha20poly1305.New},
	{ID: wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, KeyLen: 32, Hash: crypto.SHA256, ChaCha: true, newAEAD: chacha20poly1305.New},
	// AES-CCM (RFC 7251): the nonce is salt||explicit, as AES-GCM's (RFC
	// 6655 3). Offered only when configured (CCM-8's tag is 64 bits).
	{ID: wire.TLS_ECDHE_ECDSA_WITH_AES_128_CCM, KeyLen: 16, Hash: crypto.SHA256, ECDSA: true, NotDefault: true, newAEAD: aesCCM(16)},
	{ID: wire.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, KeyLen: 16, Hash: crypto.SHA256, ECDSA: true, NotDefault: true, newAEAD: aesCCM(8)},
	// Pre-shared keys, for when Config.PSK is set and the suites named.
	{ID: wire.TLS_PSK_WITH_AES_128_GCM_SHA256, KeyLen: 16, Hash: crypto.SHA256, PSK: true, NotDefault: true, newAEAD: aesGCM},
	{ID: wire.TLS_PSK_WITH_AES_256_GCM_SHA384, KeyLen: 32, Hash: crypto.SHA384, PSK: true, NotDefault: true, newAEAD: aesGCM},
	{ID: wire.TLS_PSK_WITH_AES_128_CCM, KeyLen: 16, Hash: crypto.SHA256, PSK: true, NotDefault: true, newAEAD: aesCCM(16)},
	{ID: wire.TLS_PSK_WITH_AES_128_CCM_8, KeyLen: 16, Hash: crypto.SHA256, PSK: true, NotDefault: true, newAEAD: aesCCM(8)},
	{ID: wire.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256, KeyLen: 32, Hash: crypto.SHA256, PSK: true, ChaCha: true, NotDefault: true, newAEAD: chacha20poly1305.New},
	{ID: wire.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, KeyLen: 32, Hash: crypto.SHA256, PSK: true, ECDHE: true, ChaCha: true, NotDefault: true, newAEAD: chacha20poly1305.New},
	{ID: wire.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256, KeyLen: 16, Hash: crypto.SHA256, PSK: true, ECDHE: true, NotDefault: true, newAEAD: aesGCM},
	{ID: wire.TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256, KeyLen: 16, Hash: crypto.SHA256, PSK: true, ECDHE: true, NotDefault: true, newAEAD: aesCCM(8)},
}

// aesCCM is AES-CCM with a 12-byte nonce and a tag of tagSize bytes.
func aesCCM(tagSize int) func(key []byte) (cipher.AEAD, error) {
	return func(key []byte) (cipher.AEAD, error) {
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return ccm.New(b, 12, tagSize)
	}
}

func init() {
	for _, s := range all {
		s.Name = wire.SuiteName(s.ID)
	}
}

// ByID returns the suite with the given ID, or nil when hasp does not
// implement it.
func ByID(id uint16) *Suite {
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// TLS13IDs lists the TLS 1.3 suites in hasp's default order of preference
// for a machine with AES hardware.
func TLS13IDs() []uint16 {
	return []uint16{wire.TLS_AES_128_GCM_SHA256, wire.TLS_AES_256_GCM_SHA384, wire.TLS_CHACHA20_POLY1305_SHA256}
}
