package engine

import (
	"bytes"
	"crypto/hmac"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

type serverState uint8

const (
	sWaitClientHello serverState = iota
	sWaitClientHello2
	sWaitClientCert
	sWaitClientCertVerify
	sWaitClientFinished
	sConnected
)

// Server is the TLS 1.3 server state machine (RFC 8446 section 2).
type Server struct {
	common
	ch1 *wire.ClientHello // kept (copied) across a HelloRetryRequest
	// clientFin: the client's Finished, computed ahead when the tickets
	// went with our flight (ticketsInFlight).
	clientFin []byte
	ch1Raw    []byte
	cookie    []byte
	// retryDigest: a stateless HelloRetryRequest keeps only the digest of
	// what ClientHello2 must repeat, for a ClientHello2 that comes back
	// to this same engine.
	retryDigest [32]byte
	cert        *Certificate
	// notAfter bounds the tickets of this session: the certificate's
	// NotAfter, or a resumed session's own bound.
	notAfter time.Time
	// Post-handshake authentication: the handshake's transcript, and the
	// exchange in progress.
	phaTranscript *keysched.Transcript
	pha           *phaExchange
	// v12 is the TLS 1.2 handshake's state.
	v12 *server12
	// ticketRand holds a ticket's nonce and age_add while it is made.
	ticketRand [12]byte

	// The small fields, packed (the engine fits 896 bytes, not 960).
	state   serverState
	hrrWant uint16 // the group asked for in the HelloRetryRequest
	scheme  uint16
	// ticketsWanted: the client listed a PSK mode we accept, so tickets
	// after the handshake are of use to it.
	ticketsWanted bool
	// ticketsSent: the tickets went with our flight (ticketsInFlight).
	ticketsSent bool
	sentCCS     bool
	// peerVerified: the VerifyPeer callback ran for a client certificate.
	peerVerified bool
}

// NewServer returns a server engine.
func NewServer(cfg *Config) *Server {
	s := &Server{common: newCommon(cfg)}
	s.transcript.Datagram = cfg.variant().datagram
	return s
}

// StartSeq sets the message_seq of the first ClientHello this DTLS server
// engine will handle: 0, or 1 when the transport answered the first with
// a HelloVerifyRequest. The server's own messages continue from it (RFC
// 6347 section 4.2.2: its ServerHello then has message_seq 1).
func (s *Server) StartSeq(seq uint16) { s.inSeq, s.outSeq = seq, seq }

// CCSAllowed: the client may send its CCS after its first ClientHello and
// before its Finished.
func (s *Server) CCSAllowed() bool {
	if s.v12 != nil {
		return s.v12.state == s12WaitCCS
	}
	return s.state > sWaitClientHello && s.state < sConnected || s.state == sWaitClientHello2
}

// Start does nothing for a server: it waits for the ClientHello.
func (s *Server) Start() ([]Action, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	return s.acts, nil
}

// Handle consumes one handshake message.
func (s *Server) Handle(level Level, msg []byte) ([]Action, error) {
	return s.handleMessage(level, msg, s.handle)
}

func (s *Server) handle(level Level, msg []byte) error {
	typ := msg[0]
	if s.v12 != nil {
		// Version negotiation chose TLS 1.2: its handshaker has the rest.
		return s.v12.handle(level, typ, msg)
	}
	var err error
	switch s.state {
	case sWaitClientHello, sWaitClientHello2:
		if typ != wire.TypeClientHello {
			return unexpected(typ, "ClientHello")
		}
		if err = checkLevel(level, LevelInitial, typ); err == nil {
			err = s.readClientHello(msg)
		}
	case sWaitClientCert:
		if typ != wire.TypeCertificate {
			return unexpected(typ, "Certificate")
		}
		if err = checkLevel(level, LevelHandshake, typ); err == nil {
			err = s.readClientCertificate(msg)
		}
	case sWaitClientCertVerify:
		if typ != wire.TypeCertificateVerify {
			return unexpected(typ, "CertificateVerify")
		}
		if err = checkLevel(level, LevelHandshake, typ); err == nil {
			err = s.readClientCertVerify(msg)
		}
	case sWaitClientFinished:
		if typ != wire.TypeFinished {
			return unexpected(typ, "Finished")
		}
		if err = checkLevel(level, LevelHandshake, typ); err == nil {
			err = s.readClientFinished(msg)
		}
	case sConnected:
		if err = checkLevel(level, LevelApplication, typ); err != nil {
			break
		}
		switch {
		case typ == wire.TypeKeyUpdate:
			err = s.handleKeyUpdate(msg, &s.clientApp)
		case s.pha != nil:
			err = s.readPostHandshakeAuth(typ, msg)
		default:
			return unexpected(typ, "KeyUpdate")
		}
	default:
		return unexpected(typ, "nothing")
	}
	return err
}

// hello13 is what the server decided for a TLS 1.3 handshake, step by
// step, from one ClientHello.
type hello13 struct {
	ch        *wire.ClientHello
	msg       []byte
	retry     bool // this is ClientHello2
	suite     *suite.Suite
	sess      *Session // resumed, or nil
	pskIndex  int
	dhe       bool           // (EC)DHE is used: always unless psk_ke
	share     *wire.KeyShare // the client's share we answer
	cert      *Certificate
	scheme    uint16
	alpn      string
	quicTP    []byte
	ourShare  []byte
	shared    []byte
	retrySent bool // a HelloRetryRequest went instead
}

// readClientHello handles ClientHello1 and, after a HelloRetryRequest,
// ClientHello2 (RFC 8446 sections 4.1.2, 4.1.4, 4.2.11 and 9.2), one
// named step per decision, then the server's flight.
func (s *Server) readClientHello(msg []byte) error {
	h := &hello13{ch: new(wire.ClientHello), msg: msg}
	unmarshal := h.ch.Unmarshal
	if s.cfg.variant().datagram {
		unmarshal = h.ch.UnmarshalDatagram
	}
	if err := unmarshal(msg); err != nil {
		return err
	}
	if to12, err := s.routeHello(h); to12 || err != nil {
		return err
	}
	steps := []func(*hello13) error{
		s.checkHello13, s.chooseSuite, s.chooseSession, s.chooseKeyShare,
		s.chooseCertificate13, s.chooseApplication, s.keyExchange,
	}
	for _, step := range steps {
		if err := step(h); err != nil || h.retrySent {
			return err
		}
	}
	s.record13(h)
	if err := s.sendServerHello(h); err != nil {
		return err
	}
	s.sendEncryptedExtensions(h)
	if h.sess == nil {
		if err := s.sendCertificate13(h); err != nil {
			return err
		}
	}
	return s.sendServerFinished()
}

// routeHello places a ClientHello: the second of a stateless retry (its
// state rebuilt from the cookie), the second of a retry (checked against
// the first), or a first one whose version is negotiated here; TLS 1.2
// goes to its handshaker (to12).
func (s *Server) routeHello(h *hello13) (to12 bool, err error) {
	if s.state == sWaitClientHello && len(h.ch.Cookie) > 0 && s.statelessRetry() {
		if err := s.resumeRetry(h.ch); err != nil {
			return false, err
		}
	}
	h.retry = s.state == sWaitClientHello2
	if h.retry {
		return false, s.checkSecondHello(h.ch)
	}
	v, err := s.negotiateVersion(h.ch)
	if err != nil {
		return false, err
	}
	if s.cfg.variant().gen(v) == gen12 {
		return true, s.readClientHello12(h.ch, h.msg)
	}
	return false, nil
}

// chooseSuite takes our most preferred TLS 1.3 suite the client offers;
// after a HelloRetryRequest it must be the same one (RFC 8446 4.1.4).
func (s *Server) chooseSuite(h *hello13) error {
	h.suite = s.pickSuite(h.ch.CipherSuites)
	if h.suite == nil {
		return fail(wire.AlertHandshakeFailure, "no TLS 1.3 cipher suite in common")
	}
	if h.retry && h.suite != s.st.Suite {
		return fail(wire.AlertIllegalParameter, "cipher suite changed after HelloRetryRequest")
	}
	return nil
}

// chooseSession resumes with the first offered ticket that opens, fits
// and whose binder verifies, and notes whether tickets are of use to this
// client: only if it listed a PSK mode we accept (RFC 8446 4.2.9).
func (s *Server) chooseSession(h *hello13) error {
	sess, i, dhe, err := s.pickSession(h.ch, h.suite, h.msg)
	if err != nil {
		return err
	}
	h.sess, h.pskIndex, h.dhe = sess, i, dhe
	s.ticketsWanted = slices.Contains(h.ch.PSKModes, wire.PSKModeDHEKE) ||
		(slices.Contains(h.ch.PSKModes, wire.PSKModeKE) && s.cfg.PSKWithoutDHE)
	return nil
}

// chooseKeyShare answers the client's share for our most preferred group
// it sent one for; without one, a HelloRetryRequest asks for our most
// preferred group it supports (RFC 8446 4.1.1, 4.2.8).
func (s *Server) chooseKeyShare(h *hello13) error {
	if !h.dhe {
		return nil // psk_ke: no (EC)DHE
	}
	if h.share = s.pickShare(h.ch); h.share != nil {
		return nil
	}
	if h.retry {
		return fail(wire.AlertIllegalParameter, "ClientHello2 has no share for %s", wire.GroupName(s.hrrWant))
	}
	for _, g := range s.cfg.Groups {
		if slices.Contains(h.ch.SupportedGroups, g) {
			h.retrySent = true
			return s.helloRetry(h.ch, h.suite, g)
		}
	}
	return fail(wire.AlertHandshakeFailure, "no key exchange group in common (client offers %s)", groupNames(h.ch.SupportedGroups))
}

// chooseCertificate13 picks the certificate and signature scheme, unless
// a PSK authenticates the server.
func (s *Server) chooseCertificate13(h *hello13) error {
	if h.sess != nil {
		s.notAfter = h.sess.ExpiresAt
		return nil
	}
	cert, err := s.certificateFor(HelloInfoOf(h.ch, h.ch.SupportedVersions, h.retry))
	if err != nil {
		return err
	}
	if h.scheme, err = Pick13(cert, h.ch.SigSchemes); err != nil {
		return fail(wire.AlertHandshakeFailure, "%v", err)
	}
	h.cert = cert
	s.cert, s.scheme, s.notAfter = cert, h.scheme, cert.NotAfter
	return nil
}

// certificateFor asks the Config's GetCertificate for a ClientHello.
func (s *Server) certificateFor(h *HelloInfo) (*Certificate, error) {
	cert, err := s.cfg.GetCertificate(h)
	if err != nil {
		if we, ok := err.(*wire.Error); ok {
			return nil, we
		}
		return nil, fail(wire.AlertHandshakeFailure, "no certificate: %v", err)
	}
	if cert == nil || len(cert.Chain) == 0 {
		return nil, fail(wire.AlertHandshakeFailure, "no certificate for %q", h.ServerName)
	}
	return cert, nil
}

// chooseApplication agrees on ALPN (RFC 7301 3.2), which QUIC requires
// (RFC 9001 8.1), and takes QUIC's transport parameters (8.2).
func (s *Server) chooseApplication(h *hello13) error {
	var err error
	if h.alpn, err = s.pickALPN(h.ch); err != nil {
		return err
	}
	if s.cfg.Variant != QUIC {
		return nil
	}
	if h.alpn == "" {
		return fail(wire.AlertNoApplicationProtocol, "no application protocol agreed, which QUIC requires (client offers %q)", h.ch.ALPN)
	}
	tp, ok := wire.FindExtension(h.ch.Extensions, wire.ExtQUICTransportParameters)
	if !ok {
		return fail(wire.AlertMissingExtension, "client sent no quic_transport_parameters (RFC 9001 8.2)")
	}
	s.st.ext().PeerTransportParams = bytes.Clone(tp)
	h.quicTP = s.cfg.TransportParams
	if s.cfg.QUICParams != nil {
		if h.quicTP, err = s.cfg.QUICParams(s.st.X().PeerTransportParams); err != nil {
			return fail(wire.AlertInternalError, "transport parameters: %v", err)
		}
	}
	return nil
}

// keyExchange answers the client's share.
func (s *Server) keyExchange(h *hello13) error {
	if h.share == nil {
		return nil
	}
	var err error
	if h.ourShare, h.shared, err = kex.Respond(h.share.Group, s.cfg.Rand, h.share.Data); err != nil {
		return fail(wire.AlertIllegalParameter, "client key share for %s: %v", wire.GroupName(h.share.Group), err)
	}
	s.st.Group = h.share.Group
	return nil
}

// record13 writes the decisions into the negotiated state.
func (s *Server) record13(h *hello13) {
	ch := h.ch
	s.st.Version = s.cfg.variant().v13
	s.st.Suite = h.suite
	s.st.ALPN = h.alpn
	s.st.ServerName = ch.ServerName
	s.clientRandom = ch.Random
	s.st.SignatureScheme = h.scheme
	s.st.LocalCertificate = h.cert
	s.st.EarlyDataOffered = ch.EarlyData
	s.st.PostHandshakeAuth = ch.PostHandshakeAuth
	s.st.PeerRecordLimit = ch.RecordSizeLimit
}

// sendServerHello sends ServerHello (and the compatibility CCS), then
// derives the handshake secrets and installs our handshake write key.
func (s *Server) sendServerHello(h *hello13) error {
	v := s.cfg.variant()
	sh := wire.ServerHello{
		Vers:             v.legacyVersion,
		SessionID:        h.ch.SessionID,
		CipherSuite:      h.suite.ID,
		SupportedVersion: v.v13,
	}
	if h.share != nil {
		sh.KeyShare = wire.KeyShare{Group: h.share.Group, Data: h.ourShare}
	}
	var psk keysched.PSK
	if h.sess != nil {
		sh.SelectedPSK, sh.HasSelectedPSK = uint16(h.pskIndex), true
		psk = h.sess.PSK(h.suite, s.cfg.variant().keys)
		s.st.Resumed = true
		if len(h.sess.PeerChain) > 0 {
			var err error
			if s.st.PeerChain, s.st.PeerCertificates, err = parseChain(entries(h.sess.PeerChain)); err != nil {
				return err
			}
		}
	}
	if err := readRandom(s.cfg.Rand, sh.Random[:]); err != nil {
		return err
	}
	s.serverRandom = sh.Random
	if !h.retry {
		s.transcript.SetHash(h.suite.Hash)
	}
	s.transcript.Write(h.msg)
	s.send(LevelInitial, sh.Marshal())
	if v.compatCCS && !s.sentCCS {
		// Middlebox compatibility (RFC 8446 appendix D.4): the server
		// sends its dummy CCS after its first message whatever session
		// ID the client sent, as BoringSSL and crypto/tls do.
		s.sentCCS = true
		s.acts = append(s.acts, Action{Kind: ActSendCCS})
	}
	s.handshakeSecretsPSK(psk, h.shared)
	s.writeKey(LevelHandshake, s.serverHS)
	return nil
}

func (s *Server) sendEncryptedExtensions(h *hello13) {
	ee := wire.EncryptedExtensions{ALPN: h.alpn, ServerNameAck: h.ch.ServerName != "" && h.sess == nil}
	if h.ch.RecordSizeLimit != 0 && s.cfg.Variant != QUIC {
		// RFC 8449 section 4: TLS 1.3 counts the content type byte.
		// (QUIC has no TLS records: RFC 9001 8.4 forbids the
		// extension's use there.)
		ee.RecordSizeLimit = 1<<14 + 1
	}
	if s.cfg.Variant == QUIC {
		ee.Extra = []wire.Extension{{Type: wire.ExtQUICTransportParameters, Data: h.quicTP}}
	}
	s.send(LevelHandshake, ee.Marshal())
}

// sendCertificate13 sends [CertificateRequest], Certificate (with the
// OCSP staple and SCTs when asked for) and CertificateVerify.
func (s *Server) sendCertificate13(h *hello13) error {
	if s.cfg.RequestClientCert {
		cr := wire.CertificateRequest{SigSchemes: sig.Only13(s.cfg.SigSchemes), SigSchemesCert: sig.CertSchemes(), CertAuthorities: s.cfg.ClientCAs}
		s.send(LevelHandshake, cr.Marshal())
		s.st.CertRequested = true
	}
	cm := wire.Certificate{}
	for i, d := range h.cert.Chain {
		e := wire.CertificateEntry{Data: d}
		if i == 0 {
			if h.ch.StatusRequest {
				e.OCSP = h.cert.OCSP
			}
			if h.ch.SCT {
				e.SCTs = h.cert.SCTs
			}
		}
		cm.Entries = append(cm.Entries, e)
	}
	s.send(LevelHandshake, cm.Marshal())
	return signCertificateVerify(&s.common, h.cert, h.scheme, true)
}

// sendServerFinished ends the server's flight: Finished, the application
// secrets, and the wait for the client's flight.
func (s *Server) sendServerFinished() error {
	s.send(LevelHandshake, (&wire.Finished{VerifyData: s.finished(s.serverHS)}).Marshal())
	s.appSecrets()
	s.writeKey(LevelApplication, s.serverApp)
	s.readKey(LevelHandshake, s.clientHS)
	if s.st.EarlyDataOffered {
		s.acts = append(s.acts, Action{Kind: ActSkipEarlyData})
	}
	if s.st.CertRequested {
		s.state = sWaitClientCert
		return nil
	}
	s.state = sWaitClientFinished
	return s.ticketsInFlight()
}

// ticketsInFlight sends the tickets right after the server's Finished
// when the client's second flight can only be its Finished: no
// certificate was requested, and early data, if offered, was declined
// (this server never accepts it), so no EndOfEarlyData comes either. RFC
// 8446 section 4.6.1 lets a server that does not request client
// authentication compute the rest of the transcript itself; the client
// reads them once its handshake is done. readClientFinished still checks
// the Finished the client really sends against the same value.
func (s *Server) ticketsInFlight() error {
	if !s.cfg.TicketsInFlight || s.cfg.Variant != TLS || s.cfg.Tickets <= 0 || !s.ticketsWanted || s.cfg.SealTicket == nil {
		return nil
	}
	s.clientFin = s.finished(s.clientHS)
	fin := (&wire.Finished{VerifyData: s.clientFin}).Marshal()
	s.st.ResumptionSecret = s.master.Resumption(s.transcript.SumWith(0, fin)).Secret
	for i := 0; i < s.cfg.Tickets; i++ {
		if err := s.sendTicket(); err != nil {
			return err
		}
	}
	s.ticketsSent = true
	return nil
}

// checkHello13 applies the ClientHello rules of RFC 8446 sections 4.1.2,
// 4.2 and 9.2 that do not depend on the server's choices.
func (s *Server) checkHello13(h *hello13) error {
	ch := h.ch
	v := s.cfg.variant()
	if !slices.Contains(ch.SupportedVersions, v.v13) {
		return fail(wire.AlertProtocolVersion, "ClientHello2 no longer offers %s", wire.VersionName(v.v13))
	}
	if len(ch.SessionID) > 0 && !v.sessionIDAllowed {
		// RFC 9001 section 8.4.
		return fail(wire.AlertIllegalParameter, "non-empty legacy_session_id over %s", s.cfg.Variant)
	}
	if len(ch.Compression) != 1 || ch.Compression[0] != 0 {
		return fail(wire.AlertIllegalParameter, "TLS 1.3 ClientHello with compression methods %v", ch.Compression)
	}
	psk := len(ch.PSKIdentities) > 0
	if psk && len(ch.PSKModes) == 0 {
		return fail(wire.AlertMissingExtension, "pre_shared_key without psk_key_exchange_modes")
	}
	if !psk && len(ch.SigSchemes) == 0 {
		return fail(wire.AlertMissingExtension, "ClientHello without signature_algorithms")
	}
	if ch.HasKeyShare != (len(ch.SupportedGroups) > 0) || (!psk && !ch.HasKeyShare) {
		return fail(wire.AlertMissingExtension, "ClientHello without key_share or supported_groups")
	}
	for i, ks := range ch.KeyShares {
		if !slices.Contains(ch.SupportedGroups, ks.Group) {
			return fail(wire.AlertIllegalParameter, "key share for %s, which is not in supported_groups", wire.GroupName(ks.Group))
		}
		for _, other := range ch.KeyShares[:i] {
			if other.Group == ks.Group {
				return fail(wire.AlertIllegalParameter, "two key shares for %s", wire.GroupName(ks.Group))
			}
		}
	}
	return nil
}

// pickShare returns the client's share for the most preferred group.
func (s *Server) pickShare(ch *wire.ClientHello) *wire.KeyShare {
	for _, g := range s.cfg.Groups {
		for i := range ch.KeyShares {
			if ch.KeyShares[i].Group == g {
				return &ch.KeyShares[i]
			}
		}
	}
	return nil
}

// pickSession tries the offered PSKs (RFC 8446 section 4.2.11). A ticket
// that does not open, has expired, was made for another suite hash or
// name, or whose age is off is passed over: a full handshake follows,
// never a failure. A binder that does not verify is decrypt_error.
// dhe reports whether (EC)DHE is used: always without a session.
func (s *Server) pickSession(ch *wire.ClientHello, st *suite.Suite, msg []byte) (*Session, int, bool, error) {
	if len(ch.PSKIdentities) == 0 || s.cfg.OpenTicket == nil {
		return nil, 0, true, nil
	}
	dhe := slices.Contains(ch.PSKModes, wire.PSKModeDHEKE) && ch.HasKeyShare
	if !dhe && !(slices.Contains(ch.PSKModes, wire.PSKModeKE) && s.cfg.PSKWithoutDHE) {
		return nil, 0, true, nil
	}
	now := s.cfg.now()
	for i, id := range ch.PSKIdentities {
		if i >= maxPSKIdentities {
			break
		}
		plain, err := s.cfg.OpenTicket(id.Identity)
		if err != nil {
			continue
		}
		sess, err := ParseSession(plain)
		if err != nil || s.cfg.variant().gen(sess.Version) != gen13 {
			continue
		}
		if orig := suite.ByID(sess.Suite); orig == nil || orig.Hash != st.Hash {
			continue
		}
		if !now.Before(sess.ExpiresAt) || !ticketAgeOK(id.ObfuscatedTicketAge, sess.AgeAdd, sess.CreatedAt, now) {
			continue
		}
		if sess.ServerName != ch.ServerName {
			continue
		}
		if s.cfg.RequireClientCert && len(sess.PeerChain) == 0 {
			// That session did not authenticate the client.
			continue
		}
		want := binder(s.cfg.variant().keys, sess.PSK(st, s.cfg.variant().keys), binderHash(&s.transcript, st, msg, bindersLen(ch.PSKBinders)))
		if !hmac.Equal(want, ch.PSKBinders[i]) {
			return nil, 0, false, fail(wire.AlertDecryptError, "PSK binder %d does not verify", i)
		}
		return sess, i, dhe, nil
	}
	return nil, 0, true, nil
}

func entries(chain [][]byte) []wire.CertificateEntry {
	out := make([]wire.CertificateEntry, len(chain))
	for i, c := range chain {
		out[i].Data = c
	}
	return out
}

// groupNames names the groups a client offered, the first eight of them:
// a hello may list thousands, and the error goes to logs.
func groupNames(gs []uint16) string {
	const most = 8
	var b strings.Builder
	b.WriteByte('[')
	for i, g := range gs {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(gs)-most)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(wire.GroupName(g))
	}
	b.WriteByte(']')
	return b.String()
}

