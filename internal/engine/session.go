package engine

import (
	"errors"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Session is what a server seals into a ticket: enough to resume the
// session and to know who authenticated it.
type Session struct {
	Version          uint16
	Suite            uint16
	CreatedAt        time.Time
	ExpiresAt        time.Time // never past the certificate's NotAfter
	AgeAdd           uint32
	ResumptionSecret []byte
	Nonce            []byte
	ALPN             string
	ServerName       string
	PeerChain        [][]byte // the client's certificates, if any
	// Group is the key exchange group of the handshake that made the
	// session: a resumed TLS 1.2 connection has none of its own and
	// reports this one.
	Group uint16
}

// sessionFormat 2 added Group; format 1 sessions no longer open (a full
// handshake follows, never a failure).
const sessionFormat = 2

// Marshal encodes the session for sealing.
func (s *Session) Marshal() []byte {
	var b cryptobyte.Builder
	b.AddUint8(sessionFormat)
	b.AddUint16(s.Version)
	b.AddUint16(s.Suite)
	b.AddUint16(s.Group)
	b.AddUint64(uint64(s.CreatedAt.Unix()))
	b.AddUint64(uint64(s.ExpiresAt.Unix()))
	b.AddUint32(s.AgeAdd)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.ResumptionSecret) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.Nonce) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.ALPN)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.ServerName)) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range s.PeerChain {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
		}
	})
	out, err := b.Bytes()
	if err != nil {
		panic("engine: session too large to encode: " + err.Error())
	}
	return out
}

var errBadSession = errors.New("malformed session")

// ParseSession decodes what Marshal made; anything else is an error.
func ParseSession(b []byte) (*Session, error) {
	s := new(Session)
	in := cryptobyte.String(b)
	var format uint8
	var created, expires uint64
	var secret, nonce, alpn, name, chain cryptobyte.String
	if !in.ReadUint8(&format) || format != sessionFormat ||
		!in.ReadUint16(&s.Version) || !in.ReadUint16(&s.Suite) || !in.ReadUint16(&s.Group) ||
		!in.ReadUint64(&created) || !in.ReadUint64(&expires) || !in.ReadUint32(&s.AgeAdd) ||
		!in.ReadUint8LengthPrefixed(&secret) || len(secret) == 0 ||
		!in.ReadUint8LengthPrefixed(&nonce) ||
		!in.ReadUint8LengthPrefixed(&alpn) ||
		!in.ReadUint16LengthPrefixed(&name) ||
		!in.ReadUint24LengthPrefixed(&chain) || !in.Empty() {
		return nil, errBadSession
	}
	if created > 1<<62 || expires > 1<<62 {
		return nil, errBadSession
	}
	s.CreatedAt, s.ExpiresAt = time.Unix(int64(created), 0), time.Unix(int64(expires), 0)
	s.ResumptionSecret = append([]byte(nil), secret...)
	s.Nonce = append([]byte(nil), nonce...)
	s.ALPN, s.ServerName = string(alpn), string(name)
	for !chain.Empty() {
		var c cryptobyte.String
		if !chain.ReadUint24LengthPrefixed(&c) || len(c) == 0 {
			return nil, errBadSession
		}
		s.PeerChain = append(s.PeerChain, append([]byte(nil), c...))
	}
	return s, nil
}

// PSK derives the session's resumption PSK with the variant's labels.
func (s *Session) PSK(h *suite.Suite, v keysched.Variant) keysched.PSK {
	return keysched.ResumptionSecret{Hash: h.Hash, Secret: s.ResumptionSecret, Variant: v}.TicketPSK(s.Nonce)
}

// maxTicketAgeSkew is how far the client's idea of a ticket's age may be
// from ours before the ticket is not used (RFC 8446 section 4.2.11 leaves
// the window to the server; clocks and round trips make a few seconds
// normal).
const maxTicketAgeSkew = 10 * time.Second

// maxPSKIdentities bounds how many offered identities a server tries.
const maxPSKIdentities = 8

// binderHash hashes the transcript so far followed by the ClientHello up
// to (not including) its binders (RFC 8446 section 4.2.11.2).
func binderHash(t *keysched.Transcript, st *suite.Suite, hello []byte, bindersLen int) []byte {
	return t.SumWith(st.Hash, hello[:len(hello)-bindersLen])
}

// bindersLen is the encoded length of a binders list (with its length
// prefix).
func bindersLen(binders [][]byte) int {
	n := 2
	for _, b := range binders {
		n += 1 + len(b)
	}
	return n
}

// binder computes one PSK binder value: the early stage's binder key
// (RFC 8446 7.1) as a Finished key over the partial transcript.
func binder(v keysched.Variant, psk keysched.PSK, transcriptHash []byte) []byte {
	return keysched.NewEarlyVariant(v, psk.Hash(), psk).BinderKey().Binder(transcriptHash)
}

// ticketAgeOK checks the client's view of the ticket's age against ours.
func ticketAgeOK(obfuscated, ageAdd uint32, created, now time.Time) bool {
	clientAge := time.Duration(obfuscated-ageAdd) * time.Millisecond
	ourAge := now.Sub(created)
	d := clientAge - ourAge
	if d < 0 {
		d = -d
	}
	// The ticket holds whole seconds of creation time.
	return d <= maxTicketAgeSkew+time.Second
}

var _ = wire.ExtPreSharedKey
