package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/atomicfile"
	"github.com/hasp-tls/hasp/internal/filelock"
)

// localCA is the development CA hasp keeps in the user's config
// directory: made on first use, then reused, so that trusting it once
// (curl --cacert, an NSS database, the system store) lasts.
type localCA struct {
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	certPath string
}

func configDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (set XDG_CONFIG_HOME or HOME): %w", err)
	}
	return filepath.Join(dir, "hasp"), nil
}

// The local CA's files in the config directory. ca.key is written before
// ca.pem, and both only while ca.lock is held and ca.pem is missing; so
// once ca.pem exists, ca.key is its key and never changes again, and a key
// without a certificate is a CA whose making was cut short.
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca.key"
	caLockFile = "ca.lock"
)

// errNoCA: there is no local CA yet, or its making was cut short.
var errNoCA = errors.New("no local CA yet")

// loadOrCreateCA reads ca.pem and ca.key from dir, making them if absent.
// Processes doing so at once agree on one CA: it is made under an
// exclusive lock on dir/ca.lock, by whichever gets the lock first and
// still finds no CA. The bool reports whether this call made it.
func loadOrCreateCA(dir string) (*localCA, bool, error) {
	ca, loadErr := loadCA(dir)
	if loadErr == nil {
		// Temporary files of a write killed halfway; best effort, and
		// only files too old to be some live write's.
		cleanStaleCA(dir)
		return ca, false, nil
	}
	// Missing, or (maybe only seen so while another process was making
	// it) broken: look again under the lock, which decides.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, lockFailed(loadErr, err)
	}
	lock, err := filelock.Lock(filepath.Join(dir, caLockFile))
	if err != nil {
		return nil, false, lockFailed(loadErr, err)
	}
	defer lock.Unlock()
	cleanStaleCA(dir)
	if ca, err := loadCA(dir); !errors.Is(err, errNoCA) {
		return ca, false, err
	}
	ca, err = createCA(dir)
	if err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// lockFailed is the error when the lock for making the CA could not be
// taken: what was wrong with the CA found, if anything was found.
func lockFailed(loadErr, lockErr error) error {
	if errors.Is(loadErr, errNoCA) {
		return lockErr
	}
	return loadErr
}

func cleanStaleCA(dir string) {
	atomicfile.CleanStale(filepath.Join(dir, caKeyFile))
	atomicfile.CleanStale(filepath.Join(dir, caCertFile))
}

// loadCA reads the local CA from dir: errNoCA if there is no ca.pem, and
// an error saying what to do if the files are there but unusable.
func loadCA(dir string) (*localCA, error) {
	certPath, keyPath := filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile)
	// ca.pem first: a certificate read is then never newer than the key
	// read next (see caCertFile).
	certPEM, err := os.ReadFile(certPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoCA
	}
	if err != nil {
		return nil, err
	}
	// Every broken state ends with the same way out.
	remedy := func(problem, del string) error {
		return fmt.Errorf("%s; delete %s and run hasp serve again to make a new CA; tools that trusted the old CA must trust the new one", problem, del)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, remedy(fmt.Sprintf("the local CA certificate %s is there but its private key %s is not", certPath, keyPath), certPath)
	}
	if err != nil {
		return nil, err
	}
	broken := func(path, what string) error {
		return remedy(path+" "+what, certPath+" and "+keyPath)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, broken(certPath, "is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, broken(certPath, "is not a certificate ("+err.Error()+")")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, broken(keyPath, "is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, broken(keyPath, "is not a PKCS #8 private key ("+err.Error()+")")
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, broken(keyPath, "is not an ECDSA key")
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, remedy(fmt.Sprintf("the local CA certificate %s and private key %s are from different key pairs", certPath, keyPath), "both")
	}
	return &localCA{cert, key, certPath}, nil
}

// createCA makes a new CA in dir, overwriting any ca.key there. The caller
// holds the lock and has found no ca.pem.
func createCA(dir string) (*localCA, error) {
	certPath, keyPath := filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "hasp local CA (" + host + ")", Organization: []string{"hasp development CA"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	// The key first, the certificate last: see caCertFile.
	if err := atomicfile.Write(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return &localCA{cert, key, certPath}, nil
}

// serverKeyFile keeps hasp serve's key beside the local CA: a new
// certificate each start, the same key, so that a key a client remembered
// (known hosts, a pin) stays right across restarts.
const serverKeyFile = "server.key"

// serverKey loads the server key, or makes it (under the CA's lock).
func (ca *localCA) serverKey() (*ecdsa.PrivateKey, error) {
	dir := filepath.Dir(ca.certPath)
	path := filepath.Join(dir, serverKeyFile)
	load := func() (*ecdsa.PrivateKey, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%s is not PEM: delete it and a new key is made", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v (delete it and a new key is made)", path, err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s is not an ECDSA key (delete it and a new key is made)", path)
		}
		return ek, nil
	}
	if k, err := load(); err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	lock, err := filelock.Lock(filepath.Join(dir, caLockFile))
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if k, err := load(); err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	if err := atomicfile.Write(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// issueLeaf makes a server certificate for localhost and the loopback
// addresses, valid for 30 days, for the kept server key.
func (ca *localCA) issueLeaf(names ...string) (hasp.Certificate, error) {
	key, err := ca.serverKey()
	if err != nil {
		return hasp.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"hasp serve"}},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     append([]string{"localhost"}, names...),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return hasp.Certificate{}, err
	}
	leaf, _ := x509.ParseCertificate(der)
	return hasp.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}
