package hasp

import (
	"crypto/x509"
	"runtime"
	"testing"
	"time"
)

// The process-wide cache of verified chains stays bounded however many
// pools and chains it sees, makes room an eighth at a time (not one entry
// per put, which would scan the map on every new connection of a program
// that makes a pool per connection), and drops first the entries whose
// pool of roots is gone.
func TestVerifyCacheBound(t *testing.T) {
	var v verifyCache
	now := time.Now()
	pools := make([]*x509.CertPool, 0, 3*verifyCacheSize)
	for i := 0; i < 3*verifyCacheSize; i++ {
		p := x509.NewCertPool()
		pools = append(pools, p)
		v.put(verifyKey(nil, "", true, p), nil, now)
		if n := len(v.m); n > verifyCacheSize {
			t.Fatalf("%d entries after %d puts; the bound is %d", n, i+1, verifyCacheSize)
		}
	}
	if n := len(v.m); n > verifyCacheSize || n < verifyCacheSize-verifyCacheSize/8 {
		t.Fatalf("%d entries", n)
	}
	// Room is made in batches: right after a full cache takes one more,
	// an eighth is free.
	for len(v.m) < verifyCacheSize {
		v.put(verifyKey(nil, "x", true, x509.NewCertPool()), nil, now)
	}
	v.put(verifyKey(nil, "y", true, x509.NewCertPool()), nil, now)
	if n := len(v.m); n > verifyCacheSize-verifyCacheSize/8+1 {
		t.Fatalf("%d entries after making room; want at most %d", n, verifyCacheSize-verifyCacheSize/8+1)
	}
	// Entries whose pools are collected go first, and a live pool's entry
	// stays when there are enough of those.
	keep := pools[len(pools)-1]
	pools = nil
	runtime.GC()
	runtime.GC()
	v.put(verifyKey(nil, "z", true, keep), nil, now)
	for len(v.m) < verifyCacheSize {
		v.put(verifyKey(nil, "w", true, x509.NewCertPool()), nil, now)
	}
	runtime.GC()
	v.put(verifyKey(nil, "after", true, x509.NewCertPool()), nil, now)
	if _, ok := v.get(verifyKey(nil, "z", true, keep), now); !ok {
		t.Fatal("the entry of a live pool was dropped while collected pools' entries were there")
	}
	runtime.KeepAlive(keep)
}