// pickSuite picks the server's most preferred suite the client offers.
// With PreferChaCha (no AES hardware here), ChaCha20 wins when the client
// lists it first among the suites we share.
func (s *Server) pickSuite(offered []uint16) *suite.Suite {
	if s.cfg.PreferChaCha {
		for _, id := range offered {
			if !slices.Contains(s.cfg.CipherSuites, id) {
				continue
			}
			if st := suite.ByID(id); st != nil && st.TLS13 && st.ChaCha {
				return st
			}
			break
		}
	}
	for _, id := range s.cfg.CipherSuites {
		if slices.Contains(offered, id) {
			if st := suite.ByID(id); st != nil && st.TLS13 {
				return st
			}
		}
	}
	return nil
}

// helloRetry sends a HelloRetryRequest for group g.
func (s *Server) helloRetry(ch *wire.ClientHello, st *suite.Suite, g uint16) error {
	s.st.Suite = st
	s.st.HelloRetry = true
	s.st.EarlyDataOffered = ch.EarlyData
	s.hrrWant = g
	if s.statelessRetry() {
		// All we must remember goes into the sealed cookie; the engine
		// keeps nothing and may be dropped (see cookie.go).
		cookie, err := s.sealRetry(ch, st, g)
		if err != nil {
			return err
		}
		s.cookie = cookie
	} else {
		s.cookie = make([]byte, 32)
		if err := readRandom(s.cfg.Rand, s.cookie); err != nil {
			return err
		}
		// Keep a copy of ClientHello1 to compare ClientHello2 with.
		s.ch1Raw = append([]byte(nil), ch.Raw...)
		s.ch1 = new(wire.ClientHello)
		if err := s.ch1.Unmarshal(s.ch1Raw); err != nil {
			return err
		}
	}
	h := st.Hash.New()
	h.Write(ch.Raw)
	s.transcript.Reset(st.Hash, wire.MessageHash(h.Sum(nil)))
	hrr := wire.ServerHello{
		Vers:             s.cfg.variant().legacyVersion,
		Random:           wire.HelloRetryRequestRandom,
		SessionID:        ch.SessionID,
		CipherSuite:      st.ID,
		SupportedVersion: s.cfg.variant().v13,
		SelectedGroup:    g,
		Cookie:           s.cookie,
	}
	s.send(LevelInitial, hrr.Marshal())
	if ch.EarlyData {
		// The client's 0-RTT records until ClientHello2 are skipped.
		s.acts = append(s.acts, Action{Kind: ActSkipEarlyData})
	}
	if s.cfg.variant().compatCCS {
		s.sentCCS = true
		s.acts = append(s.acts, Action{Kind: ActSendCCS})
	}
	s.state = sWaitClientHello2
	return nil
}

