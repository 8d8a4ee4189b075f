package engine

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

type clientState uint8

const (
	cStart clientState = iota
	cWaitServerHello
	cWaitEncryptedExtensions
	cWaitCertOrCertRequest
	cWaitCert
	cWaitCertVerify
	cWaitFinished
	cConnected
)

// Client is the TLS 1.3 client state machine (RFC 8446 section 2).
type Client struct {
	common
	state   clientState
	hello   *wire.ClientHello
	shares  []*kex.Private
	sawHRR  bool
	sawHVR  bool
	sentCCS bool
	// sentExts lists the extension types of our last ClientHello.
	sentExts []uint16
	certReq  *wire.CertificateRequest
	v12      *client12
	// sessionID backs the compatibility-mode legacy_session_id.
	sessionID [32]byte
	// session12 is a TLS 1.2 session offered by ticket.
	session12 *Ticket
	// session offered for resumption, and its PSK.
	session *Ticket
	psk     keysched.PSK
	// phaTranscript is the handshake's transcript, kept for
	// post-handshake authentication.
	phaTranscript *keysched.Transcript
}

// NewClient returns a client engine.
func NewClient(cfg *Config) *Client {
	c := &Client{common: newCommon(cfg)}
	c.transcript.Datagram = cfg.variant().datagram
	return c
}

// CCSAllowed: a client may see the server's compatibility CCS any time
// before the server's Finished (TLS 1.3); in TLS 1.2 HandleCCS decides.
func (c *Client) CCSAllowed() bool {
	if c.v12 != nil {
		return c.v12.state == c12WaitCCS && !c.v12.ticketExpected
	}
	// RFC 8446 section 5's allowance is TLS 1.3's: a client that offered
	// only TLS 1.2 takes no CCS before the ServerHello (RFC 5246 7.4).
	return c.state > cStart && c.state < cConnected && c.cfg.offers(gen13)
}

// Start builds and sends ClientHello1.
func (c *Client) Start() ([]Action, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	if c.state != cStart {
		return nil, errors.New("handshake already started")
	}
	return c.result(c.start())
}

func (c *Client) start() error {
	spec, err := c.helloSpec()
	if err != nil {
		return err
	}
	c.hello = BuildHello(spec)
	c.hello.Datagram = c.cfg.variant().datagram
	c.clientRandom = spec.Random
	c.st.PostHandshakeAuth = spec.PostHandshakeAuth
	c.marshalHello()
	c.send(LevelInitial, c.hello.Raw)
	c.state = cWaitServerHello
	return nil
}

