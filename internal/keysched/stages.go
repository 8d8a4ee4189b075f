package keysched

import (
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	"sync"
)

// Variant selects the HKDF-Expand-Label label prefix, which applies to
// every expansion of the schedule. The zero value is TLS 1.3.
type Variant uint8

const (
	// TLS13 is TLS 1.3 (RFC 8446): the prefix "tls13 ". QUIC version 1
	// uses it too (RFC 9001 section 5.1), with QUICv1Labels for its keys.
	TLS13 Variant = iota
	// DTLS13 is DTLS 1.3: the prefix "dtls13", without a trailing space
	// (RFC 9147 section 5.9).
	DTLS13
)

const (
	prefixTLS13  = "tls13 "
	prefixDTLS13 = "dtls13"
)

// Prefix returns the variant's HKDF-Expand-Label label prefix.
func (v Variant) Prefix() string {
	switch v {
	case TLS13:
		return prefixTLS13
	case DTLS13:
		return prefixDTLS13
	}
	panic("keysched: unknown variant")
}

// deriveSecret is Derive-Secret(secret, label, Messages) given
// Transcript-Hash(Messages).
func (v Variant) deriveSecret(h crypto.Hash, secret []byte, label string, th []byte) []byte {
	if len(th) != h.Size() {
		panic("keysched: " + label + ": transcript hash of the wrong length")
	}
	return expandLabel(h, v.Prefix(), secret, label, th, h.Size())
}

// deriveWith is deriveSecret through a stage's expander *e, made on first
// use: the stage's secrets share one keyed HMAC.
func (v Variant) deriveWith(e **expander, h crypto.Hash, secret []byte, label string, th []byte) []byte {
	if len(th) != h.Size() {
		panic("keysched: " + label + ": transcript hash of the wrong length")
	}
	if *e == nil {
		*e = newExpander(h, v.Prefix(), secret)
	}
	return (*e).label(label, th, h.Size())
}

// nextStage is HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm),
// with zeros for an empty ikm. It erases *secret and sets it to nil, and
// panics naming step if that was done already.
func (v Variant) nextStage(h crypto.Hash, secret *[]byte, e **expander, ikm []byte, step string) []byte {
	if *secret == nil {
		panic("keysched: " + step + " called twice")
	}
	if *e == nil {
		*e = newExpander(h, v.Prefix(), *secret)
	}
	derived := (*e).tmpLabel(LabelDerived, emptyHash(h), h.Size())
	*e = nil // its HMAC state is keyed with the secret erased below
	out := Extract(h, ikm, derived)
	clear(derived)
	clear(*secret)
	*secret = nil
	return out
}

// PSK is a pre-shared key as the key schedule sees it: a resumption PSK
// from a ticket or an external PSK.
type PSK interface {
	// Hash is the hash the PSK is bound to (RFC 8446 section 4.2.11).
	Hash() crypto.Hash
	// Secret is the PSK input to the early secret. It must not be empty.
	Secret() []byte
	// External reports an external PSK: its binder key uses the label
	// "ext binder" instead of "res binder".
	External() bool
}

type pskValue struct {
	hash     crypto.Hash
	secret   []byte
	external bool
}

func (p *pskValue) Hash() crypto.Hash { return p.hash }
func (p *pskValue) Secret() []byte    { return p.secret }
func (p *pskValue) External() bool    { return p.external }

// NewTicketPSK returns the resumption PSK of a TLS 1.3 ticket (RFC 8446
// section 4.6.1): HKDF-Expand-Label(resumption_master_secret,
// "resumption", ticket_nonce, Hash.length). For DTLS 1.3 use
// ResumptionSecret.TicketPSK with the DTLS13 variant.
func NewTicketPSK(h crypto.Hash, resumptionSecret, nonce []byte) PSK {
	return ResumptionSecret{Hash: h, Secret: resumptionSecret}.TicketPSK(nonce)
}

// NewExternalPSK returns an external PSK for hash h. The key is copied.
func NewExternalPSK(h crypto.Hash, key []byte) PSK {
	return &pskValue{hash: h, secret: append([]byte(nil), key...), external: true}
}

