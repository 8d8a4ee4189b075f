// Package engine holds the TLS handshake state machines. It is sans-IO: a
// transport feeds it whole handshake messages at an encryption level and
// carries out the actions it answers with (send a message, install a key,
// handshake complete). There are no sockets, clocks or goroutines in here;
// time and randomness come from Config.
package engine

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Level is an encryption level: the keys a message travels under.
type Level uint8

const (
	LevelInitial     Level = iota // plaintext records
	LevelEarly                    // 0-RTT keys
	LevelHandshake                // handshake traffic keys
	LevelApplication              // application traffic keys
)

func (l Level) String() string {
	switch l {
	case LevelInitial:
		return "initial"
	case LevelEarly:
		return "early"
	case LevelHandshake:
		return "handshake"
	case LevelApplication:
		return "application"
	}
	return fmt.Sprintf("level(%d)", uint8(l))
}

// ActionKind says what a transport must do.
type ActionKind uint8

const (
	// ActSend: send Msg (a whole handshake message) at Level.
	ActSend ActionKind = iota + 1
	// ActSendCCS: send the middlebox-compatibility change_cipher_spec.
	ActSendCCS
	// ActReadKey: from now on, decrypt with Suite and Secret at Level.
	ActReadKey
	// ActWriteKey: from now on, encrypt with Suite and Secret at Level.
	ActWriteKey
	// ActDone: the handshake is complete; State is final.
	ActDone
	// ActAuthDone: a post-handshake authentication finished (server);
	// State holds the client's new chain.
	ActAuthDone
	// ActWarning: send a warning alert (Alert) and go on; TLS 1.2 only.
	ActWarning
	// ActSkipEarlyData: a server declined the client's 0-RTT data; drop
	// the records that do not decrypt (or, after a HelloRetryRequest, the
	// encrypted records before ClientHello2), up to a limit (RFC 8446
	// section 4.2.10).
	ActSkipEarlyData
	// ActUpdateOwed: the peer asked for a KeyUpdate. The transport calls
	// UpdateKeys before its next application data (RFC 8446 section
	// 4.6.3), so that several requests while it is silent get one answer.
	ActUpdateOwed
)

// Action is one step for the transport, in order.
type Action struct {
	Kind  ActionKind
	Level Level
	Msg   []byte
	Suite *suite.Suite
	// Secret is the TLS 1.3 traffic secret, or with TLS12 the write key
	// of one direction, whose implicit IV is IV.
	Secret []byte
	TLS12  bool
	IV     []byte
	// Key, when set (TLS 1.3 handshake keys over TLS), is the record key
	// already derived from Secret, with IV: the engine derived them with
	// the finished key, from one keyed HMAC.
	Key []byte
	// Alert for ActWarning.
	Alert wire.Alert
	// Seq is an ActSend message's message_seq (DTLS, RFC 6347 4.2.2).
	Seq uint16
}

// Certificate is a chain with the key that signs for it.
type Certificate struct {
	Chain    [][]byte // DER, leaf first
	Signer   crypto.Signer
	OCSP     []byte
	SCTs     [][]byte
	NotAfter time.Time // of the leaf; bounds ticket lifetimes
	// Schemes, when set, are the only signature schemes this key signs
	// with, best first (Certificate.SupportedSignatureAlgorithms).
	Schemes []uint16
}

// Pick13 chooses the TLS 1.3 scheme cert signs with against the peer's
// list: the first of the key's schemes (in the certificate's own order
// when it has one) that the peer offered.
func Pick13(cert *Certificate, peer []uint16) (uint16, error) {
	return sig.PickFrom(sig.Restrict(sig.ForKey(cert.Signer.Public()), cert.Schemes), peer)
}

// Pick12 is Pick13 for TLS 1.2, where RSA PKCS #1 v1.5 is allowed and an
// ECDSA scheme names only the hash.
func Pick12(cert *Certificate, peer []uint16) (uint16, error) {
	return sig.PickFrom(sig.Restrict(sig.ForKey12(cert.Signer.Public()), cert.Schemes), peer)
}

// HelloInfo is what a server knows of a ClientHello when it picks a
// certificate.
type HelloInfo struct {
	ServerName        string
	CipherSuites      []uint16
	SupportedGroups   []uint16
	SignatureSchemes  []uint16
	SupportedVersions []uint16
	ALPN              []string
	// Extensions are the extension types in the order sent, PointFormats
	// the ec_point_formats (copied: they outlive the message), and Retry
	// says this ClientHello answered a HelloRetryRequest.
	Extensions   []uint16
	PointFormats []uint8
	Retry        bool
}

