// Package kex implements the key-exchange groups of TLS 1.3 on top of
// crypto/ecdh and crypto/mlkem: x25519, the NIST curves, and the hybrid
// post-quantum groups of draft-ietf-tls-ecdhe-mlkem.
package kex

import (
	"crypto"
	"crypto/ecdh"
	"crypto/mlkem"
	"errors"
	"io"

	"github.com/hasp-tls/hasp/internal/wire"
)

// ErrBadShare is returned for a key share that does not decode or is not
// a valid element of its group; the caller answers illegal_parameter.
var ErrBadShare = errors.New("kex: malformed key share")

// Supported reports whether hasp implements group g.
func Supported(g uint16) bool {
	switch g {
	case wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1,
		wire.GroupX25519MLKEM768, wire.GroupSecP256r1MLKEM768, wire.GroupSecP384r1MLKEM1024:
		return true
	}
	return false
}

// IsHybrid reports whether g is a post-quantum hybrid group.
func IsHybrid(g uint16) bool {
	return g == wire.GroupX25519MLKEM768 || g == wire.GroupSecP256r1MLKEM768 || g == wire.GroupSecP384r1MLKEM1024
}

type hybrid struct {
	curve     ecdh.Curve
	ecdhLen   int
	ekLen     int
	ctLen     int
	kemFirst  bool // X25519MLKEM768 puts the ML-KEM part first
	newDecaps func(seed []byte) (crypto.Decapsulator, error)
	newEncaps func(ek []byte) (crypto.Encapsulator, error)
}

func decaps768(seed []byte) (crypto.Decapsulator, error) { return mlkem.NewDecapsulationKey768(seed) }
func decaps1024(seed []byte) (crypto.Decapsulator, error) {
	return mlkem.NewDecapsulationKey1024(seed)
}
func encaps768(ek []byte) (crypto.Encapsulator, error)  { return mlkem.NewEncapsulationKey768(ek) }
func encaps1024(ek []byte) (crypto.Encapsulator, error) { return mlkem.NewEncapsulationKey1024(ek) }

func curveOf(g uint16) (ecdh.Curve, *hybrid) {
	switch g {
	case wire.GroupX25519:
		return ecdh.X25519(), nil
	case wire.GroupSecp256r1:
		return ecdh.P256(), nil
	case wire.GroupSecp384r1:
		return ecdh.P384(), nil
	case wire.GroupSecp521r1:
		return ecdh.P521(), nil
	case wire.GroupX25519MLKEM768:
		return ecdh.X25519(), &hybrid{ecdh.X25519(), 32, mlkem.EncapsulationKeySize768, mlkem.CiphertextSize768, true, decaps768, encaps768}
	case wire.GroupSecP256r1MLKEM768:
		return ecdh.P256(), &hybrid{ecdh.P256(), 65, mlkem.EncapsulationKeySize768, mlkem.CiphertextSize768, false, decaps768, encaps768}
	case wire.GroupSecP384r1MLKEM1024:
		return ecdh.P384(), &hybrid{ecdh.P384(), 97, mlkem.EncapsulationKeySize1024, mlkem.CiphertextSize1024, false, decaps1024, encaps1024}
	}
	return nil, nil
}

// ecdhKey draws a private key for curve c from rand. Drawing the scalar
// ourselves (rather than through ecdh.GenerateKey) keeps the key a pure
// function of rand, which makes traces reproducible under a seeded source.
func ecdhKey(c ecdh.Curve, rand io.Reader) (*ecdh.PrivateKey, error) {
	n := 32
	switch c {
	case ecdh.P384():
		n = 48
	case ecdh.P521():
		n = 66
	}
	buf := make([]byte, n)
	for range 64 {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, err
		}
		if c == ecdh.P521() {
			buf[0] &= 1
		}
		if k, err := c.NewPrivateKey(buf); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("kex: random source gives no valid scalar")
}

// Private is a client's key share: its public form and the secret needed
// to finish the exchange.
type Private struct {
	Group  uint16
	ecdh   *ecdh.PrivateKey
	decaps crypto.Decapsulator
	h      *hybrid
	public []byte
}

// Public returns the key_share data to send.
func (p *Private) Public() []byte { return p.public }