// helloSpec decides what our ClientHello carries from the Config: the
// versions and suites it allows, a fresh random and key shares, and the
// session to offer (remembered in c.session or c.session12).
func (c *Client) helloSpec() (*HelloSpec, error) {
	cfg := c.cfg
	v := cfg.variant()
	h := &HelloSpec{LegacyVersion: v.legacyVersion}
	if err := readRandom(cfg.Rand, h.Random[:]); err != nil {
		return nil, err
	}
	if c.compat() {
		h.SessionID = c.sessionID[:]
		if err := readRandom(cfg.Rand, h.SessionID); err != nil {
			return nil, err
		}
	}
	offer13, offer12 := cfg.offers(gen13), cfg.offers(gen12)
	switch {
	case offer13 && offer12 && cfg.OfferedSuites != nil:
		h.CipherSuites = cfg.OfferedSuites
	case offer13 && offer12:
		h.CipherSuites = append(append([]uint16(nil), cfg.CipherSuites...), cfg.CipherSuites12...)
	case offer13:
		h.CipherSuites = cfg.CipherSuites
	default:
		h.CipherSuites = cfg.CipherSuites12
	}
	if offer12 {
		// TLS 1.2 extensions: extended master secret, secure
		// renegotiation indication (empty: hasp never renegotiates),
		// uncompressed points.
		h.EMS, h.SecureReneg, h.PointFormats = true, true, []uint8{0}
	}
	if cfg.ServerName != "" && !isIP(cfg.ServerName) {
		// RFC 6066 section 3: literal IP addresses are not sent.
		h.ServerName = cfg.ServerName
	}
	h.Groups = cfg.Groups
	h.SigSchemes = cfg.SigSchemes
	if !offer12 {
		// RSA PKCS #1 v1.5 is listed only for TLS 1.2's sake (RFC 8446
		// section 4.2.3).
		h.SigSchemes = sig.Only13(cfg.SigSchemes)
	}
	h.SigSchemesCert = sig.CertSchemes()
	h.ALPN = cfg.NextProtos
	h.StatusRequest, h.SCT = true, true
	if offer13 {
		h.Versions = cfg.versions()
		if cfg.OnTicket != nil || cfg.Session != nil {
			// Only a client that keeps tickets asks for them: with no
			// psk_key_exchange_modes the server sends none (RFC 8446
			// 4.2.9).
			h.PSKModes = []uint8{wire.PSKModeDHEKE}
		}
		h.SendKeyShares = true
		h.PostHandshakeAuth = cfg.PostHandshakeAuth
		var err error
		if c.shares, err = kex.Generate(cfg.KeyShares, cfg.Rand); err != nil {
			return nil, fail(wire.AlertInternalError, "%v", err)
		}
		for _, p := range c.shares {
			h.KeyShares = append(h.KeyShares, wire.KeyShare{Group: p.Group, Data: p.Public()})
		}
	} else {
		h.Groups = groups12(cfg.Groups)
	}
	if offer12 {
		// Ask for a TLS 1.2 ticket when there is a cache to keep it, or
		// offer the one we hold (RFC 5077).
		h.AskTicket = cfg.OnTicket != nil
		if t := cfg.Session; t != nil && v.gen(t.Version) == gen12 && t.Suite != nil && !t.Expired(cfg.now()) && slices.Contains(h.CipherSuites, t.Suite.ID) {
			c.session12 = t
			h.SessionTicket = t.Ticket
			if len(t.SessionID) > 0 {
				// A session the server keeps by ID.
				h.SessionID = t.SessionID
			} else if len(h.SessionID) == 0 {
				// RFC 5077 section 3.4: a session ID to recognise
				// acceptance by.
				h.SessionID = c.sessionID[:]
				if err := readRandom(cfg.Rand, h.SessionID); err != nil {
					return nil, err
				}
			}
		}
	}
	if t := cfg.Session; t != nil && v.gen(t.Version) == gen13 && t.Suite != nil && !t.Expired(cfg.now()) && slices.Contains(h.CipherSuites, t.Suite.ID) && offer13 {
		c.session = t
		if cfg.PSKWithoutDHE {
			h.PSKModes = []uint8{wire.PSKModeDHEKE, wire.PSKModeKE}
		}
	}
	if cfg.Variant == QUIC {
		// RFC 9001 section 8.2.
		h.Extra = []wire.Extension{{Type: wire.ExtQUICTransportParameters, Data: cfg.TransportParams}}
	}
	if v.datagram && len(cfg.SRTPProfiles) > 0 {
		h.Extra = append(h.Extra, useSRTP(cfg.SRTPProfiles))
	}
	if v.datagram && cfg.ConnectionID != nil {
		h.Extra = append(h.Extra, connectionID(cfg.ConnectionID))
	}
	return h, nil
}

// compatCCS sends the compatibility change_cipher_spec once (RFC 8446
// appendix D.4), when the mode is on.
func (c *Client) compatCCS() {
	if c.compat() && !c.sentCCS {
		c.sentCCS = true
		c.acts = append(c.acts, Action{Kind: ActSendCCS})
	}
}

// compat reports whether the middlebox compatibility mode is on: the
// variant has it and the configuration did not turn it off.
func (c *Client) compat() bool {
	return c.cfg.variant().compatCCS && !c.cfg.NoCompatMode && c.cfg.offers(gen13)
}

// addPSK puts the session's ticket and binder in the hello, which must be
// marshalled without them first (RFC 8446 section 4.2.11.2).
func (c *Client) addPSK() {
	t, h := c.session, c.hello
	h.PSKIdentities = []wire.PSKIdentity{{Identity: t.Ticket, ObfuscatedTicketAge: t.ObfuscatedAge(c.cfg.now())}}
	h.PSKBinders = [][]byte{make([]byte, t.Suite.Hash.Size())}
	raw := h.Marshal()
	keys := c.cfg.variant().keys
	c.psk = t.PSK(keys)
	b := binder(keys, c.psk, binderHash(&c.transcript, t.Suite, raw, bindersLen(h.PSKBinders)))
	copy(raw[len(raw)-len(b):], b)
	h.PSKBinders[0] = b
}