// checkSecondHello enforces RFC 8446 section 4.1.2: ClientHello2 is
// ClientHello1 with the key share replaced by one for the group asked for,
// the cookie added, early_data removed and padding changed.
func (s *Server) checkSecondHello(ch *wire.ClientHello) error {
	bad := func(what string) error {
		return fail(wire.AlertIllegalParameter, "ClientHello2 changed %s", what)
	}
	c1 := s.ch1
	if c1 == nil {
		// Stateless: ClientHello2 must match the digest of ClientHello1
		// (kept, or rebuilt from the cookie in resumeRetry); then c1
		// stands for ClientHello1 in what follows.
		if helloInvariant(ch) != s.retryDigest {
			return fail(wire.AlertIllegalParameter, "ClientHello2 differs from ClientHello1")
		}
		c1 = ch
	}
	switch {
	case ch.Vers != c1.Vers:
		return bad("legacy_version")
	case ch.Random != c1.Random:
		return bad("random")
	case !bytes.Equal(ch.SessionID, c1.SessionID):
		return bad("legacy_session_id")
	case !equalU16(ch.CipherSuites, c1.CipherSuites):
		return bad("cipher_suites")
	case !bytes.Equal(ch.Compression, c1.Compression):
		return bad("compression methods")
	case !equalU16(ch.SupportedVersions, c1.SupportedVersions):
		return bad("supported_versions")
	case !equalU16(ch.SupportedGroups, c1.SupportedGroups):
		return bad("supported_groups")
	case !equalU16(ch.SigSchemes, c1.SigSchemes):
		return bad("signature_algorithms")
	case ch.ServerName != c1.ServerName:
		return bad("server_name")
	case !equalStrings(ch.ALPN, c1.ALPN):
		return bad("application_layer_protocol_negotiation")
	case ch.EarlyData:
		return fail(wire.AlertIllegalParameter, "early_data in ClientHello2")
	case len(c1.PSKIdentities) > 0 && len(ch.PSKIdentities) == 0:
		// RFC 8446 section 4.1.2: the client updates pre_shared_key
		// (ages, binders, PSKs that do not fit the suite), it does not
		// drop it.
		return bad("pre_shared_key (dropped)")
	case !bytes.Equal(ch.Cookie, s.cookie):
		return fail(wire.AlertIllegalParameter, "ClientHello2 does not echo the cookie")
	case len(ch.KeyShares) != 1 || ch.KeyShares[0].Group != s.hrrWant:
		return fail(wire.AlertIllegalParameter, "ClientHello2 must carry exactly one key share, for %s", wire.GroupName(s.hrrWant))
	}
	return nil
}

