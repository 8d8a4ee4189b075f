package hasp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
)

// Certificate is a chain with its private key. The key must implement
// crypto.Signer, so keys held in hardware or a KMS work.
type Certificate struct {
	// Certificate is the chain, DER, leaf first.
	Certificate [][]byte
	PrivateKey  crypto.PrivateKey
	// Leaf is the parsed leaf; parsed on first use when nil.
	Leaf *x509.Certificate
	// OCSPStaple is sent to clients that ask for it.
	OCSPStaple []byte
	// SignedCertificateTimestamps are sent to clients that ask for them.
	SignedCertificateTimestamps [][]byte
	// SupportedSignatureAlgorithms, when set, restricts the signature
	// schemes the key signs with, best first (as in crypto/tls; hasp also
	// takes the order as its preference). Schemes the key cannot make are
	// ignored.
	SupportedSignatureAlgorithms []SignatureScheme
}

func (c *Certificate) engineCert() (*engine.Certificate, error) {
	if len(c.Certificate) == 0 {
		return nil, errors.New("empty certificate chain")
	}
	signer, ok := c.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T is not a crypto.Signer", c.PrivateKey)
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, err
		}
	}
	for i, s := range c.SignedCertificateTimestamps {
		if len(s) == 0 || len(s) > 0xffff {
			// RFC 6962 section 3.3: SerializedSCT<1..2^16-1>.
			return nil, fmt.Errorf("SignedCertificateTimestamps[%d] is %d bytes, not 1 to 65535 (RFC 6962 section 3.3)", i, len(s))
		}
	}
	var schemes []uint16
	if c.SupportedSignatureAlgorithms != nil {
		schemes = make([]uint16, 0, len(c.SupportedSignatureAlgorithms))
		for _, s := range c.SupportedSignatureAlgorithms {
			schemes = append(schemes, uint16(s))
		}
	}
	return &engine.Certificate{
		Chain: c.Certificate, Signer: signer, OCSP: c.OCSPStaple,
		SCTs: c.SignedCertificateTimestamps, NotAfter: leaf.NotAfter,
		Schemes: schemes,
	}, nil
}

// X509KeyPair parses a PEM chain and a PEM private key (PKCS #8, SEC 1 or
// PKCS #1) and checks that they belong together.
func X509KeyPair(certPEM, keyPEM []byte) (Certificate, error) {
	var cert Certificate
	for {
		var b *pem.Block
		b, certPEM = pem.Decode(certPEM)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			cert.Certificate = append(cert.Certificate, b.Bytes)
		}
	}
	if len(cert.Certificate) == 0 {
		return cert, errors.New("hasp: no CERTIFICATE block in the certificate PEM")
	}
	var keyDER []byte
	for {
		var b *pem.Block
		b, keyPEM = pem.Decode(keyPEM)
		if b == nil {
			break
		}
		if b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY") {
			keyDER = b.Bytes
			break
		}
	}
	if keyDER == nil {
		return cert, errors.New("hasp: no PRIVATE KEY block in the key PEM")
	}
	key, err := parsePrivateKey(keyDER)
	if err != nil {
		return cert, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return cert, fmt.Errorf("hasp: leaf certificate: %w", err)
	}
	if !publicKeysEqual(leaf.PublicKey, key.(crypto.Signer).Public()) {
		return cert, errors.New("hasp: private key does not match the leaf certificate")
	}
	cert.PrivateKey, cert.Leaf = key, leaf
	return cert, nil
}

// LoadX509KeyPair reads a PEM chain and key from files.
func LoadX509KeyPair(certFile, keyFile string) (Certificate, error) {
	c, err := os.ReadFile(certFile)
	if err != nil {
		return Certificate{}, err
	}
	k, err := os.ReadFile(keyFile)
	if err != nil {
		return Certificate{}, err
	}
	cert, err := X509KeyPair(c, k)
	if err != nil {
		// Name the files: which of the two is wrong is the question.
		return Certificate{}, fmt.Errorf("%s and %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

func parsePrivateKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("hasp: unsupported private key type %T", k)
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("hasp: private key is not PKCS #8, SEC 1 or PKCS #1")
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// pickCertificate chooses among a server's certificates by SNI: the first
// whose leaf names the host, else the first.
func pickCertificate(certs []*engine.Certificate, leaves []Certificate, h *engine.HelloInfo) *engine.Certificate {
	if len(certs) == 0 {
		return nil
	}
	// The first certificate the client can take (a signature scheme it
	// offers for the key and, in TLS 1.2, a suite for the key's type),
	// for the name it asked for if one is; then any it can take; then
	// the name alone, and the handshake says what does not fit.
	named := func(i int) bool {
		return h.ServerName != "" && leaves[i].Leaf != nil && leaves[i].Leaf.VerifyHostname(h.ServerName) == nil
	}
	usable := -1
	for i, c := range certs {
		if !fitsHello(c, h) {
			continue
		}
		if named(i) {
			return c
		}
		if usable < 0 {
			usable = i
		}
	}
	if usable >= 0 {
		return certs[usable]
	}
	for i := range certs {
		if named(i) {
			return certs[i]
		}
	}
	return certs[0]
}

// fitsHello reports whether a client could take the certificate: TLS 1.3
// wants a signature scheme it offers for the key; TLS 1.2 one of its 1.2
// schemes and an ECDHE suite for the key's type (ECDSA or RSA).
func fitsHello(c *engine.Certificate, h *engine.HelloInfo) bool {
	pub := c.Signer.Public()
	if slices.Contains(h.SupportedVersions, VersionTLS13) {
		_, err := engine.Pick13(c, h.SignatureSchemes)
		return err == nil
	}
	if len(h.SignatureSchemes) > 0 {
		if _, err := engine.Pick12(c, h.SignatureSchemes); err != nil {
			return false
		}
	}
	if g, ok := sig.CurveGroup(pub); ok && len(h.SupportedGroups) > 0 && !slices.Contains(h.SupportedGroups, g) {
		// TLS 1.2: an ECDSA certificate's curve is one the client lists
		// in supported_groups (RFC 8422 section 5.1).
		return false
	}
	rsaKey := sig.IsRSA(pub)
	for _, id := range h.CipherSuites {
		if st := suite.ByID(id); st != nil && !st.TLS13 && st.ECDSA != rsaKey {
			return true
		}
	}
	return false
}
