package hasp

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"
)

// verifyCache remembers, per Config, the chains crypto/x509 verified:
// a client that connects to the same server again (or a server that sees
// the same client certificate) skips building and checking the chain
// again — the signatures over it are most of a handshake's verification
// cost. The handshake's own signature is checked every time, so the key
// is still proven. An entry is keyed by the exact certificates, the name
// and the usage, and lasts verifyCacheTTL at most, and never past the
// validity of any certificate in its chains. A Config must not change
// once in use, its pools included, so the roots it was verified against
// are the Config's.
type verifyCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]verifyEntry
}

type verifyEntry struct {
	chains    [][]*x509.Certificate
	notBefore time.Time
	until     time.Time
}

const (
	verifyCacheTTL  = 5 * time.Minute
	verifyCacheSize = 128
)

// verifyKey names a verification: the chain's certificates, the name
// asked for and which side's usage.
func verifyKey(certs []*x509.Certificate, name string, client bool) [sha256.Size]byte {
	h := sha256.New()
	for _, c := range certs {
		var n [4]byte
		l := len(c.Raw)
		n[0], n[1], n[2], n[3] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		h.Write(n[:])
		h.Write(c.Raw)
	}
	h.Write([]byte(name))
	if client {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{2})
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns the chains verified for key, if still valid at now.
func (v *verifyCache) get(key [sha256.Size]byte, now time.Time) ([][]*x509.Certificate, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[key]
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) || now.Before(e.notBefore) {
		delete(v.m, key)
		return nil, false
	}
	return e.chains, true
}

// put remembers chains verified at now.
func (v *verifyCache) put(key [sha256.Size]byte, chains [][]*x509.Certificate, now time.Time) {
	e := verifyEntry{chains: chains, until: now.Add(verifyCacheTTL)}
	for _, chain := range chains {
		for _, c := range chain {
			if c.NotAfter.Before(e.until) {
				e.until = c.NotAfter
			}
			if c.NotBefore.After(e.notBefore) {
				e.notBefore = c.NotBefore
			}
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[[sha256.Size]byte]verifyEntry)
	}
	if len(v.m) >= verifyCacheSize {
		// Drop the entries past their time, else any one.
		for k, old := range v.m {
			if !now.Before(old.until) {
				delete(v.m, k)
			}
		}
		for k := range v.m {
			if len(v.m) < verifyCacheSize {
				break
			}
			delete(v.m, k)
		}
	}
	v.m[key] = e
}