func equalU16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// clientCertExtensions applies RFC 8446 4.4.2 to a client's Certificate:
// its extensions answer ones in our CertificateRequest, and ours carries
// none a Certificate may answer (status_request, SCT), so any is an
// extension not requested: unsupported_extension (RFC 8446 4.2).
func clientCertExtensions(entries []wire.CertificateEntry) error {
	for _, e := range entries {
		if len(e.Extensions) > 0 {
			return fail(wire.AlertUnsupportedExtension, "client sent %s in its Certificate, which was not requested", wire.ExtName(e.Extensions[0].Type))
		}
	}
	return nil
}

func (s *Server) readClientCertificate(msg []byte) error {
	var cm wire.Certificate
	if err := cm.Unmarshal(msg); err != nil {
		return err
	}
	if len(cm.Context) != 0 {
		return fail(wire.AlertIllegalParameter, "client Certificate with a request context in the handshake")
	}
	if err := clientCertExtensions(cm.Entries); err != nil {
		return err
	}
	s.transcript.Write(msg)
	if len(cm.Entries) == 0 {
		if s.cfg.RequireClientCert {
			return fail(wire.AlertCertificateRequired, "client sent no certificate")
		}
		s.state = sWaitClientFinished
		return nil
	}
	raw, certs, err := parseChain(cm.Entries)
	if err != nil {
		return err
	}
	s.st.PeerChain, s.st.PeerCertificates = raw, certs
	s.state = sWaitClientCertVerify
	return nil
}