// HelloInfoOf is what a certificate choice (or crypto/tls's
// GetConfigForClient) sees of a parsed ClientHello; versions are the ones
// it may choose among.
func HelloInfoOf(ch *wire.ClientHello, versions []uint16, retry bool) *HelloInfo {
	h := &HelloInfo{
		ServerName:        ch.ServerName,
		CipherSuites:      ch.CipherSuites,
		SupportedGroups:   ch.SupportedGroups,
		SignatureSchemes:  ch.SigSchemes,
		SupportedVersions: versions,
		ALPN:              ch.ALPN,
		Extensions:        make([]uint16, len(ch.Extensions)),
		PointFormats:      bytes.Clone(ch.PointFormats),
		Retry:             retry,
	}
	for i, e := range ch.Extensions {
		h.Extensions[i] = e.Type
	}
	return h
}

// CertRequestInfo is what a client knows when a server asks for a
// certificate.
type CertRequestInfo struct {
	SignatureSchemes []uint16
	AcceptableCAs    [][]byte
	// TLS12: the request is TLS 1.2's, whose signature schemes include
	// PKCS#1 v1.5 (TLS 1.3's CertificateVerify does not).
	TLS12 bool
	// CertTypes: a TLS 1.2 request's certificate_types (RFC 5246 section
	// 7.4.4); nil in TLS 1.3.
	CertTypes []uint8
}

// FitsCertTypes reports whether cert's key is of a type a TLS 1.2
// CertificateRequest lists (RFC 5246 section 7.4.4): rsa_sign for RSA,
// ecdsa_sign for ECDSA and, as RFC 8422 section 5.5 extends it, Ed25519.
// A nil list (TLS 1.3) takes any key.
func FitsCertTypes(cert *Certificate, types []uint8) bool {
	if types == nil {
		return true
	}
	want := wire.CertTypeECDSASign
	if sig.IsRSA(cert.Signer.Public()) {
		want = wire.CertTypeRSASign
	}
	return slices.Contains(types, want)
}

