// Package sig implements TLS signature schemes (RFC 8446 section 4.2.3)
// over crypto.Signer: which schemes a key can make, picking one against a
// peer's list, signing and verifying.
package sig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"io"
	"slices"

	"github.com/hasp-tls/hasp/internal/wire"
)

// Info describes a scheme.
type Info struct {
	Hash crypto.Hash // 0 for Ed25519 (no pre-hash)
	// Curve for ECDSA schemes that TLS 1.3 binds to a curve.
	Curve elliptic.Curve
	Kind  kind
}

type kind uint8

const (
	kindECDSA kind = iota + 1
	kindPSS
	kindPKCS1
	kindEd25519
)

// Lookup returns what hasp knows of scheme s.
func Lookup(s uint16) (Info, bool) {
	switch s {
	case wire.ECDSAWithP256AndSHA256:
		return Info{crypto.SHA256, elliptic.P256(), kindECDSA}, true
	case wire.ECDSAWithP384AndSHA384:
		return Info{crypto.SHA384, elliptic.P384(), kindECDSA}, true
	case wire.ECDSAWithP521AndSHA512:
		return Info{crypto.SHA512, elliptic.P521(), kindECDSA}, true
	case wire.ECDSAWithSHA1:
		return Info{crypto.SHA1, nil, kindECDSA}, true
	case wire.PSSWithSHA256, wire.PSSPSSWithSHA256:
		return Info{crypto.SHA256, nil, kindPSS}, true
	case wire.PSSWithSHA384, wire.PSSPSSWithSHA384:
		return Info{crypto.SHA384, nil, kindPSS}, true
	case wire.PSSWithSHA512, wire.PSSPSSWithSHA512:
		return Info{crypto.SHA512, nil, kindPSS}, true
	case wire.PKCS1WithSHA256:
		return Info{crypto.SHA256, nil, kindPKCS1}, true
	case wire.PKCS1WithSHA384:
		return Info{crypto.SHA384, nil, kindPKCS1}, true
	case wire.PKCS1WithSHA512:
		return Info{crypto.SHA512, nil, kindPKCS1}, true
	case wire.PKCS1WithSHA1:
		return Info{crypto.SHA1, nil, kindPKCS1}, true
	case wire.Ed25519:
		return Info{0, nil, kindEd25519}, true
	}
	return Info{}, false
}

// TLS13Schemes lists, in hasp's order of preference, the schemes hasp
// accepts in a TLS 1.3 CertificateVerify (RFC 8446 section 4.2.3:
// rsa_pkcs1 and SHA-1 only inside certificates). rsa_pss_pss_* are not
// here: they need an RSASSA-PSS subject key, which crypto/x509 does not
// parse, so hasp could never verify them in a handshake signature.
func TLS13Schemes() []uint16 {
	return []uint16{
		wire.ECDSAWithP256AndSHA256, wire.Ed25519, wire.ECDSAWithP384AndSHA384, wire.ECDSAWithP521AndSHA512,
		wire.PSSWithSHA256, wire.PSSWithSHA384, wire.PSSWithSHA512,
	}
}

// CertSchemes lists the schemes hasp accepts in certificate signatures
// (signature_algorithms_cert): the 1.3 schemes, rsa_pss_pss (crypto/x509
// verifies PSS-signed certificates) and rsa_pkcs1.
func CertSchemes() []uint16 {
	return append(TLS13Schemes(), wire.PSSPSSWithSHA256, wire.PSSPSSWithSHA384, wire.PSSPSSWithSHA512,
		wire.PKCS1WithSHA256, wire.PKCS1WithSHA384, wire.PKCS1WithSHA512)
}

// CurveGroup is the named group (RFC 8422) of an ECDSA key's curve; false
// for other keys and curves.
func CurveGroup(pub crypto.PublicKey) (uint16, bool) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return 0, false
	}
	switch k.Curve {
	case elliptic.P256():
		return wire.GroupSecp256r1, true
	case elliptic.P384():
		return wire.GroupSecp384r1, true
	case elliptic.P521():
		return wire.GroupSecp521r1, true
	}
	return 0, false
}

