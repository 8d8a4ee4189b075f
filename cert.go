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
	"strings"

	"github.com/hasp-tls/hasp/internal/engine"
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
	return &engine.Certificate{
		Chain: c.Certificate, Signer: signer, OCSP: c.OCSPStaple,
		SCTs: c.SignedCertificateTimestamps, NotAfter: leaf.NotAfter,
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
	return X509KeyPair(c, k)
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
func pickCertificate(certs []*engine.Certificate, leaves []Certificate, name string) *engine.Certificate {
	if len(certs) == 0 {
		return nil
	}
	if name != "" {
		for i := range leaves {
			leaf := leaves[i].Leaf
			if leaf == nil {
				continue
			}
			if leaf.VerifyHostname(name) == nil {
				return certs[i]
			}
		}
	}
	return certs[0]
}