// Config configures one engine.
type Config struct {
	Rand io.Reader
	Now  func() time.Time

	// Client: the name to ask for (SNI) and verify.
	ServerName string
	NextProtos []string
	// CipherSuites in order of preference (TLS 1.3 IDs).
	CipherSuites []uint16
	// CipherSuites12: the TLS 1.2 suites, in order of preference.
	CipherSuites12 []uint16
	// OfferedSuites, when set, is CipherSuites followed by
	// CipherSuites12, computed once by the caller.
	OfferedSuites []uint16
	// Groups in order of preference.
	Groups []uint16
	// KeyShares: the groups a client sends shares for at first.
	KeyShares []uint16
	// SigSchemes we accept from the peer and advertise.
	SigSchemes []uint16

	// Server: choose the certificate for a ClientHello.
	GetCertificate func(*HelloInfo) (*Certificate, error)
	// Client: choose a certificate when the server asks for one; nil or
	// a nil result sends an empty Certificate.
	GetClientCertificate func(*CertRequestInfo) (*Certificate, error)
	// VerifyPeer checks the peer's chain in st (a snapshot of what is
	// negotiated so far, with the candidate chain) and returns the
	// verified chains, which the engine records. An error that is a
	// *wire.Error picks the alert, any other error sends bad_certificate.
	VerifyPeer func(st State) ([][]*x509.Certificate, error)

	// Server: the DER subjects for certificate_authorities when it asks
	// for a client certificate (RequestClientCert, below).
	ClientCAs [][]byte

	// Server: NewSessionTicket messages to send after the handshake, and
	// how to seal a ticket. No sealer, no tickets. OpenTicket opens one
	// that comes back; an error means "not ours" (full handshake).
	Tickets        int
	TicketLifetime time.Duration
	SealTicket     func(plaintext []byte) ([]byte, error)
	OpenTicket     func(ticket []byte) ([]byte, error)
	// Server: SealCookie and OpenCookie, both set, make HelloRetryRequest
	// stateless: what ClientHello2 must be checked against travels sealed
	// in the cookie, and a fresh engine can take ClientHello2 (RFC 8446
	// 4.2.2). OpenCookie fails for a cookie that is not ours.
	SealCookie func(plaintext []byte) ([]byte, error)
	OpenCookie func(cookie []byte) ([]byte, error)
	// CookieBinding is sealed into each cookie and must match when one
	// comes back: a datagram or QUIC server puts the client's address
	// here, so that a replayed ClientHello2 cannot direct a flight at
	// another address (the reason to send a cookie at all).
	CookieBinding []byte
	// TLS 1.2 session IDs (server): a bounded cache of sessions by ID.
	LoadSession  func(id []byte) ([]byte, bool)
	StoreSession func(id, session []byte)

	// Client: a session to offer for resumption, and where new tickets go.
	Session  *Ticket
	OnTicket func(*Ticket)

	// QUIC: our transport parameters (RFC 9001 section 8.2); a server
	// may instead give them through QUICParams, called with the client's
	// once they are known.
	TransportParams []byte
	QUICParams      func(peer []byte) ([]byte, error)
	// SRTPProfiles: DTLS-SRTP protection profiles (RFC 5764 4.1.1) a
	// client offers, or a server takes, in order of preference.
	SRTPProfiles []uint16
	// ConnectionID: the DTLS 1.2 connection ID (RFC 9146) we want on
	// records sent to us; nil leaves the extension out, empty takes the
	// peer's without asking for one.
	ConnectionID []byte

	// TLS 1.2 pre-shared keys (RFC 4279, RFC 5489). Client: PSKFor
	// returns the identity and key for the server's hint. Server:
	// PSKHint is sent in ServerKeyExchange; PSKKey returns the key of an
	// identity (nil for one it does not know).
	PSKFor  func(hint []byte) (identity, key []byte, err error)
	PSKHint []byte
	PSKKey  func(identity []byte) ([]byte, error)

	// KeyLog receives secrets in NSS key log form.
	KeyLog func(label string, clientRandom, secret []byte)

	// The small fields, packed together (the Config is made per
	// connection: 512 bytes, not 576).
	//
	// Variant is the transport: TLS (the zero value), DTLS or QUIC.
	Variant Variant
	// MinVersion and MaxVersion bound the versions, as wire versions of
	// the variant (zero means no bound); they are compared by protocol
	// generation, not numerically.
	MinVersion, MaxVersion uint16
	// RequireEMS refuses TLS 1.2 without the extended master secret.
	RequireEMS bool
	// PreferChaCha: a server puts ChaCha20 first when the client does
	// (set when the machine has no AES hardware).
	PreferChaCha bool
	// NoCompatMode turns off the middlebox compatibility mode (RFC 8446
	// appendix D.4) on a client.
	NoCompatMode bool
	// Server: ask for a client certificate, and whether one is required.
	RequestClientCert bool
	RequireClientCert bool
	// TicketsInFlight lets a TLS 1.3 server that asked for no client
	// certificate send its tickets with its own flight, after its
	// Finished, instead of after the client's Finished: the client's
	// Finished is then known in advance, and so is the resumption secret
	// (RFC 8446 section 4.6.1, the note on computing the remainder of the
	// transcript). One write and one wakeup fewer per handshake. Leave it
	// off when a check that runs at the client's Finished (a
	// VerifyConnection hook) could still refuse the connection.
	TicketsInFlight bool
	// PSKWithoutDHE: a client offers psk_ke besides psk_dhe_ke, and a
	// server accepts it (no forward secrecy for that session).
	PSKWithoutDHE bool
	// PostHandshakeAuth: a client offers post-handshake authentication
	// (RFC 8446 section 4.6.2).
	PostHandshakeAuth bool
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Ticket is a TLS 1.3 ticket a client received.
type Ticket struct {
	Ticket     []byte
	Lifetime   time.Duration
	AgeAdd     uint32
	Nonce      []byte
	ReceivedAt time.Time
	MaxEarly   uint32
	// Suite and ResumptionSecret of the session the ticket resumes.
	Suite            *suite.Suite
	ResumptionSecret []byte
	// What authenticated that session: the server's chain and the name
	// asked for, and the ALPN protocol it used.
	PeerChain  [][]byte
	ServerName string
	ALPN       string
	// OCSP and SCTs the server sent with its chain: a resumption reports
	// them again, as it does the chain.
	OCSP []byte
	SCTs [][]byte
	// SessionID names a TLS 1.2 session the server keeps by ID (when it
	// gave no ticket).
	SessionID []byte
	// Group is the key exchange group of the session's handshake (what a
	// resumed TLS 1.2 connection reports).
	Group uint16
	// Version is the session's protocol version. A TLS 1.2 session keeps
	// its master secret in ResumptionSecret; hasp resumes TLS 1.2 only
	// with the extended master secret (RFC 7627 section 5.3).
	Version uint16
}

// Expired reports whether the ticket's lifetime has passed at now.
func (t *Ticket) Expired(now time.Time) bool { return !now.Before(t.ReceivedAt.Add(t.Lifetime)) }

// ObfuscatedAge is the ticket age the client sends (RFC 8446 4.2.11.1).
func (t *Ticket) ObfuscatedAge(now time.Time) uint32 {
	return uint32(now.Sub(t.ReceivedAt)/time.Millisecond) + t.AgeAdd
}

// PSK derives the ticket's pre-shared key (RFC 8446 section 4.6.1) with
// the variant's labels.
func (t *Ticket) PSK(v keysched.Variant) keysched.PSK {
	return keysched.ResumptionSecret{Hash: t.Suite.Hash, Secret: t.ResumptionSecret, Variant: v}.TicketPSK(t.Nonce)
}

// State is what was negotiated, filled in as the handshake goes. Its
// fields are ordered by size, the small ones packed together: one is
// published per connection and kept while it idles (240 bytes, not 288).
type State struct {
	Suite *suite.Suite
	// LocalCertificate is the certificate we authenticated with, if any.
	LocalCertificate *Certificate
	// Ext holds what only some connections negotiate (see X).
	Ext *StateExt

	ALPN             string
	ServerName       string
	PeerChain        [][]byte
	PeerCertificates []*x509.Certificate
	// VerifiedChains is set by the VerifyPeer callback.
	VerifiedChains   [][]*x509.Certificate
	OCSP             []byte
	SCTs             [][]byte
	ExporterSecret   []byte
	ResumptionSecret []byte

	Version         uint16
	Group           uint16
	SignatureScheme uint16
	// PeerRecordLimit is the peer's record_size_limit (0 when absent).
	PeerRecordLimit uint16
	HelloRetry      bool
	// Resumed: the handshake used a PSK from a ticket.
	Resumed bool
	// EarlyDataOffered: the client offered 0-RTT, which a server declines;
	// the transport skips records it cannot decrypt until the client's
	// handshake keys work.
	EarlyDataOffered bool
	// CertRequested: the server asked for a client certificate.
	CertRequested bool
	// PostHandshakeAuth: the client offered post-handshake
	// authentication.
	PostHandshakeAuth bool
	// PostHandshakeAuthInProgress is set in the snapshot VerifyPeer gets
	// for a chain sent in a post-handshake authentication, which must be
	// verified even on a resumed connection.
	PostHandshakeAuthInProgress bool
	// TLS 1.2: whether the extended master secret is used (the master
	// secret, for exporters, is in Ext).
	EMS bool
}

// StateExt is the part of State that only DTLS, QUIC, TLS 1.2 and
// pre-shared keys use. A TLS 1.3 connection over TCP has none and keeps
// none: State is copied into each snapshot a connection holds, and these
// slices would be most of its size. Set during the handshake only.
type StateExt struct {
	// PeerTransportParams are the peer's QUIC transport parameters.
	PeerTransportParams []byte
	// SRTPProfile is the DTLS-SRTP profile agreed on (0: none).
	SRTPProfile uint16
	// ConnectionIDAgreed: both ends sent connection_id (RFC 9146); then
	// PeerConnectionID goes on records we send (when not empty).
	ConnectionIDAgreed bool
	PeerConnectionID   []byte
	// PSKIdentity is the pre-shared key's identity, when a PSK suite
	// authenticated the handshake.
	PSKIdentity []byte
	// MasterSecret12 is the TLS 1.2 master secret, and the hellos'
	// randoms, for exporters (RFC 5705).
	MasterSecret12             []byte
	ClientRandom, ServerRandom [32]byte
	// TLSUnique12 is the verify_data of the handshake's first Finished
	// (TLS 1.2 only): the tls-unique channel binding (RFC 5929 section
	// 3.1).
	TLSUnique12 []byte
}

// X returns the StateExt fields (zero when none were set).
func (s *State) X() StateExt {
	if s.Ext == nil {
		return StateExt{}
	}
	return *s.Ext
}

// chainOf is the peer's chain as received: st.PeerChain, or, in a
// snapshot that left it out (a connected transport keeps only
// PeerCertificates), their Raw bytes, which are the same.
func chainOf(st *State) [][]byte {
	if st.PeerChain != nil || len(st.PeerCertificates) == 0 {
		return st.PeerChain
	}
	raw := make([][]byte, len(st.PeerCertificates))
	for i, c := range st.PeerCertificates {
		raw[i] = c.Raw
	}
	return raw
}

// keepRandoms12 keeps the hellos' randoms for a TLS 1.2 connection's
// exporter (RFC 5705); call it once both are known.
func (c *common) keepRandoms12() {
	x := c.st.ext()
	x.ClientRandom, x.ServerRandom = c.clientRandom, c.serverRandom
}

// ext returns the StateExt to write, made on first use.
func (s *State) ext() *StateExt {
	if s.Ext == nil {
		s.Ext = new(StateExt)
	}
	return s.Ext
}

// Engine is a handshake state machine: client or server. A transport
// drives it only through these methods. After an error that ends the
// handshake or connection (a *wire.Error), every later call returns that
// same error: the engine stays failed. Capabilities the negotiated
// protocol lacks (KeyUpdate and tickets after a TLS 1.2 handshake,
// post-handshake authentication without the client's offer) are errors
// that leave the engine as it was.
type Engine interface {
	// Start begins the handshake; a client answers with its ClientHello.
	Start() ([]Action, error)
	// Handle consumes one whole handshake message that arrived at level.
	Handle(level Level, msg []byte) ([]Action, error)
	// HandleCCS takes a change_cipher_spec in TLS 1.2, where it switches
	// the read keys.
	HandleCCS() ([]Action, error)
	// UpdateKeys makes a KeyUpdate after a TLS 1.3 handshake; requestPeer
	// asks the peer to update too. ErrNotInThisVersion on TLS 1.2.
	UpdateKeys(requestPeer bool) ([]Action, error)
	// SendTicket makes one more NewSessionTicket (TLS 1.3 server).
	SendTicket() ([]Action, error)
	// RequestCertificate starts a post-handshake authentication (TLS 1.3
	// server, when the client offered it).
	RequestCertificate() ([]Action, error)
	// NoteAppData says application data arrived, which resets the
	// KeyUpdate flood counter.
	NoteAppData()
	// State returns a snapshot of what was negotiated so far; the engine
	// never changes it afterwards.
	State() State
	// Done reports whether the handshake is complete.
	Done() bool
	// Err is the error the engine failed with, or nil.
	Err() error
	// Idle drops the engine's hold on the actions it last returned.
	Idle()
	// CCSAllowed reports whether a change_cipher_spec record may arrive
	// now (RFC 8446 section 5: during the handshake, after the first
	// ClientHello).
	CCSAllowed() bool
}

// Errors for capabilities the role or the negotiated protocol lacks.
var (
	ErrNotInThisVersion = errors.New("not in this protocol version")
	ErrServerOnly       = errors.New("only a server can do that")
	// ErrTicketNotWanted: the client listed no PSK mode the server
	// accepts, so a ticket would be of no use to it (RFC 8446 4.2.9).
	ErrTicketNotWanted = errors.New("the client takes no tickets (no psk_key_exchange_modes we accept)")
)

func fail(a wire.Alert, format string, args ...any) error {
	return wire.Errorf(a, format, args...)
}

func unexpected(got uint8, want string) error {
	return fail(wire.AlertUnexpectedMessage, "got %s, want %s", wire.HandshakeName(got), want)
}

// common holds what both roles share after the hellos.
type common struct {
	cfg        *Config
	st         State
	transcript keysched.Transcript
	// The key schedule, typed by stage (RFC 8446 7.1): the handshake
	// stage until the server's Finished, then the master stage until the
	// resumption secret is taken.
	hsStage *keysched.HandshakeStage
	master  *keysched.MasterStage
	acts    []Action
	actsBuf *[]Action // the pooled array acts started in, until Idle
	// The TLS 1.2 key block and an HMAC keyed with the master secret,
	// made once (keys12, masterMAC).
	kb12  *[4][]byte
	mac12 hash.Hash
	// inSeq and outSeq are the DTLS message_seq of the next message
	// handled and sent (RFC 6347 section 4.2.2).
	inSeq, outSeq uint16
	done          bool
	// failed is the error that ended the engine; every later call
	// returns it.
	failed error

	clientHS, serverHS keysched.TrafficSecret
	// The handshake traffic secrets' finished keys, derived with their
	// record keys (keyAction), until finished uses them.
	clientFinKey, serverFinKey []byte
	clientApp, serverApp       keysched.TrafficSecret
	keyUpdatesSeen             int
	updateOwed                 bool // a KeyUpdate was requested and not yet sent
	master12                   []byte
	// The hellos' randoms: the handshake's (key log, TLS 1.2 key block
	// and signatures); a TLS 1.2 connection keeps them in StateExt for
	// its exporter.
	clientRandom, serverRandom [32]byte
}

func (c *common) State() State { return c.st }
func (c *common) Done() bool   { return c.done }
func (c *common) Err() error   { return c.failed }

// result ends a public call: a protocol error fails the engine for good.
func (c *common) result(err error) ([]Action, error) {
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			c.failed = err
		}
		return nil, err
	}
	return c.acts, nil
}

