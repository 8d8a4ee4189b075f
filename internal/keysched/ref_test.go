package keysched

import (
	"crypto"
	"crypto/hmac"
)

// The untyped schedule the package had before its stages were typed,
// kept here only as an independent reference the typed one is checked
// against: any label at any stage, bare []byte secrets.

// Schedule walks the secrets of one connection: early, handshake, master.
type Schedule struct {
	Hash   crypto.Hash
	secret []byte // current stage's secret
}

// New starts the schedule with an optional PSK (nil for none).
func New(h crypto.Hash, psk []byte) *Schedule {
	return &Schedule{Hash: h, secret: Extract(h, psk, nil)}
}

// EarlySecret returns the current stage's secret (for binders and the
// early traffic secret while in the early stage).
func (s *Schedule) Secret() []byte { return s.secret }

// next moves to the next stage: Extract(Derive-Secret(secret, "derived",
// ""), ikm).
func (s *Schedule) next(ikm []byte) {
	derived := DeriveSecret(s.Hash, s.secret, LabelDerived, emptyHash(s.Hash))
	s.secret = Extract(s.Hash, ikm, derived)
}

// Handshake moves from the early secret to the handshake secret using the
// (EC)DHE shared secret.
func (s *Schedule) Handshake(shared []byte) { s.next(shared) }

// Master moves from the handshake secret to the master secret.
func (s *Schedule) Master() { s.next(nil) }

// Derive derives a secret of the current stage from a transcript hash.
func (s *Schedule) Derive(label string, transcriptHash []byte) []byte {
	return DeriveSecret(s.Hash, s.secret, label, transcriptHash)
}

// BinderKey returns the binder key for an external or resumption PSK.
func (s *Schedule) BinderKey(resumption bool) []byte {
	label := LabelExtBinder
	if resumption {
		label = LabelResBinder
	}
	return s.Derive(label, emptyHash(s.Hash))
}

// NextTrafficSecret is application_traffic_secret_N+1 (RFC 8446 section
// 7.2).
func NextTrafficSecret(h crypto.Hash, secret []byte) []byte {
	return ExpandLabel(h, secret, LabelTrafficUpdate, nil, h.Size())
}

// FinishedMAC computes verify_data from a base key (a handshake traffic
// secret or binder key) and a transcript hash (RFC 8446 section 4.4.4).
func FinishedMAC(h crypto.Hash, baseKey, transcriptHash []byte) []byte {
	key := ExpandLabel(h, baseKey, LabelFinished, nil, h.Size())
	m := hmac.New(h.New, key)
	m.Write(transcriptHash)
	return m.Sum(nil)
}

// ResumptionPSK derives the PSK for a ticket (RFC 8446 section 4.6.1).
func ResumptionPSK(h crypto.Hash, resumptionMaster, nonce []byte) []byte {
	return ExpandLabel(h, resumptionMaster, LabelResumptionPSK, nonce, h.Size())
}