func (s *Server) readClientCertVerify(msg []byte) error {
	var cv wire.CertificateVerify
	if err := cv.Unmarshal(msg); err != nil {
		return err
	}
	if err := verifyCertificateVerify(&s.common, &cv, false); err != nil {
		return err
	}
	if err := s.verifyPeer(); err != nil {
		return err
	}
	s.peerVerified = true
	s.transcript.Write(msg)
	s.state = sWaitClientFinished
	return nil
}

func (s *Server) readClientFinished(msg []byte) error {
	var fin wire.Finished
	if err := fin.Unmarshal(msg); err != nil {
		return err
	}
	if len(fin.VerifyData) != s.hashLen() {
		return fail(wire.AlertDecodeError, "Finished of %d bytes, want %d", len(fin.VerifyData), s.hashLen())
	}
	want := s.clientFin // computed already when the tickets went early
	if want == nil {
		want = s.finished(s.clientHS)
	}
	if !hmac.Equal(fin.VerifyData, want) {
		return fail(wire.AlertDecryptError, "client Finished does not verify")
	}
	if !s.peerVerified {
		// No client certificate was checked: the hooks still run.
		if err := s.verifyPeer(); err != nil {
			return err
		}
	}
	s.transcript.Write(msg)
	s.st.ResumptionSecret = s.resumptionSecret()
	if s.st.PostHandshakeAuth {
		s.phaTranscript = s.transcript.Clone()
	}
	s.readKey(LevelApplication, s.clientApp)
	s.acts = append(s.acts, Action{Kind: ActDone})
	s.done = true
	s.state = sConnected
	for i := 0; i < s.cfg.Tickets && s.ticketsWanted && !s.ticketsSent; i++ {
		if err := s.sendTicket(); err != nil {
			return err
		}
	}
	s.releaseHandshake()
	s.ch1, s.ch1Raw, s.cookie, s.clientFin = nil, nil, nil, nil
	return nil
}