// begin starts a public call: a failed engine answers with its error;
// otherwise the previous call's actions are dropped.
func (c *common) begin() error {
	if c.failed != nil {
		return c.failed
	}
	c.reset()
	return nil
}

// handleMessage runs one Handle call for either role: a failed engine
// answers with its error, a malformed message fails it, and the role's
// state machine takes the rest.
func (c *common) handleMessage(level Level, msg []byte, handle func(Level, []byte) error) ([]Action, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	if err := checkMessage(msg); err != nil {
		return c.result(err)
	}
	if c.cfg.variant().datagram {
		// The transport hands messages over in message_seq order.
		c.transcript.Seq = c.inSeq
		c.inSeq++
	}
	return c.result(handle(level, msg))
}

// checkMessage refuses a message whose header is short or whose length
// field disagrees with its size (the transport hands over whole messages).
func checkMessage(msg []byte) error {
	if len(msg) < wire.HandshakeHeaderLen {
		return fail(wire.AlertDecodeError, "handshake message of %d bytes", len(msg))
	}
	if n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]); n != len(msg)-wire.HandshakeHeaderLen {
		return fail(wire.AlertDecodeError, "%s says %d bytes, has %d", wire.HandshakeName(msg[0]), n, len(msg)-wire.HandshakeHeaderLen)
	}
	return nil
}