// Early is the early-secret stage, the first of the typed key schedule:
// RFC 8446 section 7.1 as a chain of stage types, each of which derives
// only the secrets that section derives from its secret.
//
//	NewEarly(h, psk)                      *Early
//	  .BinderKey()                          BinderKey        (PSK only)
//	  .ClientEarlyTraffic(ClientHello)      TrafficSecret    (PSK only)
//	  .EarlyExporter(ClientHello)           ExporterSecret   (PSK only)
//	  .Handshake(shared)                  *HandshakeStage    (consumes Early)
//	    .ClientTraffic(..ServerHello)       TrafficSecret
//	    .ServerTraffic(..ServerHello)       TrafficSecret
//	    .Master()                         *MasterStage       (consumes HandshakeStage)
//	      .ClientTraffic(..server Finished) TrafficSecret
//	      .ServerTraffic(..server Finished) TrafficSecret
//	      .Exporter(..server Finished)      ExporterSecret
//	      .Resumption(..client Finished)    ResumptionSecret
//
// Arguments named th are transcript hashes (Transcript-Hash of RFC 8446
// section 4.4.1), not messages; a th of the wrong length panics.
//
// A stage is not safe for concurrent use. Moving on (Handshake, Master)
// erases the stage's secret, and using the stage afterwards panics: the
// early and handshake secrets are not kept around longer than RFC 8446
// needs them.
//
// The secrets that leave a stage are typed values with exported fields
// (TrafficSecret, BinderKey, ExporterSecret, ResumptionSecret), so that a
// record layer or a session cache can hold and rebuild them; each carries
// its hash and Variant and offers only the derivations RFC 8446 makes from
// that kind of secret.
type Early struct {
	hash     crypto.Hash
	variant  Variant
	hasPSK   bool
	external bool
	secret   []byte // with a PSK; nil once Handshake has been called
	done     bool   // Handshake has been called
	exp      *expander

	// next is the storage of the stage Handshake returns: one allocation
	// per schedule rather than one per stage.
	next HandshakeStage
}

// NewEarly starts a TLS 1.3 (or QUIC) key schedule: Early Secret =
// HKDF-Extract(0, PSK). A nil psk means no PSK, which RFC 8446 section 7.1
// replaces by zeros. It panics if the PSK is empty or bound to another hash
// than h.
func NewEarly(h crypto.Hash, psk PSK) *Early {
	return NewEarlyVariant(TLS13, h, psk)
}

// NewEarlyVariant is NewEarly for the given variant (DTLS13 for DTLS 1.3).
func NewEarlyVariant(v Variant, h crypto.Hash, psk PSK) *Early {
	v.Prefix() // reject unknown variants now rather than at first use
	e := &Early{hash: h, variant: v}
	if psk == nil {
		// Without a PSK the early secret is a constant, and so is the
		// "derived" secret Handshake needs from it: computed once
		// (derivedNoPSK), nothing is derived here.
		return e
	}
	if psk.Hash() != h {
		panic("keysched: PSK bound to " + psk.Hash().String() + " used with " + h.String())
	}
	if len(psk.Secret()) == 0 {
		panic("keysched: empty PSK")
	}
	e.hasPSK, e.external = true, psk.External()
	e.secret = Extract(h, psk.Secret(), nil) // not empty: checked above
	return e
}

// Hash returns the schedule's hash.
func (e *Early) Hash() crypto.Hash { return e.hash }

func (e *Early) pskSecret(what string) []byte {
	if !e.hasPSK {
		panic("keysched: " + what + " without a PSK")
	}
	if e.secret == nil {
		panic("keysched: " + what + " after Handshake")
	}
	return e.secret
}

// BinderKey derives binder_key: Derive-Secret(early, "ext binder" or
// "res binder", ""). It panics without a PSK.
func (e *Early) BinderKey() BinderKey {
	s := e.pskSecret("BinderKey")
	label := LabelResBinder
	if e.external {
		label = LabelExtBinder
	}
	return BinderKey{Hash: e.hash, Secret: e.variant.deriveWith(&e.exp, e.hash, s, label, emptyHash(e.hash)), Variant: e.variant}
}

// ClientEarlyTraffic derives client_early_traffic_secret from the hash of
// the ClientHello. It panics without a PSK.
func (e *Early) ClientEarlyTraffic(th []byte) TrafficSecret {
	s := e.pskSecret("ClientEarlyTraffic")
	return TrafficSecret{Hash: e.hash, Secret: e.variant.deriveWith(&e.exp, e.hash, s, LabelClientEarly, th), Dir: ClientToServer, Variant: e.variant}
}