// Generate makes client key shares for groups, drawing randomness from
// rand. Where a hybrid group and its classical half are both asked for,
// the ECDH key is shared between them, as browsers do.
func Generate(groups []uint16, rand io.Reader) ([]*Private, error) {
	out := make([]*Private, 0, len(groups))
	keys := map[ecdh.Curve]*ecdh.PrivateKey{}
	for _, g := range groups {
		c, h := curveOf(g)
		if c == nil {
			return nil, errors.New("kex: unsupported group " + wire.GroupName(g))
		}
		k := keys[c]
		if k == nil {
			var err error
			if k, err = ecdhKey(c, rand); err != nil {
				return nil, err
			}
			keys[c] = k
		}
		p := &Private{Group: g, ecdh: k, h: h}
		pub := k.PublicKey().Bytes()
		if h == nil {
			p.public = pub
		} else {
			seed := make([]byte, mlkem.SeedSize)
			if _, err := io.ReadFull(rand, seed); err != nil {
				return nil, err
			}
			d, err := h.newDecaps(seed)
			if err != nil {
				return nil, err
			}
			p.decaps = d
			ek := d.Encapsulator().Bytes()
			if h.kemFirst {
				p.public = append(ek, pub...)
			} else {
				p.public = append(append(make([]byte, 0, len(pub)+len(ek)), pub...), ek...)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// Shared completes the exchange with the server's share.
func (p *Private) Shared(server []byte) ([]byte, error) {
	if p.h == nil {
		return ecdhShared(p.ecdh, server)
	}
	h := p.h
	if len(server) != h.ecdhLen+h.ctLen {
		return nil, ErrBadShare
	}
	var ec, ct []byte
	if h.kemFirst {
		ct, ec = server[:h.ctLen], server[h.ctLen:]
	} else {
		ec, ct = server[:h.ecdhLen], server[h.ecdhLen:]
	}
	kemSS, err := p.decaps.Decapsulate(ct)
	if err != nil {
		return nil, ErrBadShare
	}
	ecSS, err := ecdhShared(p.ecdh, ec)
	if err != nil {
		return nil, err
	}
	if h.kemFirst {
		return append(kemSS, ecSS...), nil
	}
	return append(ecSS, kemSS...), nil
}

func ecdhShared(k *ecdh.PrivateKey, peer []byte) ([]byte, error) {
	pub, err := k.Curve().NewPublicKey(peer)
	if err != nil {
		return nil, ErrBadShare
	}
	ss, err := k.ECDH(pub)
	if err != nil {
		// x25519 low-order points give an all-zero secret.
		return nil, ErrBadShare
	}
	return ss, nil
}

// Respond is the server's side: from the client's share it makes the
// server's share and the shared secret.
func Respond(group uint16, rand io.Reader, client []byte) (share, shared []byte, err error) {
	c, h := curveOf(group)
	if c == nil {
		return nil, nil, errors.New("kex: unsupported group " + wire.GroupName(group))
	}
	if h == nil {
		k, err := ecdhKey(c, rand)
		if err != nil {
			return nil, nil, err
		}
		ss, err := ecdhShared(k, client)
		if err != nil {
			return nil, nil, err
		}
		return k.PublicKey().Bytes(), ss, nil
	}
	if len(client) != h.ecdhLen+h.ekLen {
		return nil, nil, ErrBadShare
	}
	var ec, ekb []byte
	if h.kemFirst {
		ekb, ec = client[:h.ekLen], client[h.ekLen:]
	} else {
		ec, ekb = client[:h.ecdhLen], client[h.ecdhLen:]
	}
	ek, err := h.newEncaps(ekb)
	if err != nil {
		return nil, nil, ErrBadShare
	}
	k, err := ecdhKey(c, rand)
	if err != nil {
		return nil, nil, err
	}
	ecSS, err := ecdhShared(k, ec)
	if err != nil {
		return nil, nil, err
	}
	kemSS, ct := ek.Encapsulate()
	pub := k.PublicKey().Bytes()
	if h.kemFirst {
		return append(ct, pub...), append(kemSS, ecSS...), nil
	}
	return append(pub, ct...), append(ecSS, kemSS...), nil
}