func (c *common) send(level Level, msg []byte) {
	seq := c.stampOut()
	c.transcript.Write(msg)
	c.acts = append(c.acts, Action{Kind: ActSend, Level: level, Msg: msg, Seq: seq})
}

// stampOut takes the next outgoing message_seq (DTLS) and makes it the
// one the transcript hashes next.
func (c *common) stampOut() uint16 {
	seq := c.outSeq
	c.outSeq++
	c.transcript.Seq = seq
	return seq
}

// sendPost sends a post-handshake message, which is not in the transcript.
func (c *common) sendPost(msg []byte) {
	seq := c.outSeq
	c.outSeq++
	c.acts = append(c.acts, Action{Kind: ActSend, Level: LevelApplication, Msg: msg, Seq: seq})
}

func (c *common) readKey(level Level, secret keysched.TrafficSecret) {
	c.keyAction(ActReadKey, level, secret)
}

func (c *common) writeKey(level Level, secret keysched.TrafficSecret) {
	c.keyAction(ActWriteKey, level, secret)
}

func (c *common) keyAction(kind ActionKind, level Level, secret keysched.TrafficSecret) {
	a := Action{Kind: kind, Level: level, Suite: c.st.Suite, Secret: secret.Secret}
	if level == LevelHandshake && c.cfg.Variant == TLS {
		// A handshake traffic secret also keys a Finished: its record
		// key, IV and finished key come from one keyed HMAC.
		var fin []byte
		a.Key, a.IV, fin = secret.KeysAndFinished(keysched.TLS13Labels, c.st.Suite.KeyLen, 12)
		if secret.Dir == keysched.ClientToServer {
			c.clientFinKey = fin
		} else {
			c.serverFinKey = fin
		}
	}
	c.acts = append(c.acts, a)
}