// marshalHello encodes the hello, padding it out of the 256..511 byte
// range that some middleboxes mishandle (RFC 7685 section 4).
func (c *Client) marshalHello() {
	h := c.hello
	h.Padding = -1
	h.PSKIdentities, h.PSKBinders = nil, nil
	n := len(h.Marshal())
	if c.session != nil {
		// identities and binders: 2+2+len(ticket)+4 + 2+1+hash length
		n += 4 + 2 + 2 + len(c.session.Ticket) + 4 + 2 + 1 + c.session.Suite.Hash.Size()
	}
	if n > 255 && n < 512 && !h.Datagram {
		pad := 512 - n - 4
		if pad < 1 {
			pad = 1
		}
		h.Padding = pad
	}
	if c.session != nil {
		c.addPSK()
		return
	}
	if h.Padding >= 0 {
		h.Raw = wire.AppendPadding(h.Raw, h.Padding)
	}
}

// Handle consumes one handshake message.
func (c *Client) Handle(level Level, msg []byte) ([]Action, error) {
	return c.handleMessage(level, msg, c.handle)
}

func (c *Client) handle(level Level, msg []byte) error {
	typ := msg[0]
	var err error
	if c.v12 != nil {
		// A ServerHello chose TLS 1.2: its handshaker has the rest.
		return c.v12.handle(level, typ, msg)
	}
	switch c.state {
	case cWaitServerHello:
		if typ == wire.TypeHelloVerifyRequest && c.cfg.variant().datagram && !c.sawHVR && !c.sawHRR {
			if err = checkLevel(level, LevelInitial, typ); err == nil {
				err = c.readHelloVerifyRequest(msg)
			}
			break
		}
		if typ != wire.TypeServerHello {
			return unexpected(typ, "ServerHello")
		}
		if err = checkLevel(level, LevelInitial, typ); err == nil {
			err = c.readServerHello(msg)
		}
	case cWaitEncryptedExtensions:
		if typ != wire.TypeEncryptedExtensions {
			return unexpected(typ, "EncryptedExtensions")
		}
		if err = checkLevel(level, LevelHandshake, typ); err == nil {
			err = c.readEncryptedExtensions(msg)
		}
	case cWaitCertOrCertRequest, cWaitCert:
		if err = checkLevel(level, LevelHandshake, typ); err != nil {
			break
		}
		switch {
		case typ == wire.TypeCertificateRequest && c.state == cWaitCertOrCertRequest:
			err = c.readCertificateRequest(msg)
		case typ == wire.TypeCertificate:
			err = c.readCertificate(msg)
		default:
			return unexpected(typ, "Certificate")
		}
	case cWaitCertVerify:
		if typ != wire.TypeCertificateVerify {
			return unexpected(typ, "CertificateVerify")
		}
		if err = checkLevel(level, LevelHandshake, typ); err == nil {
			err = c.readCertificateVerify(msg)
		}
	case cWaitFinished:
		if typ != wire.TypeFinished {
			return unexpected(typ, "Finished")
		}
		if err = checkLevel(level, LevelHandshake, typ); err == nil {
			err = c.readFinished(msg)
		}
	case cConnected:
		if err = checkLevel(level, LevelApplication, typ); err != nil {
			break
		}
		switch typ {
		case wire.TypeNewSessionTicket:
			err = c.readNewSessionTicket(msg)
		case wire.TypeKeyUpdate:
			err = c.handleKeyUpdate(msg, &c.serverApp)
		case wire.TypeCertificateRequest:
			if c.phaTranscript == nil {
				// RFC 8446 section 4.6.2: without post_handshake_auth
				// offered, a CertificateRequest is unexpected_message.
				return unexpected(typ, "NewSessionTicket or KeyUpdate")
			}
			err = c.answerPostHandshakeAuth(msg)
		default:
			return unexpected(typ, "NewSessionTicket, KeyUpdate or CertificateRequest")
		}
	default:
		return unexpected(typ, "nothing")
	}
	return err
}

