package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// A stateless HelloRetryRequest (RFC 8446 sections 4.2.2 and 4.4.1): with
// Config.SealCookie and OpenCookie set, the server puts all it must
// remember between the two hellos into the cookie, sealed, and keeps
// nothing; ClientHello2 may reach a fresh engine, which rebuilds the
// transcript (message_hash of ClientHello1, then the HelloRetryRequest)
// from the cookie. A datagram or QUIC server can so answer a first
// ClientHello without holding state for an address it has not verified.

// cookieFormat versions the sealed contents.
const cookieFormat = 1

// maxCookieAge bounds how long a client may take to answer.
const maxCookieAge = 2 * time.Minute

// retryState is what a cookie carries.
type retryState struct {
	created time.Time
	suite   uint16
	group   uint16 // the group the HelloRetryRequest asks for
	// ch1Hash is Hash(ClientHello1) with the suite's hash, for the
	// message_hash transcript.
	ch1Hash []byte
	// invariant is SHA-256 over the ClientHello1 fields that ClientHello2
	// must repeat (RFC 8446 section 4.1.2).
	invariant [32]byte
	// binding is Config.CookieBinding (the client's address, for a
	// datagram or QUIC server): a cookie is good only where it was made.
	binding []byte
}

func (r *retryState) marshal() []byte {
	var b cryptobyte.Builder
	b.AddUint8(cookieFormat)
	b.AddUint64(uint64(r.created.UnixMilli()))
	b.AddUint16(r.suite)
	b.AddUint16(r.group)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(r.ch1Hash) })
	b.AddBytes(r.invariant[:])
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(r.binding) })
	return b.BytesOrPanic()
}

func (r *retryState) unmarshal(p []byte) bool {
	s := cryptobyte.String(p)
	var format uint8
	var ms uint64
	var h, binding cryptobyte.String
	if !s.ReadUint8(&format) || format != cookieFormat || !s.ReadUint64(&ms) || !s.ReadUint16(&r.suite) ||
		!s.ReadUint16(&r.group) || !s.ReadUint8LengthPrefixed(&h) || !s.CopyBytes(r.invariant[:]) ||
		!s.ReadUint16LengthPrefixed(&binding) || !s.Empty() {
		return false
	}
	r.created = time.UnixMilli(int64(ms))
	r.ch1Hash = []byte(h)
	r.binding = []byte(binding)
	return true
}

// helloInvariant digests what ClientHello2 must repeat from ClientHello1:
// everything but the key shares, the cookie, early_data, padding and the
// PSK (whose binders and ages change).
func helloInvariant(ch *wire.ClientHello) [32]byte {
	h := sha256.New()
	var n [8]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	u16s := func(v []uint16) {
		b := make([]byte, 0, 2*len(v))
		for _, x := range v {
			b = binary.BigEndian.AppendUint16(b, x)
		}
		put(b)
	}
	put([]byte{byte(ch.Vers >> 8), byte(ch.Vers)})
	put(ch.Random[:])
	put(ch.SessionID)
	u16s(ch.CipherSuites)
	put(ch.Compression)
	u16s(ch.SupportedVersions)
	u16s(ch.SupportedGroups)
	u16s(ch.SigSchemes)
	put([]byte(ch.ServerName))
	for _, p := range ch.ALPN {
		put([]byte(p))
	}
	put(nil)
	return [32]byte(h.Sum(nil))
}

// statelessRetry reports whether HelloRetryRequests keep no state.
func (s *Server) statelessRetry() bool { return s.cfg.SealCookie != nil && s.cfg.OpenCookie != nil }

// sealRetry makes the cookie of a stateless HelloRetryRequest.
func (s *Server) sealRetry(ch *wire.ClientHello, st *suite.Suite, g uint16) ([]byte, error) {
	h := st.Hash.New()
	h.Write(ch.Raw)
	r := retryState{created: s.cfg.now(), suite: st.ID, group: g, ch1Hash: h.Sum(nil), invariant: helloInvariant(ch), binding: s.cfg.CookieBinding}
	s.retryDigest = r.invariant
	c, err := s.cfg.SealCookie(r.marshal())
	if err != nil {
		return nil, fail(wire.AlertInternalError, "sealing the cookie: %v", err)
	}
	return c, nil
}

// resumeRetry takes a ClientHello2 that reached an engine with no state,
// carrying a cookie: it checks the cookie and the hello against it and
// rebuilds the state a HelloRetryRequest would have left, including the
// transcript message_hash(ClientHello1) || HelloRetryRequest.
func (s *Server) resumeRetry(ch *wire.ClientHello) error {
	plain, err := s.cfg.OpenCookie(ch.Cookie)
	var r retryState
	if err != nil || !r.unmarshal(plain) {
		return fail(wire.AlertIllegalParameter, "cookie is not one of ours")
	}
	now := s.cfg.now()
	if age := now.Sub(r.created); age < -time.Minute || age > maxCookieAge {
		return fail(wire.AlertIllegalParameter, "cookie expired (%s old)", age.Round(time.Second))
	}
	if !bytes.Equal(r.binding, s.cfg.CookieBinding) {
		// Made for another client address: a replayed ClientHello2 must
		// not make us send a flight to a spoofed one.
		return fail(wire.AlertIllegalParameter, "cookie made for another client")
	}
	st := suite.ByID(r.suite)
	if st == nil || !st.TLS13 || len(r.ch1Hash) != st.Hash.Size() {
		return fail(wire.AlertIllegalParameter, "cookie names no TLS 1.3 suite")
	}
	if helloInvariant(ch) != r.invariant {
		return fail(wire.AlertIllegalParameter, "ClientHello2 differs from the ClientHello the cookie was made for")
	}
	v := s.cfg.variant()
	hrr := wire.ServerHello{
		Vers:             v.legacyVersion,
		Random:           wire.HelloRetryRequestRandom,
		SessionID:        ch.SessionID,
		CipherSuite:      st.ID,
		SupportedVersion: v.v13,
		SelectedGroup:    r.group,
		Cookie:           ch.Cookie,
	}
	s.transcript.Reset(st.Hash, wire.MessageHash(r.ch1Hash))
	s.transcript.Write(hrr.Marshal())
	s.st.Suite = st
	s.st.HelloRetry = true
	s.st.Version = v.v13
	s.hrrWant = r.group
	s.retryDigest = r.invariant
	s.cookie = bytes.Clone(ch.Cookie)
	// The compatibility CCS went with the HelloRetryRequest.
	s.sentCCS = len(ch.SessionID) > 0 && v.compatCCS
	s.state = sWaitClientHello2
	return nil
}