// maxTicketLifetime is RFC 8446 section 4.6.1's seven days.
const maxTicketLifetime = 7 * 24 * time.Hour

// ticketLifetime is how long a ticket (or a TLS 1.2 cached session) made
// now may live: seven days at most (RFC 8446 4.6.1), the configured
// lifetime, and never past the certificate that authenticated the session
// (or a resumed session's own bound). false when under a second is left.
func (s *Server) ticketLifetime(now time.Time) (time.Duration, bool) {
	life := maxTicketLifetime
	if s.cfg.TicketLifetime > 0 && s.cfg.TicketLifetime < life {
		life = s.cfg.TicketLifetime
	}
	if na := s.notAfter; !na.IsZero() && na.Sub(now) < life {
		life = na.Sub(now)
	}
	return life, life >= time.Second
}

// sendTicket sends one NewSessionTicket carrying the sealed session.
// Tickets never outlive the certificate that authenticated the session.
func (s *Server) sendTicket() error {
	if s.cfg.SealTicket == nil {
		return nil
	}
	now := s.cfg.now()
	life, ok := s.ticketLifetime(now)
	if !ok {
		return nil
	}
	rnd := s.ticketRand[:] // 8-byte nonce, 4-byte age_add
	if err := readRandom(s.cfg.Rand, rnd); err != nil {
		return err
	}
	sess := Session{
		Version: s.st.Version, Suite: s.st.Suite.ID, CreatedAt: now, ExpiresAt: now.Add(life),
		AgeAdd: binary.BigEndian.Uint32(rnd[8:]), ResumptionSecret: s.st.ResumptionSecret,
		Nonce: rnd[:8], ALPN: s.st.ALPN, ServerName: s.st.ServerName, PeerChain: chainOf(&s.st),
	}
	plain := sess.Marshal()
	sealed, err := s.cfg.SealTicket(plain)
	if err != nil {
		return fail(wire.AlertInternalError, "sealing ticket: %v", err)
	}
	nst := wire.NewSessionTicket{
		Lifetime: uint32(life / time.Second),
		AgeAdd:   sess.AgeAdd,
		Nonce:    sess.Nonce,
		Ticket:   sealed,
	}
	s.sendPost(nst.Marshal())
	return nil
}