// readServerHello handles ServerHello or HelloRetryRequest (RFC 8446
// section 4.1.3 and 4.1.4).
func (c *Client) readServerHello(msg []byte) error {
	var sh wire.ServerHello
	if err := sh.Unmarshal(msg); err != nil {
		return err
	}
	if sh.SupportedVersion == 0 {
		// No supported_versions: the server speaks TLS 1.2 or older.
		if c.sawHRR {
			return fail(wire.AlertIllegalParameter, "TLS 1.2 ServerHello after a HelloRetryRequest")
		}
		if !c.cfg.offers(gen12) || len(c.cfg.CipherSuites12) == 0 {
			return fail(wire.AlertProtocolVersion, "server chose %s; only TLS 1.3 was offered", wire.VersionName(sh.Vers))
		}
		return c.readServerHello12(&sh)
	}
	if c.sawHRR && sh.SupportedVersion != c.st.Version {
		// RFC 8446 section 4.1.4: the version the HelloRetryRequest
		// selected must be kept.
		return fail(wire.AlertIllegalParameter, "ServerHello version %s differs from the HelloRetryRequest's", wire.VersionName(sh.SupportedVersion))
	}
	if c.cfg.variant().gen(sh.SupportedVersion) != gen13 || !slices.Contains(c.hello.SupportedVersions, sh.SupportedVersion) {
		return fail(wire.AlertIllegalParameter, "server selected %s, which was not offered", wire.VersionName(sh.SupportedVersion))
	}
	if !c.cfg.variant().datagram && sh.Vers <= wire.VersionSSL30 {
		// RFC 8446 appendix D.5.
		return fail(wire.AlertProtocolVersion, "ServerHello legacy_version %s (RFC 8446 D.5)", wire.VersionName(sh.Vers))
	}
	if sh.Vers != c.cfg.variant().legacyVersion {
		return fail(wire.AlertIllegalParameter, "ServerHello legacy_version %s", wire.VersionName(sh.Vers))
	}
	if !bytes.Equal(sh.SessionID, c.hello.SessionID) {
		return fail(wire.AlertIllegalParameter, "server did not echo the legacy session ID")
	}
	if sh.Compression != 0 {
		// RFC 8446 4.1.3: legacy_compression_method MUST be 0; no alert
		// is named, and decode_error is what crypto/tls and BoringSSL send.
		return fail(wire.AlertDecodeError, "server chose compression method %d", sh.Compression)
	}
	if !slices.Contains(c.hello.CipherSuites, sh.CipherSuite) {
		return fail(wire.AlertIllegalParameter, "server chose cipher suite %s, which was not offered", wire.SuiteName(sh.CipherSuite))
	}
	s := suite.ByID(sh.CipherSuite)
	if s == nil || !s.TLS13 {
		return fail(wire.AlertIllegalParameter, "server chose cipher suite %s for TLS 1.3", wire.SuiteName(sh.CipherSuite))
	}
	if c.sawHRR && s != c.st.Suite {
		return fail(wire.AlertIllegalParameter, "ServerHello cipher suite differs from the HelloRetryRequest's")
	}
	hrr := sh.IsHelloRetryRequest()
	if err := c.checkExtensions(wire.TypeServerHello, hrr, sh.Extensions); err != nil {
		return err
	}
	c.st.Version = sh.SupportedVersion
	c.st.Suite = s
	if hrr {
		return c.readHelloRetryRequest(&sh)
	}
	c.serverRandom = sh.Random
	if !c.sawHRR {
		c.transcript.SetHash(s.Hash)
	}
	c.transcript.Write(msg)
	var psk keysched.PSK
	if sh.HasSelectedPSK {
		// Only one identity is ever offered (RFC 8446 section 4.2.11).
		if c.session == nil || sh.SelectedPSK != 0 {
			return fail(wire.AlertIllegalParameter, "server selected PSK identity %d of %d offered", sh.SelectedPSK, len(c.hello.PSKIdentities))
		}
		if s.Hash != c.session.Suite.Hash {
			return fail(wire.AlertIllegalParameter, "server resumed with a suite of another hash")
		}
		psk = c.psk
		c.st.Resumed = true
		c.st.PeerChain = c.session.PeerChain
		c.st.OCSP, c.st.SCTs = c.session.OCSP, c.session.SCTs
		if c.st.PeerChain != nil {
			_, certs, err := parseChain(entries(c.st.PeerChain))
			if err != nil {
				return err
			}
			c.st.PeerCertificates = certs
		}
	}
	if sh.KeyShare.Group == 0 {
		if psk != nil && slices.Contains(c.hello.PSKModes, wire.PSKModeKE) {
			// psk_ke: no (EC)DHE.
			c.st.Group = 0
			c.shares = nil
			c.handshakeSecretsPSK(psk, nil)
			c.readKey(LevelHandshake, c.serverHS)
			c.compatCCS()
			c.writeKey(LevelHandshake, c.clientHS)
			c.state = cWaitEncryptedExtensions
			return nil
		}
		return fail(wire.AlertMissingExtension, "ServerHello without key_share")
	}
	var priv *kex.Private
	for _, p := range c.shares {
		if p.Group == sh.KeyShare.Group {
			priv = p
		}
	}
	if priv == nil {
		return fail(wire.AlertIllegalParameter, "server key share for %s, which was not offered", wire.GroupName(sh.KeyShare.Group))
	}
	shared, err := priv.Shared(sh.KeyShare.Data)
	if err != nil {
		return fail(wire.AlertIllegalParameter, "server key share for %s: %v", wire.GroupName(sh.KeyShare.Group), err)
	}
	c.st.Group = sh.KeyShare.Group
	c.shares = nil
	c.handshakeSecretsPSK(psk, shared)
	c.readKey(LevelHandshake, c.serverHS)
	// Our handshake write key goes in now, so that an alert raised while
	// reading the server's flight is protected as the server expects; in
	// compatibility mode the CCS goes first, so that no protected record
	// of ours precedes it (RFC 8446 D.4 allows it right after
	// ServerHello).
	c.compatCCS()
	c.writeKey(LevelHandshake, c.clientHS)
	c.state = cWaitEncryptedExtensions
	return nil
}