// ForKey lists the TLS 1.3 schemes a public key can make, best first.
func ForKey(pub crypto.PublicKey) []uint16 {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []uint16{wire.ECDSAWithP256AndSHA256}
		case elliptic.P384():
			return []uint16{wire.ECDSAWithP384AndSHA384}
		case elliptic.P521():
			return []uint16{wire.ECDSAWithP521AndSHA512}
		}
	case ed25519.PublicKey:
		return []uint16{wire.Ed25519}
	case *rsa.PublicKey:
		// PSS with SHA-512 needs a modulus of at least 2*64+2 bytes.
		size := k.Size()
		var out []uint16
		for _, s := range []uint16{wire.PSSWithSHA256, wire.PSSWithSHA384, wire.PSSWithSHA512} {
			info, _ := Lookup(s)
			if size >= 2*info.Hash.Size()+2 {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ErrNoCommonScheme is returned when no scheme suits both the key and the
// peer.
var ErrNoCommonScheme = errors.New("no signature scheme in common with the peer for this key")

// Pick chooses the scheme to sign with: the first of ours (the key's
// schemes in preference order) that the peer offered.
func Pick(pub crypto.PublicKey, peer []uint16) (uint16, error) {
	return firstOffered(ForKey(pub), peer)
}

// Restrict limits own (the schemes a key can make, best first) to those
// allowed names, in allowed's order: allowed is the signer's own list of
// schemes it may sign with, best first. A nil allowed keeps own.
func Restrict(own, allowed []uint16) []uint16 {
	if allowed == nil {
		return own
	}
	var out []uint16
	for _, s := range allowed {
		if slices.Contains(own, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Only13 keeps of list the schemes TLS 1.3 allows in handshake
// signatures (RFC 8446 section 4.2.3: no RSA PKCS #1 v1.5, no SHA-1).
func Only13(list []uint16) []uint16 {
	var out []uint16
	for _, s := range list {
		if info, ok := Lookup(s); ok && info.Kind != kindPKCS1 && info.Hash != crypto.SHA1 {
			out = append(out, s)
		}
	}
	return out
}

// PickFrom returns the first of ours that peer lists.
func PickFrom(ours, peer []uint16) (uint16, error) { return firstOffered(ours, peer) }

// firstOffered returns the first of ours that peer lists.
func firstOffered(ours, peer []uint16) (uint16, error) {
	for _, s := range ours {
		if slices.Contains(peer, s) {
			return s, nil
		}
	}
	return 0, ErrNoCommonScheme
}

// Content13 builds the content covered by a TLS 1.3 CertificateVerify
// signature (RFC 8446 section 4.4.3).
func Content13(server bool, transcriptHash []byte) []byte {
	ctx := "TLS 1.3, client CertificateVerify"
	if server {
		ctx = "TLS 1.3, server CertificateVerify"
	}
	out := make([]byte, 0, 64+len(ctx)+1+len(transcriptHash))
	for range 64 {
		out = append(out, 0x20)
	}
	out = append(out, ctx...)
	out = append(out, 0)
	return append(out, transcriptHash...)
}

// Sign signs msg with scheme s through signer.
func Sign(signer crypto.Signer, s uint16, rand io.Reader, msg []byte) ([]byte, error) {
	info, ok := Lookup(s)
	if !ok {
		return nil, errors.New("sig: unknown scheme " + wire.SchemeName(s))
	}
	if info.Kind == kindEd25519 {
		return signer.Sign(rand, msg, crypto.Hash(0))
	}
	if !info.Hash.Available() || info.Hash == crypto.SHA1 {
		return nil, errors.New("sig: hasp does not sign with " + wire.SchemeName(s))
	}
	h := info.Hash.New()
	h.Write(msg)
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = info.Hash
	if info.Kind == kindPSS {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.Hash}
	}
	return signer.Sign(rand, digest, opts)
}

// ErrBadSignature is returned by Verify for a signature that does not
// verify.
var ErrBadSignature = errors.New("signature does not verify")

// Verify checks signature sig over msg with scheme s and public key pub.
// It also checks that the scheme fits the key (type and, for ECDSA in
// TLS 1.3, the curve).
func Verify(pub crypto.PublicKey, s uint16, msg, sig []byte) error {
	if info, ok := Lookup(s); ok && (info.Kind == kindPKCS1 || info.Hash == crypto.SHA1) {
		// RFC 8446 section 4.4.3: RSA signatures in CertificateVerify
		// use RSASSA-PSS, and SHA-1 is for certificates only (4.2.3).
		return errors.New("signature scheme " + wire.SchemeName(s) + " is not allowed in TLS 1.3 handshake signatures")
	}
	return verify(pub, s, msg, sig)
}

func verify(pub crypto.PublicKey, s uint16, msg, sig []byte) error {
	info, ok := Lookup(s)
	if !ok {
		return errors.New("unknown signature scheme " + wire.SchemeName(s))
	}
	var digest []byte
	if info.Hash != 0 {
		if !info.Hash.Available() {
			// SHA-1 is not linked in; a scheme that needs it never verifies.
			return errMismatch(s)
		}
		h := info.Hash.New()
		h.Write(msg)
		digest = h.Sum(nil)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if info.Kind != kindECDSA || (info.Curve != nil && info.Curve != k.Curve) {
			return errMismatch(s)
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return ErrBadSignature
		}
	case ed25519.PublicKey:
		if info.Kind != kindEd25519 {
			return errMismatch(s)
		}
		if !ed25519.Verify(k, msg, sig) {
			return ErrBadSignature
		}
	case *rsa.PublicKey:
		if s == wire.PSSPSSWithSHA256 || s == wire.PSSPSSWithSHA384 || s == wire.PSSPSSWithSHA512 {
			// rsa_pss_pss needs an RSASSA-PSS key, not rsaEncryption
			// (RFC 8446 section 4.2.3).
			return errMismatch(s)
		}
		switch info.Kind {
		case kindPSS:
			if rsa.VerifyPSS(k, info.Hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) != nil {
				return ErrBadSignature
			}
		case kindPKCS1:
			if rsa.VerifyPKCS1v15(k, info.Hash, digest, sig) != nil {
				return ErrBadSignature
			}
		default:
			return errMismatch(s)
		}
	default:
		return errors.New("unsupported public key type")
	}
	return nil
}

func errMismatch(s uint16) error {
	return errors.New("signature scheme " + wire.SchemeName(s) + " does not fit the certificate's key")
}

// TLS12Schemes lists, best first, the schemes hasp accepts in TLS 1.2
// signatures (ServerKeyExchange, CertificateVerify): the 1.3 ones plus
// rsa_pkcs1 with SHA-2; never SHA-1 or MD5.
func TLS12Schemes() []uint16 {
	return append(TLS13Schemes(), wire.PKCS1WithSHA256, wire.PKCS1WithSHA384, wire.PKCS1WithSHA512)
}

// ForKey12 lists the TLS 1.2 schemes a key can make, best first. In TLS
// 1.2 an ECDSA scheme names only the hash, not the curve.
func ForKey12(pub crypto.PublicKey) []uint16 {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		own := ForKey(k)
		return append(own, wire.ECDSAWithP256AndSHA256, wire.ECDSAWithP384AndSHA384, wire.ECDSAWithP521AndSHA512)
	case *rsa.PublicKey:
		return append(ForKey(k), wire.PKCS1WithSHA256, wire.PKCS1WithSHA384, wire.PKCS1WithSHA512)
	}
	return ForKey(pub)
}

// Pick12 chooses a TLS 1.2 signature scheme for a key against the peer's
// list. A peer that sent no list gets the RFC 5246 section 7.4.1.4.1
// defaults, of which hasp keeps only the SHA-2 forms it still allows.
func Pick12(pub crypto.PublicKey, peer []uint16) (uint16, error) {
	return firstOffered(ForKey12(pub), peer)
}

// Verify12 checks a TLS 1.2 signature: like Verify, but an ECDSA scheme
// may be used with any curve.
func Verify12(pub crypto.PublicKey, s uint16, msg, signature []byte) error {
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		info, ok := Lookup(s)
		if !ok || info.Kind != kindECDSA || info.Hash == crypto.SHA1 {
			return errMismatch(s)
		}
		h := info.Hash.New()
		h.Write(msg)
		if !ecdsa.VerifyASN1(k, h.Sum(nil), signature) {
			return ErrBadSignature
		}
		return nil
	}
	if info, ok := Lookup(s); ok && info.Hash == crypto.SHA1 {
		return errMismatch(s)
	}
	return verify(pub, s, msg, signature)
}

// IsRSA reports whether pub is an RSA key (TLS 1.2 suites name the
// certificate's key type).
func IsRSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*rsa.PublicKey)
	return ok
}
