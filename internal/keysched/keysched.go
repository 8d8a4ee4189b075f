// Package keysched is the TLS 1.3 key schedule (RFC 8446 section 7): HKDF
// with the TLS labels, the secrets of each stage, traffic keys, Finished
// and exporters.
//
// The schedule is typed by stage (NewEarly, Early, HandshakeStage,
// MasterStage): each secret can be derived only at the stage where section
// 7.1 derives it, secrets are typed (TrafficSecret with its direction,
// BinderKey, ExporterSecret, ResumptionSecret), a PSK is an interface that
// tickets and external keys both implement, and the labels of TLS 1.3,
// QUIC (RFC 9001) and DTLS 1.3 (RFC 9147) are parameters. What stays
// untyped here are the HKDF primitives and the TLS 1.2 PRF.
package keysched

import (
	"crypto"
	"crypto/hkdf"
	_ "crypto/sha256" // the suites' hashes
	_ "crypto/sha512"
	"hash"
)

// Labels of RFC 8446 section 7.1 (without the "tls13 " prefix).
const (
	LabelExtBinder       = "ext binder"
	LabelResBinder       = "res binder"
	LabelClientEarly     = "c e traffic"
	LabelEarlyExporter   = "e exp master"
	LabelClientHandshake = "c hs traffic"
	LabelServerHandshake = "s hs traffic"
	LabelClientApp       = "c ap traffic"
	LabelServerApp       = "s ap traffic"
	LabelExporter        = "exp master"
	LabelResumption      = "res master"
	LabelDerived         = "derived"
	LabelFinished        = "finished"
	LabelTrafficUpdate   = "traffic upd"
	LabelResumptionPSK   = "resumption"
)

// ExpandLabel is HKDF-Expand-Label (RFC 8446 section 7.1).
func ExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	return expandLabel(h, prefixTLS13, secret, label, context, length)
}

// expandLabel is HKDF-Expand-Label with the label prefix as a parameter:
// "tls13 " for TLS 1.3 and QUIC, "dtls13" for DTLS 1.3 (RFC 9147 section
// 5.9).
func expandLabel(h crypto.Hash, prefix string, secret []byte, label string, context []byte, length int) []byte {
	return newExpander(h, prefix, secret).label(label, context, length)
}

// Extract is HKDF-Extract; a missing (nil or empty) secret means a string
// of zeros of the hash's length, as RFC 8446 section 7.1 prescribes.
func Extract(h crypto.Hash, secret, salt []byte) []byte {
	if len(secret) == 0 {
		secret = zeros[:h.Size()]
	}
	out, err := hkdf.Extract(h.New, secret, salt)
	if err != nil {
		panic("keysched: " + err.Error())
	}
	return out
}

// DeriveSecret is Derive-Secret(Secret, Label, Messages) with the
// transcript hash already computed.
func DeriveSecret(h crypto.Hash, secret []byte, label string, transcriptHash []byte) []byte {
	return ExpandLabel(h, secret, label, transcriptHash, h.Size())
}

var emptyHashes = map[crypto.Hash][]byte{}

// zeros is the all-zero input of RFC 8446 section 7.1 (read only).
var zeros [64]byte

func init() {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		emptyHashes[h] = h.New().Sum(nil)
	}
}

// emptyHash returns Hash("").
func emptyHash(h crypto.Hash) []byte {
	if e, ok := emptyHashes[h]; ok {
		return e
	}
	return h.New().Sum(nil)
}

// TrafficKey derives the AEAD key and IV of a traffic secret (RFC 8446
// section 7.3).
func TrafficKey(h crypto.Hash, secret []byte, keyLen, ivLen int) (key, iv []byte) {
	return trafficKey(newExpander(h, prefixTLS13, secret), "key", "iv", keyLen, ivLen)
}

// trafficKey expands key and IV into one allocation.
func trafficKey(e *expander, keyLabel, ivLabel string, keyLen, ivLen int) (key, iv []byte) {
	buf := make([]byte, 0, 2*e.size+keyLen)
	key = e.appendLabel(buf, keyLabel, nil, keyLen)
	iv = e.appendLabel(key, ivLabel, nil, ivLen)[keyLen:]
	return key[:keyLen:keyLen], iv[:ivLen:ivLen]
}

