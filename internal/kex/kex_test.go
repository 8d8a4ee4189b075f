package kex

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

var allGroups = []uint16{
	wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1,
	wire.GroupX25519MLKEM768, wire.GroupSecP256r1MLKEM768, wire.GroupSecP384r1MLKEM1024,
}

// Share sizes from RFC 8446 section 4.2.8.2 (uncompressed points, 32-byte
// x25519) and draft-ietf-tls-ecdhe-mlkem section 4 (ML-KEM-768 encapsulation
// key 1184 bytes and ciphertext 1088; ML-KEM-1024 1568 and 1568).
var shareSizes = map[uint16][2]int{
	wire.GroupX25519:             {32, 32},
	wire.GroupSecp256r1:          {65, 65},
	wire.GroupSecp384r1:          {97, 97},
	wire.GroupSecp521r1:          {133, 133},
	wire.GroupX25519MLKEM768:     {1184 + 32, 1088 + 32},
	wire.GroupSecP256r1MLKEM768:  {65 + 1184, 65 + 1088},
	wire.GroupSecP384r1MLKEM1024: {97 + 1568, 97 + 1568},
}

// Shared secret sizes: the ECDH x-coordinate, plus 32 bytes of ML-KEM
// shared secret for the hybrids.
var secretSizes = map[uint16]int{
	wire.GroupX25519: 32, wire.GroupSecp256r1: 32, wire.GroupSecp384r1: 48, wire.GroupSecp521r1: 66,
	wire.GroupX25519MLKEM768: 64, wire.GroupSecP256r1MLKEM768: 64, wire.GroupSecP384r1MLKEM1024: 80,
}

// Client and server reach the same secret in every group, with shares of
// the sizes the specifications give.
func TestRoundTrip(t *testing.T) {
	privs, err := Generate(allGroups, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range privs {
		name := wire.GroupName(p.Group)
		if !Supported(p.Group) {
			t.Errorf("%s: not Supported", name)
		}
		share, ss, err := Respond(p.Group, rand.Reader, p.Public())
		if err != nil {
			t.Fatalf("%s: Respond: %v", name, err)
		}
		if got, want := [2]int{len(p.Public()), len(share)}, shareSizes[p.Group]; got != want {
			t.Errorf("%s: share sizes %v, want %v", name, got, want)
		}
		cs, err := p.Shared(share)
		if err != nil {
			t.Fatalf("%s: Shared: %v", name, err)
		}
		if !bytes.Equal(cs, ss) {
			t.Errorf("%s: client and server secrets differ", name)
		}
		if len(ss) != secretSizes[p.Group] {
			t.Errorf("%s: %d-byte secret, want %d", name, len(ss), secretSizes[p.Group])
		}
	}
}

// A hybrid and its classical half offered together share one ECDH key, as
// browsers do: the x25519 share is the tail of the X25519MLKEM768 share.
func TestHybridSharesECDHKey(t *testing.T) {
	privs, err := Generate([]uint16{wire.GroupX25519MLKEM768, wire.GroupX25519}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(privs[0].Public(), privs[1].Public()) {
		t.Fatal("X25519MLKEM768 share does not end with the x25519 share")
	}
}

// Malformed shares from the peer are ErrBadShare (the caller's
// illegal_parameter), never a panic or a weak secret.
func TestBadShares(t *testing.T) {
	privs, err := Generate(allGroups, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range privs {
		name := wire.GroupName(p.Group)
		good := p.Public()
		for what, b := range map[string][]byte{
			"empty":     nil,
			"truncated": good[:len(good)-1],
			"extended":  append(append([]byte{}, good...), 0),
			"zeros":     make([]byte, len(good)),
		} {
			if _, _, err := Respond(p.Group, rand.Reader, b); !errors.Is(err, ErrBadShare) {
				t.Errorf("%s: Respond(%s share) = %v, want ErrBadShare", name, what, err)
			}
		}
		share, _, err := Respond(p.Group, rand.Reader, good)
		if err != nil {
			t.Fatal(err)
		}
		for what, b := range map[string][]byte{
			"empty":     nil,
			"truncated": share[:len(share)-1],
			"zeros":     make([]byte, len(share)),
		} {
			if _, err := p.Shared(b); !errors.Is(err, ErrBadShare) {
				t.Errorf("%s: Shared(%s share) = %v, want ErrBadShare", name, what, err)
			}
		}
	}
	if _, _, err := Respond(0x0100, rand.Reader, make([]byte, 256)); err == nil || Supported(0x0100) {
		t.Error("ffdhe2048 accepted")
	}
}

// FuzzRespond: the server's parse of a client key share, for each group.
func FuzzRespond(f *testing.F) {
	privs, _ := Generate(allGroups, rand.Reader)
	for i, p := range privs {
		f.Add(uint8(i), p.Public())
	}
	f.Add(uint8(0), make([]byte, 32))
	f.Fuzz(func(t *testing.T, gi uint8, b []byte) {
		g := allGroups[int(gi)%len(allGroups)]
		share, ss, err := Respond(g, rand.Reader, b)
		if err != nil {
			return
		}
		if len(share) != shareSizes[g][1] || len(ss) == 0 || len(b) != shareSizes[g][0] {
			t.Fatalf("%s: accepted a %d-byte share, answered %d bytes", wire.GroupName(g), len(b), len(share))
		}
	})
}

// FuzzShared: the client's parse of a server key share, for each group.
func FuzzShared(f *testing.F) {
	privs, _ := Generate(allGroups, rand.Reader)
	for i, p := range privs {
		share, _, _ := Respond(p.Group, rand.Reader, p.Public())
		f.Add(uint8(i), share)
	}
	f.Fuzz(func(t *testing.T, gi uint8, b []byte) {
		p := privs[int(gi)%len(privs)]
		if ss, err := p.Shared(b); err == nil && (len(b) != shareSizes[p.Group][1] || len(ss) == 0) {
			t.Fatalf("%s: accepted a %d-byte share", wire.GroupName(p.Group), len(b))
		}
	})
}