func (c *common) keyLog(label string, secret []byte) {
	if c.cfg.KeyLog != nil {
		c.cfg.KeyLog(label, c.clientRandom[:], secret)
	}
}

func (c *common) reset() []Action {
	// Drop the previous call's messages and secrets: the caller is done
	// with them, and an idle connection should not keep them alive.
	clear(c.acts[:cap(c.acts)])
	c.acts = c.acts[:0]
	return c.acts
}

// releaseHandshake drops what only the handshake needed once a TLS 1.3
// handshake is complete: the key schedule, the running transcript (what
// post-handshake authentication needs is cloned before) and the
// handshake traffic secrets. An idle connection keeps only its traffic
// secrets and what resumption and exporters need.
func (c *common) releaseHandshake() {
	c.hsStage, c.master = nil, nil
	c.transcript = keysched.Transcript{Datagram: c.transcript.Datagram}
	c.clientHS, c.serverHS = keysched.TrafficSecret{}, keysched.TrafficSecret{}
	c.clientFinKey, c.serverFinKey = nil, nil
}

// Idle tells the engine that the caller is done with the actions of its
// last call, so the engine keeps neither them nor their backing array;
// a connected Conn calls it when its handshake actions are applied.
func (c *common) Idle() {
	if c.actsBuf != nil {
		// The transport is done with every action: the array goes back
		// for the next handshake (cleared: actions point at secrets).
		clear(c.acts[:cap(c.acts)])
		*c.actsBuf = c.acts[:0]
		actsPool.Put(c.actsBuf)
		c.actsBuf = nil
	}
	c.acts = nil
}

// actsPool keeps the action arrays of finished handshakes (about 1 KB
// each).
var actsPool = sync.Pool{New: func() any { a := make([]Action, 0, 12); return &a }}

func newCommon(cfg *Config) common {
	p := actsPool.Get().(*[]Action)
	return common{cfg: cfg, acts: (*p)[:0], actsBuf: p}
}

func (c *common) hashLen() int { return c.st.Suite.Hash.Size() }

// handshakeSecretsPSK is handshakeSecrets with a PSK in the early secret;
// shared is nil in psk_ke mode.
func (c *common) handshakeSecretsPSK(psk keysched.PSK, shared []byte) {
	early := keysched.NewEarlyVariant(c.cfg.variant().keys, c.st.Suite.Hash, psk)
	c.hsStage = early.Handshake(shared)
	th := c.transcript.Sum()
	c.clientHS = c.hsStage.ClientTraffic(th)
	c.serverHS = c.hsStage.ServerTraffic(th)
	c.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", c.clientHS.Secret)
	c.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", c.serverHS.Secret)
}

// appSecrets derives the application traffic and exporter secrets from the
// transcript through the server's Finished.
func (c *common) appSecrets() {
	c.master = c.hsStage.Master()
	c.hsStage = nil
	th := c.transcript.Sum()
	c.clientApp = c.master.ClientTraffic(th)
	c.serverApp = c.master.ServerTraffic(th)
	c.st.ExporterSecret = c.master.Exporter(th).Secret
	c.keyLog("CLIENT_TRAFFIC_SECRET_0", c.clientApp.Secret)
	c.keyLog("SERVER_TRAFFIC_SECRET_0", c.serverApp.Secret)
	c.keyLog("EXPORTER_SECRET", c.st.ExporterSecret)
}

// resumptionSecret is taken from the master stage over the whole
// handshake (RFC 8446 7.1), the last secret the schedule gives.
func (c *common) resumptionSecret() []byte {
	return c.master.Resumption(c.transcript.Sum()).Secret
}

// finished is the verify_data of a handshake Finished keyed by base, a
// handshake traffic secret (RFC 8446 4.4.4): with the finished key
// keyAction derived, used once, or derived now.
func (c *common) finished(base keysched.TrafficSecret) []byte {
	k := &c.serverFinKey
	if base.Dir == keysched.ClientToServer {
		k = &c.clientFinKey
	}
	if fk := *k; fk != nil {
		*k = nil
		return keysched.VerifyDataWith(base.Hash, fk, c.transcript.Sum())
	}
	return base.VerifyData(c.transcript.Sum())
}