// checkExtensions applies RFC 8446 section 4.2 to the extensions of a
// server's TLS 1.3 message, one rule for every message: a response to an
// extension we did not send is unsupported_extension; one we sent that
// may not appear in this message (the table in internal/wire) is
// illegal_parameter. A HelloRetryRequest's cookie is the one extension a
// server starts (RFC 8446 4.2.2).
func (c *Client) checkExtensions(msg uint8, hrr bool, exts []wire.Extension) error {
	for _, e := range exts {
		t := e.Type
		switch {
		case !(hrr && t == wire.ExtCookie) && !c.sentExtension(t):
			return fail(wire.AlertUnsupportedExtension, "server sent %s, which was not offered", wire.ExtName(t))
		case !wire.ExtensionAllowed(t, msg, hrr):
			return fail(wire.AlertIllegalParameter, "%s not allowed in %s", wire.ExtName(t), wire.HandshakeName(msg))
		}
	}
	return nil
}

// sentExtension reports whether our last ClientHello carried extension t:
// read from the hello as marshalled, so that no second list of rules can
// disagree with what went on the wire.
func (c *Client) sentExtension(t uint16) bool {
	if c.sentExts == nil {
		c.sentExts = helloExtensionTypes(c.hello.Raw, c.cfg.variant().datagram)
	}
	return slices.Contains(c.sentExts, t)
}

// readHelloRetryRequest answers a HelloRetryRequest with ClientHello2
// (RFC 8446 section 4.1.4).
func (c *Client) readHelloRetryRequest(hrr *wire.ServerHello) error {
	if c.sawHRR {
		return fail(wire.AlertUnexpectedMessage, "second HelloRetryRequest")
	}
	c.sawHRR = true
	c.st.HelloRetry = true
	g := hrr.SelectedGroup
	if g == 0 && len(hrr.Cookie) == 0 {
		return fail(wire.AlertIllegalParameter, "HelloRetryRequest would not change the ClientHello")
	}
	// Transcript: message_hash(Hash(ClientHello1)) || HelloRetryRequest.
	h := c.st.Suite.Hash.New()
	h.Write(c.transcript.Buffered())
	c.transcript.Reset(c.st.Suite.Hash, wire.MessageHash(h.Sum(nil)))
	c.transcript.Write(hrr.Raw)

	ch := c.hello
	if g != 0 {
		if !slices.Contains(ch.SupportedGroups, g) {
			return fail(wire.AlertIllegalParameter, "HelloRetryRequest asks for %s, which was not offered", wire.GroupName(g))
		}
		for _, ks := range ch.KeyShares {
			if ks.Group == g {
				return fail(wire.AlertIllegalParameter, "HelloRetryRequest asks for %s, for which a share was sent", wire.GroupName(g))
			}
		}
		shares, err := kex.Generate([]uint16{g}, c.cfg.Rand)
		if err != nil {
			return fail(wire.AlertInternalError, "%v", err)
		}
		c.shares = shares
		ch.KeyShares = []wire.KeyShare{{Group: g, Data: shares[0].Public()}}
	}
	ch.Cookie = append([]byte(nil), hrr.Cookie...)
	ch.EarlyData = false
	if c.session != nil && c.session.Suite.Hash != c.st.Suite.Hash {
		// The ticket cannot be used with this suite: offer none
		// (RFC 8446 section 4.1.4).
		c.session = nil
		ch.PSKIdentities, ch.PSKBinders = nil, nil
	}
	c.marshalHello()
	c.sentExts = nil
	if c.compat() && !c.sentCCS {
		c.sentCCS = true
		c.acts = append(c.acts, Action{Kind: ActSendCCS})
	}
	c.send(LevelInitial, ch.Raw)
	return nil
}