// SendTicket sends one more NewSessionTicket on an established connection.
func (s *Server) SendTicket() ([]Action, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	switch {
	case !s.done:
		return nil, errors.New("ticket before the handshake completed")
	case s.gen() != gen13:
		return nil, fmt.Errorf("NewSessionTicket after the handshake: %w (%s)", ErrNotInThisVersion, wire.VersionName(s.st.Version))
	case !s.ticketsWanted:
		// RFC 8446 section 4.2.9: no tickets a client could not use.
		return nil, ErrTicketNotWanted
	}
	return s.result(s.sendTicket())
}

// UpdateKeys sends a KeyUpdate and moves to the next write secret.
func (s *Server) UpdateKeys(requestPeer bool) ([]Action, error) {
	return s.updateKeys(s.done, requestPeer, &s.serverApp)
}

// phaExchange is a post-handshake authentication in progress.
type phaExchange struct {
	context    []byte
	transcript *keysched.Transcript
	chain      [][]byte
	certs      []*x509.Certificate
	next       uint8 // the message type expected next
}

// ErrNoPostHandshakeAuth: the client did not offer post-handshake
// authentication, so the server may not ask.
var ErrNoPostHandshakeAuth = errors.New("the client did not offer post-handshake authentication")

// RequestCertificate starts a post-handshake authentication (RFC 8446
// section 4.6.2): it sends a CertificateRequest; the client's answer
// arrives through Handle and ends with ActAuthDone.
func (s *Server) RequestCertificate() ([]Action, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	switch {
	case !s.done:
		return nil, errors.New("certificate request before the handshake completed")
	case !s.st.PostHandshakeAuth || s.phaTranscript == nil:
		return nil, ErrNoPostHandshakeAuth
	case s.pha != nil:
		return nil, errors.New("a post-handshake authentication is already in progress")
	}
	ctx := make([]byte, 16)
	if err := readRandom(s.cfg.Rand, ctx); err != nil {
		return nil, err
	}
	cr := wire.CertificateRequest{Context: ctx, SigSchemes: sig.Only13(s.cfg.SigSchemes), SigSchemesCert: sig.CertSchemes(), CertAuthorities: s.cfg.ClientCAs}
	m := cr.Marshal()
	t := s.phaTranscript.Clone()
	t.Write(m)
	s.pha = &phaExchange{context: ctx, transcript: t, next: wire.TypeCertificate}
	s.sendPost(m)
	return s.acts, nil
}