// Export is the TLS 1.3 exporter (RFC 8446 section 7.5) from an exporter
// master secret.
func Export(h crypto.Hash, exporterMaster []byte, label string, context []byte, length int) []byte {
	secret := DeriveSecret(h, exporterMaster, label, emptyHash(h))
	hh := h.New()
	hh.Write(context)
	return ExpandLabel(h, secret, "exporter", hh.Sum(nil), length)
}

// Transcript is the running hash of the handshake messages. Until the hash
// is known (before ServerHello) it buffers the messages.
type Transcript struct {
	h   hash.Hash
	buf []byte
	// Datagram: DTLS 1.2 hashes each message with its 12-byte DTLS
	// header, as if sent in one fragment (RFC 6347 section 4.2.6); Seq
	// is the message_seq of the next message written.
	Datagram bool
	Seq      uint16
}

// Write adds a message (with its 4-byte TLS handshake header) to the
// transcript.
func (t *Transcript) Write(msg []byte) {
	if t.Datagram && len(msg) >= 4 {
		var hdr [12]byte
		t.AppendHeader(hdr[:0], msg)
		t.write(hdr[:])
		msg = msg[4:]
	}
	t.write(msg)
}

// AppendHeader appends the DTLS 1.2 header Write hashes for msg: type,
// length, message_seq (t.Seq), fragment_offset 0, fragment_length =
// length.
func (t *Transcript) AppendHeader(b, msg []byte) []byte {
	return append(b, msg[0], msg[1], msg[2], msg[3], byte(t.Seq>>8), byte(t.Seq), 0, 0, 0, msg[1], msg[2], msg[3])
}

// Form returns msg as the transcript hashes it: unchanged, or with the
// DTLS header (for a TLS 1.2 CertificateVerify, which signs the
// messages themselves).
func (t *Transcript) Form(b, msg []byte) []byte {
	if t.Datagram && len(msg) >= 4 {
		return append(t.AppendHeader(b, msg), msg[4:]...)
	}
	return append(b, msg...)
}

func (t *Transcript) write(p []byte) {
	if t.h != nil {
		t.h.Write(p)
		return
	}
	t.buf = append(t.buf, p...)
}

// SetHash fixes the hash function and hashes what was buffered.
func (t *Transcript) SetHash(h crypto.Hash) {
	t.h = h.New()
	t.h.Write(t.buf)
	t.buf = nil
}

// Buffered returns the bytes written before the hash was set.
func (t *Transcript) Buffered() []byte { return t.buf }

// Sum returns the current transcript hash.
func (t *Transcript) Sum() []byte { return t.h.Sum(nil) }

// SumInto appends the current hash to b.
func (t *Transcript) SumInto(b []byte) []byte { return t.h.Sum(b) }

// Reset replaces ClientHello1 with the message_hash construct after a
// HelloRetryRequest (RFC 8446 section 4.4.1): the transcript becomes
// message_hash(Hash(ClientHello1)).
func (t *Transcript) Reset(h crypto.Hash, messageHash []byte) {
	t.h = h.New()
	t.h.Write(messageHash)
	t.buf = nil
}

// SumWith returns the hash of the transcript so far followed by extra,
// leaving the transcript as it was (for PSK binders over a partial
// ClientHello). Before the hash is known it hashes with h.
func (t *Transcript) SumWith(h crypto.Hash, extra []byte) []byte {
	var hh hash.Hash
	if t.h == nil {
		hh = h.New()
		hh.Write(t.buf)
	} else {
		c, err := t.h.(hash.Cloner).Clone()
		if err != nil {
			panic("keysched: transcript hash cannot be cloned: " + err.Error())
		}
		hh = c.(hash.Hash)
	}
	hh.Write(extra)
	return hh.Sum(nil)
}

// Clone returns an independent copy of the transcript (post-handshake
// authentication continues from the handshake's transcript).
func (t *Transcript) Clone() *Transcript {
	out := &Transcript{buf: append([]byte(nil), t.buf...), Datagram: t.Datagram, Seq: t.Seq}
	if t.h != nil {
		c, err := t.h.(hash.Cloner).Clone()
		if err != nil {
			panic("keysched: transcript hash cannot be cloned: " + err.Error())
		}
		out.h = c.(hash.Hash)
	}
	return out
}