// maxKeyUpdates bounds KeyUpdates received back to back without
// application data in between (see NoteAppData).
const maxKeyUpdates = 32

// NoteAppData tells the engine application data arrived, which resets the
// KeyUpdate flood counter.
func (c *common) NoteAppData() { c.keyUpdatesSeen = 0 }

// updateKeys is UpdateKeys for either role: TLS 1.3 only, once connected.
func (c *common) updateKeys(connected bool, requestPeer bool, write *keysched.TrafficSecret) ([]Action, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	switch {
	case !connected:
		return nil, errors.New("KeyUpdate before the handshake completed")
	case c.gen() != gen13 || !c.cfg.variant().keyUpdate:
		return nil, fmt.Errorf("KeyUpdate: %w (%s over %s)", ErrNotInThisVersion, wire.VersionName(c.st.Version), c.cfg.Variant)
	}
	c.updateOwed = false // this update answers any request
	c.updateWrite(requestPeer, write)
	return c.acts, nil
}

// handleKeyUpdate processes a received KeyUpdate (RFC 8446 section 4.6.3).
// read points at the traffic secret of the peer's direction.
func (c *common) handleKeyUpdate(msg []byte, read *keysched.TrafficSecret) error {
	if !c.cfg.variant().keyUpdate {
		// RFC 9001 section 6: QUIC forbids the TLS KeyUpdate message.
		return fail(wire.AlertUnexpectedMessage, "KeyUpdate over %s", c.cfg.Variant)
	}
	var ku wire.KeyUpdate
	if err := ku.Unmarshal(msg); err != nil {
		return err
	}
	c.keyUpdatesSeen++
	if c.keyUpdatesSeen > maxKeyUpdates {
		return fail(wire.AlertUnexpectedMessage, "too many KeyUpdates without application data")
	}
	*read = read.Next()
	c.readKey(LevelApplication, *read)
	if ku.Request == wire.KeyUpdateRequested && !c.updateOwed {
		// Answered by the transport's UpdateKeys before its next data;
		// a request while one is owed adds nothing (RFC 8446 4.6.3).
		c.updateOwed = true
		c.acts = append(c.acts, Action{Kind: ActUpdateOwed})
	}
	return nil
}

func (c *common) updateWrite(requestPeer bool, write *keysched.TrafficSecret) {
	ku := wire.KeyUpdate{}
	if requestPeer {
		ku.Request = wire.KeyUpdateRequested
	}
	c.sendPost(ku.Marshal())
	*write = write.Next()
	c.writeKey(LevelApplication, *write)
}

// checkLevel refuses a message at the wrong encryption level.
func checkLevel(got, want Level, typ uint8) error {
	if got != want {
		return fail(wire.AlertUnexpectedMessage, "%s at %s level, want %s", wire.HandshakeName(typ), got, want)
	}
	return nil
}

func readRandom(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		return fail(wire.AlertInternalError, "random source: %v", err)
	}
	return nil
}

// parseChain parses a peer's chain; a certificate that does not parse is
// bad_certificate.
func parseChain(entries []wire.CertificateEntry) ([][]byte, []*x509.Certificate, error) {
	raw := make([][]byte, len(entries))
	certs := make([]*x509.Certificate, len(entries))
	for i, e := range entries {
		c, err := parseCertificate(e.Data)
		if err != nil {
			return nil, nil, fail(wire.AlertBadCertificate, "peer certificate %d: %v", i, err)
		}
		if i == 0 && c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			// The peer signs the handshake with this key (hasp has no
			// static RSA): RFC 8446 4.4.2.2 and RFC 5280 4.2.1.3 want
			// digitalSignature when keyUsage is present.
			return nil, nil, fail(wire.AlertBadCertificate, "peer certificate's keyUsage does not allow signing (digitalSignature unset)")
		}
		raw[i], certs[i] = c.Raw, c
	}
	return raw, certs, nil
}

// certCache shares parsed certificates between connections: a client
// talking to one server many times, or a server seeing the same client
// certificates, keeps one *x509.Certificate per distinct certificate
// alive instead of one per connection. Entries are weak and go when the
// last connection holding the certificate does. Keyed by SHA-256 of the
// DER, so a lookup does not keep the bytes alive.
var certCache sync.Map // [32]byte -> weak.Pointer[x509.Certificate]

func parseCertificate(der []byte) (*x509.Certificate, error) {
	key := sha256.Sum256(der)
	if v, ok := certCache.Load(key); ok {
		if c := v.(weak.Pointer[x509.Certificate]).Value(); c != nil && bytes.Equal(c.Raw, der) {
			return c, nil
		}
	}
	c, err := x509.ParseCertificate(bytes.Clone(der))
	if err != nil {
		return nil, err
	}
	wp := weak.Make(c)
	certCache.Store(key, wp)
	runtime.AddCleanup(c, func(key [32]byte) { certCache.CompareAndDelete(key, wp) }, key)
	return c, nil
}