func (c *Client) readEncryptedExtensions(msg []byte) error {
	var ee wire.EncryptedExtensions
	if err := ee.Unmarshal(msg); err != nil {
		return err
	}
	if err := c.checkExtensions(wire.TypeEncryptedExtensions, false, ee.Extensions); err != nil {
		return err
	}
	if ee.ALPN != "" {
		if !slices.Contains(c.hello.ALPN, ee.ALPN) {
			return fail(wire.AlertIllegalParameter, "server chose ALPN protocol %q, which was not offered", ee.ALPN)
		}
		c.st.ALPN = ee.ALPN
	}
	if c.cfg.Variant == QUIC {
		tp, ok := wire.FindExtension(ee.Extensions, wire.ExtQUICTransportParameters)
		if !ok {
			// RFC 9001 section 8.2.
			return fail(wire.AlertMissingExtension, "server sent no quic_transport_parameters")
		}
		c.st.ext().PeerTransportParams = bytes.Clone(tp)
		if ee.ALPN == "" {
			// RFC 9001 section 8.1.
			return fail(wire.AlertNoApplicationProtocol, "server chose no application protocol, which QUIC requires")
		}
	}
	c.st.ServerName = c.cfg.ServerName
	c.transcript.Write(msg)
	c.state = cWaitCertOrCertRequest
	if c.st.Resumed {
		// The PSK authenticates the server (RFC 8446 section 2.2).
		c.state = cWaitFinished
	}
	return nil
}

func (c *Client) readCertificateRequest(msg []byte) error {
	cr := new(wire.CertificateRequest)
	if err := cr.Unmarshal(msg); err != nil {
		return err
	}
	if len(cr.Context) != 0 {
		// RFC 8446 section 4.3.2: zero length during the handshake.
		return fail(wire.AlertIllegalParameter, "CertificateRequest context in the handshake")
	}
	cr.SigSchemes = append([]uint16(nil), cr.SigSchemes...)
	cas := make([][]byte, len(cr.CertAuthorities))
	for i, ca := range cr.CertAuthorities {
		cas[i] = append([]byte(nil), ca...)
	}
	cr.CertAuthorities = cas
	// Nothing else of the message is kept: its bytes do not outlive this
	// call (the context was checked empty).
	cr.Raw, cr.Context = nil, nil
	c.certReq = cr
	c.st.CertRequested = true
	c.transcript.Write(msg)
	c.state = cWaitCert
	return nil
}

func (c *Client) readCertificate(msg []byte) error {
	var cm wire.Certificate
	if err := cm.Unmarshal(msg); err != nil {
		return err
	}
	if len(cm.Context) != 0 {
		return fail(wire.AlertIllegalParameter, "server Certificate with a request context")
	}
	if len(cm.Entries) == 0 {
		// RFC 8446 section 4.4.2.4.
		return fail(wire.AlertDecodeError, "server sent no certificate")
	}
	for _, e := range cm.Entries {
		// RFC 8446 section 4.4.2: a server's certificate extensions
		// answer ones the ClientHello carried.
		if err := c.checkExtensions(wire.TypeCertificate, false, e.Extensions); err != nil {
			return err
		}
	}
	raw, certs, err := parseChain(cm.Entries)
	if err != nil {
		return err
	}
	c.st.PeerChain, c.st.PeerCertificates = raw, certs
	c.st.OCSP = append([]byte(nil), cm.Entries[0].OCSP...)
	for _, s := range cm.Entries[0].SCTs {
		c.st.SCTs = append(c.st.SCTs, append([]byte(nil), s...))
	}
	c.transcript.Write(msg)
	c.state = cWaitCertVerify
	return nil
}

func (c *Client) readCertificateVerify(msg []byte) error {
	var cv wire.CertificateVerify
	if err := cv.Unmarshal(msg); err != nil {
		return err
	}
	if err := verifyCertificateVerify(&c.common, &cv, true); err != nil {
		return err
	}
	c.st.SignatureScheme = cv.Scheme
	if err := c.verifyPeer(); err != nil {
		return err
	}
	c.transcript.Write(msg)
	c.state = cWaitFinished
	return nil
}

// verifyCertificateVerify checks a peer's CertificateVerify over the
// transcript so far (RFC 8446 section 4.4.3).
func verifyCertificateVerify(c *common, cv *wire.CertificateVerify, fromServer bool) error {
	if !slices.Contains(sig.Only13(c.cfg.SigSchemes), cv.Scheme) {
		// RSA PKCS #1 v1.5 is offered for TLS 1.2 only (RFC 8446 section
		// 4.2.3): in TLS 1.3 it was not offered.
		return fail(wire.AlertIllegalParameter, "peer signed with %s, which was not offered", wire.SchemeName(cv.Scheme))
	}
	content := sig.Content13(fromServer, c.transcript.Sum())
	if err := sig.Verify(c.st.PeerCertificates[0].PublicKey, cv.Scheme, content, cv.Signature); err != nil {
		return fail(wire.AlertDecryptError, "CertificateVerify: %v", err)
	}
	return nil
}