// EarlyExporter derives early_exporter_master_secret from the hash of the
// ClientHello. It panics without a PSK.
func (e *Early) EarlyExporter(th []byte) ExporterSecret {
	s := e.pskSecret("EarlyExporter")
	return ExporterSecret{Hash: e.hash, Secret: e.variant.deriveWith(&e.exp, e.hash, s, LabelEarlyExporter, th), Variant: e.variant}
}

// Handshake moves to the handshake secret with the (EC)DHE shared secret;
// nil or empty (psk_ke) means zeros. It erases the early secret: every later call
// on e panics, this one included.
func (e *Early) Handshake(shared []byte) *HandshakeStage {
	hs := &e.next
	var secret []byte
	if e.hasPSK {
		secret = e.variant.nextStage(e.hash, &e.secret, &e.exp, shared, "Handshake")
	} else {
		if e.done {
			panic("keysched: Handshake called twice")
		}
		secret = Extract(e.hash, shared, derivedNoPSK(e.variant, e.hash))
	}
	e.done = true
	*hs = HandshakeStage{hash: e.hash, variant: e.variant, secret: secret}
	return hs
}

// noPSKDerived holds, per variant and hash, Derive-Secret(HKDF-Extract(0,
// 0), "derived", ""): the salt of the handshake secret when no PSK is
// used, the same for every such handshake.
var noPSKDerived sync.Map // noPSKKey -> []byte (read only)

type noPSKKey struct {
	v Variant
	h crypto.Hash
}

func derivedNoPSK(v Variant, h crypto.Hash) []byte {
	k := noPSKKey{v, h}
	if d, ok := noPSKDerived.Load(k); ok {
		return d.([]byte)
	}
	early := Extract(h, nil, nil)
	d := v.deriveSecret(h, early, LabelDerived, emptyHash(h))
	noPSKDerived.Store(k, d)
	return d
}

// HandshakeStage is the handshake-secret stage.
type HandshakeStage struct {
	hash    crypto.Hash
	variant Variant
	secret  []byte // nil once Master has been called
	exp     *expander

	next MasterStage // storage of the stage Master returns
}

// Hash returns the schedule's hash.
func (s *HandshakeStage) Hash() crypto.Hash { return s.hash }

func (s *HandshakeStage) traffic(label string, th []byte, dir Direction) TrafficSecret {
	if s.secret == nil {
		panic("keysched: handshake traffic secret derived after Master")
	}
	return TrafficSecret{Hash: s.hash, Secret: s.variant.deriveWith(&s.exp, s.hash, s.secret, label, th), Dir: dir, Variant: s.variant}
}

// ClientTraffic derives client_handshake_traffic_secret from the hash of
// ClientHello...ServerHello.
func (s *HandshakeStage) ClientTraffic(th []byte) TrafficSecret {
	return s.traffic(LabelClientHandshake, th, ClientToServer)
}

// ServerTraffic derives server_handshake_traffic_secret from the hash of
// ClientHello...ServerHello.
func (s *HandshakeStage) ServerTraffic(th []byte) TrafficSecret {
	return s.traffic(LabelServerHandshake, th, ServerToClient)
}

// Master moves to the master secret. It erases the handshake secret: every
// later call on s panics, this one included.
func (s *HandshakeStage) Master() *MasterStage {
	m := &s.next
	*m = MasterStage{hash: s.hash, variant: s.variant, secret: s.variant.nextStage(s.hash, &s.secret, &s.exp, nil, "Master")}
	return m
}

// MasterStage is the master-secret stage, the last one.
type MasterStage struct {
	hash    crypto.Hash
	variant Variant
	secret  []byte
	exp     *expander
}

// Hash returns the schedule's hash.
func (m *MasterStage) Hash() crypto.Hash { return m.hash }

// ClientTraffic derives client_application_traffic_secret_0 from the hash
// of ClientHello...server Finished.
func (m *MasterStage) ClientTraffic(th []byte) TrafficSecret {
	return TrafficSecret{Hash: m.hash, Secret: m.variant.deriveWith(&m.exp, m.hash, m.secret, LabelClientApp, th), Dir: ClientToServer, Variant: m.variant}
}

// ServerTraffic derives server_application_traffic_secret_0 from the hash
// of ClientHello...server Finished.
func (m *MasterStage) ServerTraffic(th []byte) TrafficSecret {
	return TrafficSecret{Hash: m.hash, Secret: m.variant.deriveWith(&m.exp, m.hash, m.secret, LabelServerApp, th), Dir: ServerToClient, Variant: m.variant}
}

