package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// PoolFromFile reads the PEM certificates of a file into a pool.
func PoolFromFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("trust: no PEM certificates in %s", path)
	}
	return p, nil
}

// PoolFromDir reads every *.pem, *.crt and *.cer file of a directory.
func PoolFromDir(dir string) (*x509.CertPool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	n := 0
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".pem" && ext != ".crt" && ext != ".cer") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if p.AppendCertsFromPEM(data) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("trust: no PEM certificates in %s", dir)
	}
	return p, nil
}

// PoolFromCerts makes a pool of certificates given in code.
func PoolFromCerts(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// Logs are Certificate Transparency logs whose SCT signatures can be
// checked, by log ID (the SHA-256 of the log's public key).
type Logs map[[32]byte]crypto.PublicKey

// LoadLogList reads a log list in the JSON form that CT log lists use
// (version 3: operators[].logs[].key, base64 DER SubjectPublicKeyInfo).
func LoadLogList(path string) (Logs, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list struct {
		Operators []struct {
			Logs []struct {
				Key string `json:"key"`
			} `json:"logs"`
		} `json:"operators"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("trust: log list %s: %w", path, err)
	}
	logs := Logs{}
	for _, op := range list.Operators {
		for _, l := range op.Logs {
			der, err := base64.StdEncoding.DecodeString(l.Key)
			if err != nil {
				return nil, fmt.Errorf("trust: log key: %w", err)
			}
			if err := logs.Add(der); err != nil {
				return nil, err
			}
		}
	}
	return logs, nil
}

// Add adds a log by its DER SubjectPublicKeyInfo.
func (l Logs) Add(spki []byte) error {
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return fmt.Errorf("trust: log key: %w", err)
	}
	l[sha256.Sum256(spki)] = pub
	return nil
}

var errBadSCT = errors.New("malformed SCT")

// verifySCT checks an SCT delivered in the TLS extension for leaf (RFC
// 6962 section 3.2: the signature covers version, signature type,
// timestamp, the x509_entry and the extensions). It returns the log ID.
func verifySCT(logs Logs, sct []byte, leaf *x509.Certificate) ([32]byte, error) {
	var id [32]byte
	var (
		in                   = cryptobyte.String(sct)
		version              uint8
		logID, ts, exts, sig cryptobyte.String
		hashAlg, sigAlg      uint8
	)
	if !in.ReadUint8(&version) || version != 0 || !in.ReadBytes((*[]byte)(&logID), 32) ||
		!in.ReadBytes((*[]byte)(&ts), 8) || !in.ReadUint16LengthPrefixed(&exts) ||
		!in.ReadUint8(&hashAlg) || !in.ReadUint8(&sigAlg) || !in.ReadUint16LengthPrefixed(&sig) ||
		!in.Empty() || hashAlg != 4 /* sha256 */ {
		return id, errBadSCT
	}
	copy(id[:], logID)
	extLen := len(exts)
	pub, ok := logs[id]
	if !ok {
		return id, errors.New("SCT from a log not in the list")
	}
	signed := []byte{0, 0} // version v1, signature_type certificate_timestamp
	signed = append(signed, ts...)
	signed = append(signed, 0, 0) // entry_type x509_entry
	n := len(leaf.Raw)
	signed = append(signed, byte(n>>16), byte(n>>8), byte(n))
	signed = append(signed, leaf.Raw...)
	signed = append(signed, byte(extLen>>8), byte(extLen))
	signed = append(signed, exts...)
	digest := sha256.Sum256(signed)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if sigAlg != 3 || !ecdsa.VerifyASN1(k, digest[:], sig) {
			return id, errors.New("SCT signature does not verify")
		}
	case *rsa.PublicKey:
		if sigAlg != 1 || rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) != nil {
			return id, errors.New("SCT signature does not verify")
		}
	default:
		return id, errors.New("unsupported log key")
	}
	return id, nil
}