func (c *Client) readFinished(msg []byte) error {
	var fin wire.Finished
	if err := fin.Unmarshal(msg); err != nil {
		return err
	}
	if len(fin.VerifyData) != c.hashLen() {
		return fail(wire.AlertDecodeError, "Finished of %d bytes, want %d", len(fin.VerifyData), c.hashLen())
	}
	if !hmac.Equal(fin.VerifyData, c.finished(c.serverHS)) {
		return fail(wire.AlertDecryptError, "server Finished does not verify")
	}
	if c.st.Resumed {
		if err := c.verifyPeer(); err != nil {
			return err
		}
	}
	c.transcript.Write(msg)
	c.appSecrets()
	c.readKey(LevelApplication, c.serverApp)

	// The client's second flight.
	if c.compat() && !c.sentCCS {
		c.sentCCS = true
		c.acts = append(c.acts, Action{Kind: ActSendCCS})
	}
	if c.certReq != nil {
		if err := c.sendClientCertificate(); err != nil {
			return err
		}
	}
	c.send(LevelHandshake, (&wire.Finished{VerifyData: c.finished(c.clientHS)}).Marshal())
	if c.cfg.PostHandshakeAuth {
		c.phaTranscript = c.transcript.Clone()
	}
	c.writeKey(LevelApplication, c.clientApp)
	c.st.ResumptionSecret = c.resumptionSecret()
	c.acts = append(c.acts, Action{Kind: ActDone})
	c.done = true
	c.state = cConnected
	c.releaseHandshake()
	c.hello, c.shares, c.certReq = nil, nil, nil
	c.session, c.session12, c.psk = nil, nil, nil
	return nil
}

// chooseCertificate asks for the client's certificate for a request
// (during a TLS 1.3 or 1.2 handshake, or after one) and the scheme to
// sign with, picked by pick from the schemes the server accepts. nil when
// there is none or none the server accepts: an empty Certificate goes.
func (c *Client) chooseCertificate(schemes []uint16, cas [][]byte, types []uint8, pick func(*Certificate, []uint16) (uint16, error)) (*Certificate, uint16, error) {
	if c.cfg.GetClientCertificate == nil {
		return nil, 0, nil
	}
	cert, err := c.cfg.GetClientCertificate(&CertRequestInfo{SignatureSchemes: schemes, AcceptableCAs: cas, CertTypes: types, TLS12: c.v12 != nil})
	if err != nil {
		return nil, 0, fail(wire.AlertInternalError, "client certificate: %v", err)
	}
	if cert == nil || len(cert.Chain) == 0 {
		return nil, 0, nil
	}
	scheme, err := pick(cert, schemes)
	if err != nil || !FitsCertTypes(cert, types) {
		return nil, 0, nil // nothing the server accepts: send none
	}
	return cert, scheme, nil
}

func (c *Client) sendClientCertificate() error {
	cert, scheme, err := c.chooseCertificate(c.certReq.SigSchemes, c.certReq.CertAuthorities, nil, Pick13)
	if err != nil {
		return err
	}
	cm := wire.Certificate{Context: c.certReq.Context}
	if cert != nil {
		for _, d := range cert.Chain {
			cm.Entries = append(cm.Entries, wire.CertificateEntry{Data: d})
		}
	}
	c.send(LevelHandshake, cm.Marshal())
	if cert == nil || len(cert.Chain) == 0 {
		return nil
	}
	c.st.LocalCertificate = cert
	return signCertificateVerify(&c.common, cert, scheme, false)
}

// signCertificateVerify signs the transcript and sends CertificateVerify.
func signCertificateVerify(c *common, cert *Certificate, scheme uint16, server bool) error {
	content := sig.Content13(server, c.transcript.Sum())
	s, err := sig.Sign(cert.Signer, scheme, c.cfg.Rand, content)
	if err != nil {
		return fail(wire.AlertInternalError, "signing CertificateVerify: %v", err)
	}
	c.send(LevelHandshake, (&wire.CertificateVerify{Scheme: scheme, Signature: s}).Marshal())
	return nil
}