// Exporter derives exporter_master_secret from the hash of
// ClientHello...server Finished.
func (m *MasterStage) Exporter(th []byte) ExporterSecret {
	return ExporterSecret{Hash: m.hash, Secret: m.variant.deriveWith(&m.exp, m.hash, m.secret, LabelExporter, th), Variant: m.variant}
}

// Resumption derives resumption_master_secret from the hash of
// ClientHello...client Finished.
func (m *MasterStage) Resumption(th []byte) ResumptionSecret {
	return ResumptionSecret{Hash: m.hash, Secret: m.variant.deriveWith(&m.exp, m.hash, m.secret, LabelResumption, th), Variant: m.variant}
}

// Direction is the direction a traffic secret protects.
type Direction uint8

const (
	// ClientToServer: the client writes, the server reads.
	ClientToServer Direction = iota + 1
	// ServerToClient: the server writes, the client reads.
	ServerToClient
)

func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client-to-server"
	case ServerToClient:
		return "server-to-client"
	}
	return "unknown direction"
}

// Labels are the HKDF-Expand-Label labels (without prefix) that turn a
// traffic secret into keys; they differ between TLS, QUIC and DTLS.
type Labels struct {
	Key    string // AEAD key
	IV     string // AEAD IV
	HP     string // header protection (QUIC) or record number (DTLS) key; "" for none
	Update string // the next traffic secret (key update)
}

var (
	// TLS13Labels are the labels of RFC 8446 sections 7.2 and 7.3.
	TLS13Labels = Labels{Key: "key", IV: "iv", Update: LabelTrafficUpdate}
	// QUICv1Labels are the labels of RFC 9001 sections 5.1 and 6.1
	// (used with the TLS13 variant).
	QUICv1Labels = Labels{Key: "quic key", IV: "quic iv", HP: "quic hp", Update: "quic ku"}
	// DTLS13Labels are the labels of RFC 9147 section 4.2.3 and RFC 8446
	// section 7.2 (used with the DTLS13 variant).
	DTLS13Labels = Labels{Key: "key", IV: "iv", HP: "sn", Update: LabelTrafficUpdate}
)

// TrafficSecret is a traffic secret for one direction: early, handshake
// or application, or a QUIC Initial secret.
type TrafficSecret struct {
	Hash    crypto.Hash
	Secret  []byte
	Dir     Direction
	Variant Variant
}

func (t TrafficSecret) expand(label string, length int) []byte {
	return expandLabel(t.Hash, t.Variant.Prefix(), t.Secret, label, nil, length)
}

// Next is the TLS and DTLS 1.3 key update (RFC 8446 section 7.2):
// application_traffic_secret_N+1 = HKDF-Expand-Label(
// application_traffic_secret_N, "traffic upd", "", Hash.length), same
// direction. QUIC uses NextWith(QUICv1Labels).
func (t TrafficSecret) Next() TrafficSecret { return t.NextWith(TLS13Labels) }

// NextWith is the key update with l.Update as the label ("quic ku" for
// QUIC, RFC 9001 section 6.1).
func (t TrafficSecret) NextWith(l Labels) TrafficSecret {
	if l.Update == "" {
		panic("keysched: labels without a key update label")
	}
	return TrafficSecret{Hash: t.Hash, Secret: t.expand(l.Update, t.Hash.Size()), Dir: t.Dir, Variant: t.Variant}
}

// Keys derives the AEAD key and IV (RFC 8446 section 7.3, RFC 9001
// section 5.1, RFC 9147).
func (t TrafficSecret) Keys(l Labels, keyLen, ivLen int) (key, iv []byte) {
	return trafficKey(newExpander(t.Hash, t.Variant.Prefix(), t.Secret), l.Key, l.IV, keyLen, ivLen)
}

// KeysAndFinished derives the AEAD key and IV (RFC 8446 section 7.3) and
// the finished key (section 4.4.4) of a handshake traffic secret through
// one keyed HMAC, where Keys and FinishedKey would key one each.
func (t TrafficSecret) KeysAndFinished(l Labels, keyLen, ivLen int) (key, iv, finishedKey []byte) {
	e := newExpander(t.Hash, t.Variant.Prefix(), t.Secret)
	key, iv = trafficKey(e, l.Key, l.IV, keyLen, ivLen)
	return key, iv, e.label(LabelFinished, nil, t.Hash.Size())
}

