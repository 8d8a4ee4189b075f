package hasp

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"sync/atomic"
	"time"
	"weak"
)

// verifyCache remembers the chains crypto/x509 verified, for the whole
// process: a client that connects to the same server again (or a server
// that sees the same client certificate) skips building and checking
// the chain again — the signatures over it are most of a handshake's
// verification cost. It is shared by every Config, because programs
// often make a Config per connection (net/http clones its
// TLSClientConfig for each one): what a verification depends on is in
// the key instead. The handshake's own signature is checked every time,
// so the key is still proven. An entry is keyed by the exact
// certificates, the name, the usage and the pool of roots (by identity:
// a weak pointer, so a pool made later at the same address is another
// key; nil is the system's roots), and lasts verifyCacheTTL at most,
// and never past the validity of any certificate in its chains. Only
// successes are kept; a CertPool can only gain certificates, so a chain
// it verified stays verified by it.
type verifyCache struct {
	mu sync.Mutex
	m  map[verifyKeyT]verifyEntry
}

// verifyKeyT is what a cached verification is found by.
type verifyKeyT struct {
	sum   [sha256.Size]byte // certificates, name, usage
	roots weak.Pointer[x509.CertPool]
}

// verified is the process's cache; chainVerifications counts the chains
// crypto/x509 actually verified (for tests: a cache hit does not count).
var (
	verified           verifyCache
	chainVerifications atomic.Int64
)

type verifyEntry struct {
	chains    [][]*x509.Certificate
	notBefore time.Time
	until     time.Time
}

const (
	verifyCacheTTL  = 5 * time.Minute
	verifyCacheSize = 1024
)

// verifyKey names a verification: the chain's certificates, the name
// asked for, which side's usage, and the roots.
func verifyKey(certs []*x509.Certificate, name string, client bool, roots *x509.CertPool) verifyKeyT {
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
	var k verifyKeyT
	h.Sum(k.sum[:0])
	if roots != nil {
		k.roots = weak.Make(roots)
	}
	return k
}

// get returns the chains verified for key, if still valid at now.
func (v *verifyCache) get(key verifyKeyT, now time.Time) ([][]*x509.Certificate, bool) {
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
func (v *verifyCache) put(key verifyKeyT, chains [][]*x509.Certificate, now time.Time) {
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
		v.m = make(map[verifyKeyT]verifyEntry)
	}
	if len(v.m) >= verifyCacheSize {
		// Drop the entries past their time or whose roots are gone,
		// then others until an eighth is free: the scan runs once per
		// verifyCacheSize/8 new entries at most, not at each one (a
		// program that makes a pool per connection fills the cache).
		for k, old := range v.m {
			if !now.Before(old.until) || k.roots != (weak.Pointer[x509.CertPool]{}) && k.roots.Value() == nil {
				delete(v.m, k)
			}
		}
		for k := range v.m {
			if len(v.m) <= verifyCacheSize-verifyCacheSize/8 {
				break
			}
			delete(v.m, k)
		}
	}
	v.m[key] = e
}