func (c *Client) readNewSessionTicket(msg []byte) error {
	var m wire.NewSessionTicket
	if err := m.Unmarshal(msg); err != nil {
		return err
	}
	// RFC 8446 section 4.6.1: lifetime at most seven days; zero means
	// discard at once.
	if m.Lifetime > 7*24*3600 {
		return fail(wire.AlertIllegalParameter, "ticket lifetime %d s exceeds seven days", m.Lifetime)
	}
	if m.Lifetime == 0 {
		return nil
	}
	t := Ticket{
		Ticket:     append([]byte(nil), m.Ticket...),
		Lifetime:   time.Duration(m.Lifetime) * time.Second,
		AgeAdd:     m.AgeAdd,
		Nonce:      append([]byte(nil), m.Nonce...),
		ReceivedAt: c.cfg.now(),
		MaxEarly:   m.MaxEarlyData,

		Suite:            c.st.Suite,
		ResumptionSecret: c.st.ResumptionSecret,
		PeerChain:        chainOf(&c.st),
		OCSP:             c.st.OCSP,
		SCTs:             c.st.SCTs,
		ServerName:       c.cfg.ServerName,
		ALPN:             c.st.ALPN,
		Version:          c.st.Version,
	}
	// The engine keeps no tickets: an idle connection should not hold
	// them when nobody will resume from them.
	if c.cfg.OnTicket != nil {
		c.cfg.OnTicket(&t)
	}
	return nil
}

// UpdateKeys sends a KeyUpdate and moves to the next write secret.
func (c *Client) UpdateKeys(requestPeer bool) ([]Action, error) {
	return c.updateKeys(c.done, requestPeer, &c.clientApp)
}

// SendTicket: a client sends no tickets.
func (c *Client) SendTicket() ([]Action, error) { return nil, ErrServerOnly }

// RequestCertificate: only a server asks for certificates.
func (c *Client) RequestCertificate() ([]Action, error) { return nil, ErrServerOnly }

func isIP(s string) bool {
	for _, r := range s {
		if r == ':' {
			return true
		}
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

// answerPostHandshakeAuth answers a post-handshake CertificateRequest with
// Certificate, CertificateVerify (when there is a certificate) and
// Finished, over the handshake's transcript and the request (RFC 8446
// sections 4.4 and 4.6.2).
func (c *Client) answerPostHandshakeAuth(msg []byte) error {
	var cr wire.CertificateRequest
	if err := cr.Unmarshal(msg); err != nil {
		return err
	}
	if len(cr.Context) == 0 {
		return fail(wire.AlertIllegalParameter, "post-handshake CertificateRequest without a context")
	}
	t := c.phaTranscript.Clone()
	t.Write(msg)
	cert, scheme, err := c.chooseCertificate(cr.SigSchemes, cr.CertAuthorities, nil, Pick13)
	if err != nil {
		return err
	}
	cm := wire.Certificate{Context: cr.Context}
	if cert != nil {
		for _, d := range cert.Chain {
			cm.Entries = append(cm.Entries, wire.CertificateEntry{Data: d})
		}
	}
	m := cm.Marshal()
	t.Write(m)
	c.sendPost(m)
	if cert != nil {
		s, err := sig.Sign(cert.Signer, scheme, c.cfg.Rand, sig.Content13(false, t.Sum()))
		if err != nil {
			return fail(wire.AlertInternalError, "signing CertificateVerify: %v", err)
		}
		m = (&wire.CertificateVerify{Scheme: scheme, Signature: s}).Marshal()
		t.Write(m)
		c.sendPost(m)
	}
	fin := c.clientApp.VerifyData(t.Sum())
	c.sendPost((&wire.Finished{VerifyData: fin}).Marshal())
	return nil
}

// helloExtensionTypes lists the extension types of a marshalled
// ClientHello (with a DTLS cookie field when datagram) (nil if it does not parse, which our own never fails to).
func helloExtensionTypes(raw []byte, datagram bool) []uint16 {
	s := cryptobyte.String(raw)
	var body, skip, exts cryptobyte.String
	if !s.Skip(1) || !s.ReadUint24LengthPrefixed(&body) || !body.Skip(2+32) ||
		!body.ReadUint8LengthPrefixed(&skip) ||
		// DTLS: legacy_cookie (RFC 6347 4.2.1, RFC 9147 5.3).
		datagram && !body.ReadUint8LengthPrefixed(&skip) ||
		!body.ReadUint16LengthPrefixed(&skip) ||
		!body.ReadUint8LengthPrefixed(&skip) || !body.ReadUint16LengthPrefixed(&exts) {
		return []uint16{}
	}
	out := []uint16{}
	for !exts.Empty() {
		var t uint16
		var d cryptobyte.String
		if !exts.ReadUint16(&t) || !exts.ReadUint16LengthPrefixed(&d) {
			break
		}
		out = append(out, t)
	}
	return out
}