func (s *Server) readPostHandshakeAuth(typ uint8, msg []byte) error {
	p := s.pha
	if typ != p.next {
		return unexpected(typ, wire.HandshakeName(p.next))
	}
	switch typ {
	case wire.TypeCertificate:
		var cm wire.Certificate
		if err := cm.Unmarshal(msg); err != nil {
			return err
		}
		if !bytes.Equal(cm.Context, p.context) {
			return fail(wire.AlertIllegalParameter, "Certificate answers another request")
		}
		if err := clientCertExtensions(cm.Entries); err != nil {
			return err
		}
		p.transcript.Write(msg)
		if len(cm.Entries) == 0 {
			if s.cfg.RequireClientCert {
				return fail(wire.AlertCertificateRequired, "client sent no certificate")
			}
			// The client declines: no authenticated chain from now on.
			s.st.PeerChain, s.st.PeerCertificates, s.st.VerifiedChains = nil, nil, nil
			p.next = wire.TypeFinished
			return nil
		}
		var err error
		if p.chain, p.certs, err = parseChain(cm.Entries); err != nil {
			return err
		}
		p.next = wire.TypeCertificateVerify
	case wire.TypeCertificateVerify:
		var cv wire.CertificateVerify
		if err := cv.Unmarshal(msg); err != nil {
			return err
		}
		if !slices.Contains(sig.Only13(s.cfg.SigSchemes), cv.Scheme) {
			// RSA PKCS #1 v1.5 is offered for TLS 1.2 only (RFC 8446
			// section 4.2.3): in TLS 1.3 it was not offered.
			return fail(wire.AlertIllegalParameter, "client signed with %s, which was not offered", wire.SchemeName(cv.Scheme))
		}
		if err := sig.Verify(p.certs[0].PublicKey, cv.Scheme, sig.Content13(false, p.transcript.Sum()), cv.Signature); err != nil {
			return fail(wire.AlertDecryptError, "CertificateVerify: %v", err)
		}
		prevChain, prevCerts := s.st.PeerChain, s.st.PeerCertificates
		s.st.PeerChain, s.st.PeerCertificates, s.st.VerifiedChains = p.chain, p.certs, nil
		s.st.PostHandshakeAuthInProgress = true
		err := s.verifyPeer()
		s.st.PostHandshakeAuthInProgress = false
		if err != nil {
			s.st.PeerChain, s.st.PeerCertificates = prevChain, prevCerts
			return err
		}
		p.transcript.Write(msg)
		p.next = wire.TypeFinished
	case wire.TypeFinished:
		var fin wire.Finished
		if err := fin.Unmarshal(msg); err != nil {
			return err
		}
		want := s.clientApp.VerifyData(p.transcript.Sum())
		if !hmac.Equal(fin.VerifyData, want) {
			return fail(wire.AlertDecryptError, "post-handshake Finished does not verify")
		}
		s.pha = nil
		s.acts = append(s.acts, Action{Kind: ActAuthDone})
	}
	return nil
}