// HeaderProtectionKey derives the n-byte QUIC header protection key (RFC
// 9001 section 5.1) or DTLS 1.3 record number key (RFC 9147 section
// 4.2.3). It panics for labels without one (TLS13Labels).
func (t TrafficSecret) HeaderProtectionKey(l Labels, n int) []byte {
	if l.HP == "" {
		panic("keysched: labels without a header protection key")
	}
	return t.expand(l.HP, n)
}

// FinishedKey derives finished_key (RFC 8446 section 4.4.4) from a
// handshake traffic secret, or from client_application_traffic_secret_0
// for post-handshake authentication.
func (t TrafficSecret) FinishedKey() []byte {
	return t.expand(LabelFinished, t.Hash.Size())
}

// VerifyData computes the Finished verify_data over the hash of the
// transcript up to the Finished: HMAC(finished_key, th).
func (t TrafficSecret) VerifyData(th []byte) []byte {
	return finishedHMAC(t.Hash, t.FinishedKey(), th)
}

// VerifyDataWith is VerifyData with a finished key already derived
// (KeysAndFinished); the key is erased.
func VerifyDataWith(h crypto.Hash, finishedKey, th []byte) []byte {
	return finishedHMAC(h, finishedKey, th)
}

func finishedHMAC(h crypto.Hash, key, th []byte) []byte {
	if len(th) != h.Size() {
		panic("keysched: Finished: transcript hash of the wrong length")
	}
	m := hmac.New(h.New, key)
	m.Write(th)
	out := m.Sum(nil)
	clear(key)
	return out
}

// BinderKey is binder_key, the base key of PSK binders.
type BinderKey struct {
	Hash    crypto.Hash
	Secret  []byte
	Variant Variant
}

// FinishedKey derives the binder's finished_key (RFC 8446 section
// 4.2.11.2).
func (b BinderKey) FinishedKey() []byte {
	return expandLabel(b.Hash, b.Variant.Prefix(), b.Secret, LabelFinished, nil, b.Hash.Size())
}

// Binder computes a PSK binder over the hash of the partial ClientHello
// (RFC 8446 section 4.2.11.2).
func (b BinderKey) Binder(th []byte) []byte {
	return finishedHMAC(b.Hash, b.FinishedKey(), th)
}

// ExporterSecret is exporter_master_secret or
// early_exporter_master_secret.
type ExporterSecret struct {
	Hash    crypto.Hash
	Secret  []byte
	Variant Variant
}

// Export is TLS-Exporter(label, context_value, key_length) (RFC 8446
// section 7.5). A nil and an empty context give the same output.
func (x ExporterSecret) Export(label string, context []byte, length int) []byte {
	h, p := x.Hash, x.Variant.Prefix()
	secret := expandLabel(h, p, x.Secret, label, emptyHash(h), h.Size())
	hh := h.New()
	hh.Write(context)
	var sum [64]byte
	out := expandLabel(h, p, secret, "exporter", hh.Sum(sum[:0]), length)
	clear(secret)
	return out
}

// ResumptionSecret is resumption_master_secret.
type ResumptionSecret struct {
	Hash    crypto.Hash
	Secret  []byte
	Variant Variant
}

// TicketPSK derives the PSK of the ticket with the given nonce (RFC 8446
// section 4.6.1).
func (r ResumptionSecret) TicketPSK(nonce []byte) PSK {
	return &pskValue{hash: r.Hash, secret: expandLabel(r.Hash, r.Variant.Prefix(), r.Secret, LabelResumptionPSK, nonce, r.Hash.Size())}
}

// quicV1InitialSalt is initial_salt of RFC 9001 section 5.2.
var quicV1InitialSalt = []byte{
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
}

// QUICInitialSecrets derives the QUIC version 1 Initial secrets from the
// Destination Connection ID of the client's first Initial packet (RFC
// 9001 section 5.2); dcid may be empty. Use them with QUICv1Labels.
func QUICInitialSecrets(dcid []byte) (client, server TrafficSecret) {
	h := crypto.SHA256
	initial, err := hkdf.Extract(h.New, dcid, quicV1InitialSalt)
	if err != nil {
		panic("keysched: " + err.Error())
	}
	client = TrafficSecret{Hash: h, Secret: expandLabel(h, prefixTLS13, initial, "client in", nil, h.Size()), Dir: ClientToServer}
	server = TrafficSecret{Hash: h, Secret: expandLabel(h, prefixTLS13, initial, "server in", nil, h.Size()), Dir: ServerToClient}
	clear(initial)
	return client, server
}
