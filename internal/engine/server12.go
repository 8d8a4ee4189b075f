package engine

import (
	"slices"
	"time"

	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// TLS 1.2 server (RFC 5246 section 7.3 with RFC 8422 ECDHE, RFC 7627 and
// RFC 5746): full handshakes with ECDHE and AEAD suites only.

// server12State is where the TLS 1.2 server handshaker stands.
type server12State uint8

const (
	s12WaitClientCert server12State = iota + 1
	s12WaitClientKeyExchange
	s12WaitCertVerify
	s12WaitCCS
	s12WaitFinished
	s12Connected
)

// server12 is the TLS 1.2 server handshaker: the Server hands over to it
// once version negotiation chose TLS 1.2.
type server12 struct {
	*Server
	state server12State

	priv        *kex.Private
	psk         bool // a PSK suite: no certificates
	clientCert  bool
	issueTicket bool
	sessionID   []byte // a new session's ID, when it is kept by ID
	// handshake messages kept whole for a client's CertificateVerify,
	// which signs them with its own hash (RFC 5246 section 7.4.8).
	messages []byte
}

// negotiateVersion picks TLS 1.3 or 1.2 from a ClientHello (RFC 8446
// appendix D.2; RFC 5246 appendix E.1).
func (s *Server) negotiateVersion(ch *wire.ClientHello) (uint16, error) {
	v := s.cfg.variant()
	if !v.datagram && ch.Vers <= wire.VersionSSL30 {
		// RFC 8446 appendix D.5: a ClientHello with legacy_version 0x0300
		// or less is aborted, whatever supported_versions says.
		return 0, fail(wire.AlertProtocolVersion, "ClientHello legacy_version %s (RFC 8446 D.5)", wire.VersionName(ch.Vers))
	}
	offered := ch.SupportedVersions
	if len(offered) == 0 {
		// Legacy negotiation (RFC 5246 appendix E.1): legacy_version is
		// the client's highest version; 1.3 is never negotiated this way
		// (RFC 8446 4.2.1).
		offered = []uint16{ch.Vers}
		if ch.Vers == v.v12 || newerThan12(v, ch.Vers) {
			offered = []uint16{v.v12}
		}
	}
	// Our preference order, from the variant's table; never a numeric
	// comparison (DTLS versions count down).
	for _, g := range []generation{gen13, gen12} {
		if w := v.wire(g); s.cfg.offers(g) && slices.Contains(offered, w) {
			return w, nil
		}
	}
	best := offered[0]
	for _, w := range offered[1:] {
		if newerInFamily(v, w, best) {
			best = w
		}
	}
	return 0, fail(wire.AlertProtocolVersion, "client offers %s at most; this server speaks %s",
		wire.VersionName(best), versionNames(s.cfg.versions()))
}

// newerThan12 reports whether a legacy_version names a version after
// 1.2 of the variant's family (TLS 0x0304 and up; DTLS below 0xfefd).
func newerThan12(v *variantInfo, w uint16) bool { return newerInFamily(v, w, v.v12) }

// newerInFamily reports whether wire version a is newer than b in the
// variant's family: TLS counts up (0x03xx), DTLS down (0xfexx).
func newerInFamily(v *variantInfo, a, b uint16) bool {
	if v.datagram {
		return a&0xff00 == 0xfe00 && (b&0xff00 != 0xfe00 || a < b)
	}
	// Any TLS version above b is newer, a future major version too: a
	// server answers with the highest it speaks (RFC 5246 appendix E.1).
	return a > b && a >= 0x0300
}

// secureReneg: the ServerHello carries renegotiation_info only when the
// client signalled RFC 5746 (the extension or
// TLS_EMPTY_RENEGOTIATION_INFO_SCSV, section 3.6); a server sends no
// extension the client did not offer (RFC 5246 7.4.1.4).
func secureReneg(ch *wire.ClientHello) bool {
	return ch.HasSecureReneg || slices.Contains(ch.CipherSuites, scsvRenegotiation)
}

// scsvRenegotiation is TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 3.3).
const scsvRenegotiation = 0x00ff

func versionNames(vs []uint16) string {
	if len(vs) == 0 {
		return "no version"
	}
	out := ""
	for i, w := range vs {
		if i > 0 {
			out += " and "
		}
		out += wire.VersionName(w)
	}
	return out
}

// readClientHello12 answers a ClientHello that negotiates TLS 1.2 with
// ServerHello, Certificate, ServerKeyExchange, [CertificateRequest],
// ServerHelloDone.
func (s *Server) readClientHello12(ch *wire.ClientHello, msg []byte) error {
	if !slices.Contains(ch.Compression, 0) {
		return fail(wire.AlertIllegalParameter, "no null compression offered")
	}
	// RFC 7507: a fallback retry while we could do better.
	if slices.Contains(ch.CipherSuites, wire.TLS_FALLBACK_SCSV) && s.cfg.offers(gen13) {
		return fail(wire.AlertInappropriateFallback, "client fell back to TLS 1.2; this server speaks TLS 1.3")
	}
	// RFC 5746: an initial handshake carries an empty renegotiation_info.
	if ch.HasSecureReneg && len(ch.SecureReneg) != 0 {
		return fail(wire.AlertHandshakeFailure, "renegotiation_info not empty in an initial handshake")
	}
	if !ch.EMS && s.cfg.RequireEMS {
		return fail(wire.AlertHandshakeFailure, "client does not support the extended master secret, which is required")
	}
	if len(ch.PointFormats) > 0 && !slices.Contains(ch.PointFormats, 0) {
		return fail(wire.AlertIllegalParameter, "client does not accept uncompressed points")
	}

	sess, err := s.pickSession12(ch)
	if err != nil {
		return err
	}
	if sess != nil {
		return s.resume12(ch, msg, sess)
	}
	if st := s.firstSuite12(ch.CipherSuites); st != nil && st.PSK && s.cfg.PSKKey != nil {
		return s.readClientHelloPSK(ch, msg, st)
	}
	cert, err := s.certificateFor(HelloInfoOf(ch, []uint16{s.cfg.variant().v12}, false))
	if err != nil {
		return err
	}
	pub := cert.Signer.Public()
	rsaKey := sig.IsRSA(pub)
	st := s.pickSuite12(ch.CipherSuites, rsaKey)
	if st == nil {
		if onlyLegacy(ch.CipherSuites) {
			return fail(wire.AlertHandshakeFailure, "client offers only CBC, RC4, 3DES or static-RSA suites, which hasp never negotiates")
		}
		return fail(wire.AlertHandshakeFailure, "no TLS 1.2 ECDHE AEAD cipher suite in common for this certificate")
	}
	if len(ch.SigSchemes) == 0 {
		// RFC 5246 section 7.4.1.4.1: without signature_algorithms the
		// client accepts only SHA-1 signatures, which hasp never makes
		// (RFC 9155).
		return fail(wire.AlertHandshakeFailure, "client sent no signature_algorithms, so it accepts only SHA-1 signatures (RFC 5246 7.4.1.4.1), which hasp does not make (RFC 9155)")
	}
	scheme, err := Pick12(cert, ch.SigSchemes)
	if err != nil {
		return fail(wire.AlertHandshakeFailure, "%v", err)
	}
	group := uint16(0)
	offeredGroups := ch.SupportedGroups
	if len(offeredGroups) == 0 {
		offeredGroups = []uint16{wire.GroupSecp256r1}
	}
	if g, ok := sig.CurveGroup(pub); ok && !slices.Contains(offeredGroups, g) {
		// RFC 8422 section 5.1: an ECC suite only if the handshake
		// respects the client's curves, the certificate's included.
		return fail(wire.AlertHandshakeFailure, "no certificate the client can take: the ECDSA key's curve %s is not in its supported_groups (RFC 8422 section 5.1)", wire.GroupName(g))
	}
	for _, g := range groups12(s.cfg.Groups) {
		if slices.Contains(offeredGroups, g) {
			group = g
			break
		}
	}
	if group == 0 {
		return fail(wire.AlertHandshakeFailure, "no ECDHE group in common for TLS 1.2 (client offers %s)", groupNames(ch.SupportedGroups))
	}
	alpn, err := s.pickALPN(ch)
	if err != nil {
		return err
	}
	privs, err := kex.Generate([]uint16{group}, s.cfg.Rand)
	if err != nil {
		return fail(wire.AlertInternalError, "%v", err)
	}

	s.st.Version = s.cfg.variant().v12
	s.st.Suite = st
	s.st.Group = group
	s.st.ALPN = alpn
	s.st.ServerName = ch.ServerName
	s.clientRandom = ch.Random
	s.st.SignatureScheme = scheme
	s.st.LocalCertificate = cert
	s.st.EMS = ch.EMS
	s.cert, s.scheme, s.notAfter = cert, scheme, cert.NotAfter
	s.v12 = &server12{Server: s, priv: privs[0]}

	sh := wire.ServerHello{
		Vers: s.st.Version, CipherSuite: st.ID, HasSecureReneg: secureReneg(ch), EMS: ch.EMS, ALPN: alpn,
		HasPointFormats: len(ch.PointFormats) > 0, PointFormats: []uint8{0},
		// RFC 6066 section 3: a server that takes the name in a full
		// handshake acknowledges it (never when resuming).
		ServerNameAck: ch.ServerName != "",
	}
	if err := s.agreeSRTP(ch, &sh); err != nil {
		return err
	}
	if err := s.agreeCID(ch, &sh); err != nil {
		return err
	}
	if err := readRandom(s.cfg.Rand, sh.Random[:]); err != nil {
		return err
	}
	if s.cfg.offers(gen13) {
		// RFC 8446 section 4.1.3: tell a TLS 1.3 client it was
		// downgraded.
		copy(sh.Random[24:], wire.DowngradeTLS12[:])
	}
	if ch.SCT && len(cert.SCTs) > 0 {
		sh.SCTs = cert.SCTs
	}
	// RFC 6066 section 8: a staple goes in CertificateStatus, announced
	// by an empty status_request in the ServerHello.
	sh.StatusRequest = ch.StatusRequest && len(cert.OCSP) > 0
	switch {
	case ch.HasSessionTicket && ch.EMS && s.cfg.SealTicket != nil && s.cfg.Tickets > 0:
		// RFC 5077: a ticket follows the client's Finished. Only
		// sessions with the extended master secret are ever resumed.
		sh.TicketSupported = true
		s.v12.issueTicket = true
	case ch.EMS && s.cfg.StoreSession != nil:
		// No tickets: keep the session by a new ID (RFC 5246 7.4.1.3).
		s.v12.sessionID = make([]byte, 32)
		if err := readRandom(s.cfg.Rand, s.v12.sessionID); err != nil {
			return err
		}
		sh.SessionID = s.v12.sessionID
	}
	s.serverRandom = sh.Random
	s.keepRandoms12()
	s.transcript.SetHash(st.Hash)
	s.write12(msg)
	s.send12(sh.Marshal())
	s.send12((&wire.Certificate12{Chain: cert.Chain}).Marshal())
	if sh.StatusRequest {
		s.send12((&wire.CertificateStatus{Response: cert.OCSP}).Marshal())
	}

	ske := wire.ServerKeyExchange{Group: group, Public: privs[0].Public(), Scheme: scheme}
	signature, err := sig.Sign(cert.Signer, scheme, s.cfg.Rand, signed12(s.clientRandom, s.serverRandom, ske.Params()))
	if err != nil {
		return fail(wire.AlertInternalError, "signing ServerKeyExchange: %v", err)
	}
	ske.Signature = signature
	s.send12(ske.Marshal())
	if s.cfg.RequestClientCert {
		cr := wire.CertificateRequest12{CertTypes: []uint8{wire.CertTypeECDSASign, wire.CertTypeRSASign},
			SigSchemes: s.cfg.SigSchemes, CertAuthorities: s.cfg.ClientCAs}
		s.send12(cr.Marshal())
		s.st.CertRequested = true
		s.v12.state = s12WaitClientCert
	} else {
		s.v12.state = s12WaitClientKeyExchange
	}
	s.send12(wire.ServerHelloDone)
	return nil
}

// write12 adds a message to the transcript, and keeps it whole when a
// client CertificateVerify will need it.
func (s *Server) write12(m []byte) {
	s.transcript.Write(m)
	if s.cfg.RequestClientCert {
		s.v12.messages = s.transcript.Form(s.v12.messages, m)
	}
}

func (s *Server) send12(m []byte) {
	seq := s.stampOut()
	s.write12(m)
	s.acts = append(s.acts, Action{Kind: ActSend, Level: LevelInitial, Msg: m, Seq: seq})
}

func (s *Server) pickSuite12(offered []uint16, rsaKey bool) *suite.Suite {
	ok := func(id uint16) *suite.Suite {
		st := suite.ByID(id)
		if st == nil || st.TLS13 || st.PSK || st.ECDSA == rsaKey {
			return nil
		}
		return st
	}
	if s.cfg.PreferChaCha {
		for _, id := range offered {
			if st := ok(id); st != nil && slices.Contains(s.cfg.CipherSuites12, id) {
				if st.ChaCha {
					return st
				}
				break
			}
		}
	}
	for _, id := range s.cfg.CipherSuites12 {
		if slices.Contains(offered, id) {
			if st := ok(id); st != nil {
				return st
			}
		}
	}
	return nil
}

// onlyLegacy reports whether a client offers nothing hasp could ever
// negotiate in TLS 1.2: no ECDHE AEAD suite at all.
func onlyLegacy(ids []uint16) bool {
	for _, id := range ids {
		if st := suite.ByID(id); st != nil && !st.TLS13 {
			return false
		}
	}
	return true
}

// handle takes one message of the TLS 1.2 handshake: in the clear until
// the client's ChangeCipherSpec, its Finished under the new keys (RFC
// 5246 7.1). After the handshake a renegotiating ClientHello gets a
// no_renegotiation warning and the connection goes on (RFC 5746 4.4, RFC
// 5246 7.2.2): hasp never renegotiates.
func (s *server12) handle(level Level, typ uint8, msg []byte) error {
	want := LevelInitial
	if s.state == s12WaitFinished || s.state == s12Connected {
		want = LevelApplication
	}
	if err := checkLevel(level, want, typ); err != nil {
		return err
	}
	switch s.state {
	case s12WaitClientCert:
		if typ != wire.TypeCertificate {
			return unexpected(typ, "Certificate")
		}
		var cm wire.Certificate12
		if err := cm.Unmarshal(msg); err != nil {
			return err
		}
		s.write12(msg)
		if len(cm.Chain) == 0 {
			if s.cfg.RequireClientCert {
				return fail(wire.AlertHandshakeFailure, "client sent no certificate")
			}
			s.state = s12WaitClientKeyExchange
			return nil
		}
		raw, certs, err := parseChain(entries(cm.Chain))
		if err != nil {
			return err
		}
		s.st.PeerChain, s.st.PeerCertificates = raw, certs
		s.clientCert = true
		s.state = s12WaitClientKeyExchange
	case s12WaitClientKeyExchange:
		if typ != wire.TypeClientKeyExchange {
			return unexpected(typ, "ClientKeyExchange")
		}
		if s.psk {
			return s.readClientKeyExchangePSK(msg)
		}
		var cke wire.ClientKeyExchange
		if err := cke.Unmarshal(msg); err != nil {
			return err
		}
		shared, err := s.priv.Shared(cke.Public)
		if err != nil {
			return fail(wire.AlertIllegalParameter, "client key share for %s: %v", wire.GroupName(s.st.Group), err)
		}
		s.write12(msg)
		// The session hash of RFC 7627 ends with ClientKeyExchange.
		s.masterSecret12(shared)
		if s.clientCert {
			s.state = s12WaitCertVerify
		} else {
			if err := s.verifyPeer(); err != nil {
				return err
			}
			s.state = s12WaitCCS
		}
	case s12WaitCertVerify:
		if typ != wire.TypeCertificateVerify {
			return unexpected(typ, "CertificateVerify")
		}
		var cv wire.CertificateVerify
		if err := cv.Unmarshal(msg); err != nil {
			return err
		}
		if !slices.Contains(sig.TLS12Schemes(), cv.Scheme) || !slices.Contains(s.cfg.SigSchemes, cv.Scheme) {
			return fail(wire.AlertIllegalParameter, "client signed with %s, which was not offered", wire.SchemeName(cv.Scheme))
		}
		if err := sig.Verify12(s.st.PeerCertificates[0].PublicKey, cv.Scheme, s.messages, cv.Signature); err != nil {
			return fail(wire.AlertDecryptError, "CertificateVerify: %v", err)
		}
		if err := s.verifyPeer(); err != nil {
			return err
		}
		s.peerVerified = true
		s.write12(msg)
		s.state = s12WaitCCS
	case s12WaitFinished:
		if typ != wire.TypeFinished {
			return unexpected(typ, "Finished")
		}
		if err := s.checkFinished12(msg, true); err != nil {
			return err
		}
		if s.st.Resumed {
			s.acts = append(s.acts, Action{Kind: ActDone})
			s.done = true
			s.kb12, s.mac12 = nil, nil // the keys are installed; an idle connection keeps neither
			s.state = s12Connected
			return nil
		}
		if s.issueTicket {
			if err := s.sendTicket12(); err != nil {
				return err
			}
		}
		if id := s.sessionID; id != nil {
			if sess, ok := s.session12(); ok {
				s.cfg.StoreSession(id, sess.Marshal())
			}
		}
		// Our flight: ChangeCipherSpec, then Finished under the new keys.
		s.finish12(false)
		s.acts = append(s.acts, Action{Kind: ActDone})
		s.done = true
		s.kb12, s.mac12 = nil, nil
		s.state = s12Connected
	case s12Connected:
		if typ != wire.TypeClientHello {
			return unexpected(typ, "nothing after a TLS 1.2 handshake")
		}
		var ch wire.ClientHello
		if err := ch.Unmarshal(msg); err != nil {
			return err
		}
		s.acts = append(s.acts, Action{Kind: ActWarning, Alert: wire.AlertNoRenegotiation})
	default:
		return unexpected(typ, "nothing")
	}
	return nil
}

// HandleCCS switches the read keys in TLS 1.2; in TLS 1.3 the transport
// has already checked that the one compatibility CCS is allowed.
func (s *Server) HandleCCS() ([]Action, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	if s.v12 == nil {
		return s.acts, nil
	}
	if s.v12.state != s12WaitCCS {
		return s.result(fail(wire.AlertUnexpectedMessage, "change_cipher_spec out of order"))
	}
	s.readKeyAtCCS12(true)
	s.v12.state = s12WaitFinished
	return s.acts, nil
}

func (s *Server) pickALPN(ch *wire.ClientHello) (string, error) {
	if len(ch.ALPN) == 0 || len(s.cfg.NextProtos) == 0 {
		return "", nil
	}
	for _, p := range s.cfg.NextProtos {
		if slices.Contains(ch.ALPN, p) {
			return p, nil
		}
	}
	return "", fail(wire.AlertNoApplicationProtocol, "no application protocol in common (client offers %q)", ch.ALPN)
}

// pickSession12 opens a TLS 1.2 ticket (RFC 5077). Anything wrong with
// it means a full handshake, never a failure.
func (s *Server) pickSession12(ch *wire.ClientHello) (*Session, error) {
	var plain []byte
	switch {
	case len(ch.SessionTicket) > 0 && s.cfg.OpenTicket != nil:
		var err error
		if plain, err = s.cfg.OpenTicket(ch.SessionTicket); err != nil {
			return nil, nil
		}
	case len(ch.SessionID) == 32 && s.cfg.LoadSession != nil:
		var ok bool
		if plain, ok = s.cfg.LoadSession(ch.SessionID); !ok {
			return nil, nil
		}
	default:
		return nil, nil
	}
	sess, err := ParseSession(plain)
	if err != nil || s.cfg.variant().gen(sess.Version) != gen12 || !s.cfg.now().Before(sess.ExpiresAt) ||
		sess.ServerName != ch.ServerName || !slices.Contains(ch.CipherSuites, sess.Suite) || !slices.Contains(s.cfg.CipherSuites12, sess.Suite) {
		return nil, nil
	}
	if !ch.EMS {
		// Every session hasp makes uses the extended master secret; RFC
		// 7627 section 5.3: a ClientHello without it that would resume
		// one is aborted, not answered with a full handshake.
		return nil, fail(wire.AlertHandshakeFailure, "resumption of an extended-master-secret session without the extension (RFC 7627 5.3)")
	}
	if s.cfg.RequireClientCert && len(sess.PeerChain) == 0 {
		return nil, nil
	}
	return sess, nil
}

// resume12 runs the abbreviated TLS 1.2 handshake: ServerHello,
// ChangeCipherSpec, Finished; then the client's.
func (s *Server) resume12(ch *wire.ClientHello, msg []byte, sess *Session) error {
	st := suite.ByID(sess.Suite)
	alpn, err := s.pickALPN(ch)
	if err != nil {
		return err
	}
	s.st.Version = s.cfg.variant().v12
	s.st.Suite = st
	s.st.ALPN = alpn
	s.st.ServerName = ch.ServerName
	s.clientRandom = ch.Random
	s.st.EMS = true
	s.st.Resumed = true
	s.st.Group = sess.Group
	s.master12 = sess.ResumptionSecret
	s.st.ext().MasterSecret12 = sess.ResumptionSecret
	s.notAfter = sess.ExpiresAt
	if len(sess.PeerChain) > 0 {
		if s.st.PeerChain, s.st.PeerCertificates, err = parseChain(entries(sess.PeerChain)); err != nil {
			return err
		}
	}
	s.v12 = &server12{Server: s}
	sh := wire.ServerHello{
		Vers: s.st.Version, SessionID: ch.SessionID, CipherSuite: st.ID, HasSecureReneg: secureReneg(ch), EMS: true, ALPN: alpn,
		HasPointFormats: len(ch.PointFormats) > 0, PointFormats: []uint8{0},
	}
	if err := s.agreeSRTP(ch, &sh); err != nil {
		return err
	}
	if err := s.agreeCID(ch, &sh); err != nil {
		return err
	}
	if err := readRandom(s.cfg.Rand, sh.Random[:]); err != nil {
		return err
	}
	if s.cfg.offers(gen13) {
		copy(sh.Random[24:], wire.DowngradeTLS12[:])
	}
	s.serverRandom = sh.Random
	s.keepRandoms12()
	s.transcript.SetHash(st.Hash)
	s.write12(msg)
	s.send12(sh.Marshal())
	s.finish12(false)
	s.v12.state = s12WaitCCS
	return nil
}

// session12 describes the TLS 1.2 session for a ticket or the session
// cache, bounded by the certificate; false when too little time is left.
func (s *Server) session12() (*Session, bool) {
	now := s.cfg.now()
	life, ok := s.ticketLifetime(now)
	if !ok {
		return nil, false
	}
	return &Session{Version: s.st.Version, Suite: s.st.Suite.ID, Group: s.st.Group, CreatedAt: now, ExpiresAt: now.Add(life),
		ResumptionSecret: s.master12, ALPN: s.st.ALPN, ServerName: s.st.ServerName, PeerChain: chainOf(&s.st)}, true
}

// sendTicket12 sends an RFC 5077 NewSessionTicket sealing the session.
func (s *Server) sendTicket12() error {
	nst := wire.NewSessionTicket12{}
	if sess, ok := s.session12(); ok {
		sealed, err := s.cfg.SealTicket(sess.Marshal())
		if err != nil {
			return fail(wire.AlertInternalError, "sealing ticket: %v", err)
		}
		nst.Lifetime, nst.Ticket = uint32(sess.ExpiresAt.Sub(sess.CreatedAt)/time.Second), sealed
	}
	// An empty ticket tells the client none is coming after all (RFC 5077
	// section 3.3).
	s.send12(nst.Marshal())
	return nil
}