func (c *common) verifyPeer() error {
	if c.cfg.VerifyPeer == nil {
		return nil
	}
	chains, err := c.cfg.VerifyPeer(c.st)
	if err != nil {
		if we, ok := err.(*wire.Error); ok {
			return we
		}
		return &wire.Error{Alert: wire.AlertBadCertificate, Reason: err.Error()}
	}
	c.st.VerifiedChains = chains
	return nil
}

// key12 installs TLS 1.2 keys in one direction.
func (c *common) key12(kind ActionKind, key, iv []byte) {
	c.acts = append(c.acts, Action{Kind: kind, Level: LevelApplication, Suite: c.st.Suite, TLS12: true, Secret: key, IV: iv})
}

// keys12 derives the TLS 1.2 key block, once.
func (c *common) keys12() (ck, sk, civ, siv []byte) {
	if c.kb12 == nil {
		st := c.st.Suite
		ck, sk, civ, siv := keysched.KeyBlock12MAC(c.masterMAC(), c.clientRandom[:], c.serverRandom[:], st.KeyLen, st.IVLen())
		c.kb12 = &[4][]byte{ck, sk, civ, siv}
	}
	return c.kb12[0], c.kb12[1], c.kb12[2], c.kb12[3]
}

// masterMAC is an HMAC keyed with the TLS 1.2 master secret, made once
// for the key block and both Finished messages.
func (c *common) masterMAC() hash.Hash {
	if c.mac12 == nil {
		c.mac12 = hmac.New(c.st.Suite.Hash.New, c.master12)
	}
	return c.mac12
}

// masterSecret12 derives the master secret: with the extended master
// secret over the session hash (RFC 7627), otherwise the RFC 5246 way.
func (c *common) masterSecret12(preMaster []byte) {
	h := c.st.Suite.Hash
	if c.st.EMS {
		c.master12 = keysched.ExtendedMasterSecret12(h, preMaster, c.transcript.Sum())
	} else {
		c.master12 = keysched.MasterSecret12(h, preMaster, c.clientRandom[:], c.serverRandom[:])
	}
	c.st.ext().MasterSecret12 = c.master12
	c.keyLog("CLIENT_RANDOM", c.master12)
}

// signed12 is what a TLS 1.2 ServerKeyExchange signature covers.
func signed12(clientRandom, serverRandom [32]byte, params []byte) []byte {
	out := make([]byte, 0, 64+len(params))
	out = append(append(append(out, clientRandom[:]...), serverRandom[:]...), params...)
	return out
}

// groups12 are the groups TLS 1.2 may use: the classical ones.
func groups12(gs []uint16) []uint16 {
	var out []uint16
	for _, g := range gs {
		if !kex.IsHybrid(g) {
			out = append(out, g)
		}
	}
	return out
}

// finish12 sends ChangeCipherSpec, installs our TLS 1.2 write key and
// sends Finished over the transcript (RFC 5246 section 7.4.9).
func (c *common) finish12(client bool) {
	ck, sk, civ, siv := c.keys12()
	key, iv := sk, siv
	if client {
		key, iv = ck, civ
	}
	c.acts = append(c.acts, Action{Kind: ActSendCCS})
	c.key12(ActWriteKey, key, iv)
	fin := keysched.Finished12MAC(c.masterMAC(), client, c.transcript.Sum())
	m := (&wire.Finished{VerifyData: fin}).Marshal()
	if c.st.X().TLSUnique12 == nil {
		c.st.ext().TLSUnique12 = fin
	}
	seq := c.stampOut()
	c.transcript.Write(m)
	c.acts = append(c.acts, Action{Kind: ActSend, Level: LevelApplication, Msg: m, Seq: seq})
}

// checkFinished12 verifies the peer's TLS 1.2 Finished and adds it to the
// transcript.
func (c *common) checkFinished12(msg []byte, fromClient bool) error {
	var fin wire.Finished
	if err := fin.Unmarshal(msg); err != nil {
		return err
	}
	want := keysched.Finished12MAC(c.masterMAC(), fromClient, c.transcript.Sum())
	if len(fin.VerifyData) != len(want) {
		return fail(wire.AlertDecodeError, "Finished of %d bytes, want 12", len(fin.VerifyData))
	}
	if !hmac.Equal(fin.VerifyData, want) {
		return fail(wire.AlertDecryptError, "peer Finished does not verify")
	}
	if c.st.X().TLSUnique12 == nil {
		c.st.ext().TLSUnique12 = want
	}
	c.transcript.Write(msg)
	return nil
}

// readKeyAtCCS12 installs the peer's TLS 1.2 write key as our read key.
func (c *common) readKeyAtCCS12(fromClient bool) {
	ck, sk, civ, siv := c.keys12()
	if fromClient {
		c.key12(ActReadKey, ck, civ)
	} else {
		c.key12(ActReadKey, sk, siv)
	}
}
