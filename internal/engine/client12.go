package engine

import (
	"bytes"
	"slices"
	"time"

	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// TLS 1.2 client (RFC 5246 section 7.3, RFC 8422, RFC 7627, RFC 5746).

// client12State is where the TLS 1.2 client handshaker stands; it has
// its own states, apart from the router's and TLS 1.3's.
type client12State uint8

const (
	c12WaitCert client12State = iota + 1
	c12WaitServerKeyExchange
	c12WaitCertReqOrDone
	c12WaitDone
	c12WaitCCS
	c12WaitFinished
	c12Connected
)

// client12 is the TLS 1.2 client handshaker: the Client hands over to it
// once a ServerHello chose TLS 1.2. Capabilities TLS 1.2 lacks (KeyUpdate,
// tickets after the handshake, post-handshake authentication) do not
// exist here.
type client12 struct {
	*Client
	state client12State

	ske      wire.ServerKeyExchange
	certReq  *wire.CertificateRequest12
	messages []byte // whole, for our CertificateVerify
	// ticketExpected: the server said it will send a NewSessionTicket.
	ticketExpected bool
	// sessionID: the ID a server gave a new session it keeps by ID.
	sessionID []byte
	// statusExpected: a CertificateStatus follows the Certificate.
	statusExpected bool
	// psk: the suite authenticates with a pre-shared key; pskHint is
	// the server's identity hint.
	psk     bool
	pskHint []byte
}

// readServerHello12 handles a ServerHello that chose TLS 1.2.
func (c *Client) readServerHello12(sh *wire.ServerHello) error {
	cfg := c.cfg
	v := cfg.variant()
	if v.gen(sh.Vers) != gen12 || !cfg.offers(gen12) {
		return fail(wire.AlertProtocolVersion, "server chose %s; this client offers %s",
			wire.VersionName(sh.Vers), versionNames(cfg.versions()))
	}
	// RFC 8446 section 4.1.3: a TLS 1.3 client that gets either
	// downgrade sentinel aborts (the TLS 1.1 one too: a server that
	// answers 1.2 while saying it chose 1.1 or below is lying).
	if cfg.offers(gen13) && (bytes.Equal(sh.Random[24:], wire.DowngradeTLS12[:]) || bytes.Equal(sh.Random[24:], wire.DowngradeTLS11[:])) {
		return fail(wire.AlertIllegalParameter, "server signals a downgrade from TLS 1.3 (RFC 8446 section 4.1.3)")
	}
	if sh.Compression != 0 {
		return fail(wire.AlertIllegalParameter, "server chose compression method %d", sh.Compression)
	}
	st := suite.ByID(sh.CipherSuite)
	if st == nil || st.TLS13 || !slices.Contains(c.hello.CipherSuites, sh.CipherSuite) {
		return fail(wire.AlertIllegalParameter, "server chose cipher suite %s, which was not offered for TLS 1.2", wire.SuiteName(sh.CipherSuite))
	}
	for _, e := range sh.Extensions {
		switch t := e.Type; t {
		case wire.ExtRenegotiationInfo, wire.ExtExtendedMasterSecret, wire.ExtECPointFormats, wire.ExtALPN,
			wire.ExtStatusRequest, wire.ExtSCT, wire.ExtServerName, wire.ExtSessionTicket, wire.ExtSupportedGroups, wire.ExtUseSRTP,
			wire.ExtConnectionID:
			// supported_groups answers one we sent (RFC 5246 7.4.1.4
			// allows that); some servers send it, and it says nothing
			// we use: ignored.
			if !c.sentExtension12(t) {
				return fail(wire.AlertUnsupportedExtension, "server sent %s, which was not offered", wire.ExtName(t))
			}
		default:
			return fail(wire.AlertUnsupportedExtension, "server sent %s in a TLS 1.2 ServerHello", wire.ExtName(t))
		}
	}
	// RFC 5746 section 3.4: initial handshake, renegotiation_info empty.
	if sh.HasSecureReneg && len(sh.SecureReneg) != 0 {
		return fail(wire.AlertHandshakeFailure, "renegotiation_info not empty in an initial handshake")
	}
	if !sh.EMS && cfg.RequireEMS {
		return fail(wire.AlertHandshakeFailure, "server does not support the extended master secret, which is required")
	}
	if sh.HasPointFormats && !slices.Contains(sh.PointFormats, 0) {
		return fail(wire.AlertIllegalParameter, "server does not accept uncompressed points")
	}
	if sh.ALPN != "" && !slices.Contains(c.hello.ALPN, sh.ALPN) {
		return fail(wire.AlertIllegalParameter, "server chose ALPN protocol %q, which was not offered", sh.ALPN)
	}
	for _, e := range sh.Extensions {
		if e.Type == wire.ExtConnectionID {
			cid, ok := parseConnectionID(e.Data)
			if !ok {
				return fail(wire.AlertDecodeError, "malformed connection_id")
			}
			c.st.ext().ConnectionIDAgreed, c.st.ext().PeerConnectionID = true, cid
		}
		if e.Type != wire.ExtUseSRTP {
			continue
		}
		// RFC 5764 4.1.1: one profile, of those offered, and our MKI
		// (hasp sends none).
		profiles, mki, ok := parseUseSRTP(e.Data)
		if !ok {
			return fail(wire.AlertDecodeError, "malformed use_srtp")
		}
		if len(profiles) != 1 || !slices.Contains(cfg.SRTPProfiles, profiles[0]) || len(mki) != 0 {
			return fail(wire.AlertIllegalParameter, "server chose SRTP profiles %v (MKI %x), not one of those offered", profiles, mki)
		}
		c.st.ext().SRTPProfile = profiles[0]
	}
	c.st.Version = sh.Vers
	c.st.Suite = st
	c.serverRandom = sh.Random
	c.keepRandoms12()
	c.st.ALPN = sh.ALPN
	c.st.EMS = sh.EMS
	c.st.ServerName = cfg.ServerName
	// The message's bytes do not outlive this call (a transport may read
	// the next record over them): what is kept is copied.
	c.st.SCTs = nil
	for _, sct := range sh.SCTs {
		c.st.SCTs = append(c.st.SCTs, bytes.Clone(sct))
	}
	c.shares = nil
	c.v12 = &client12{Client: c}
	c.v12.messages = append(c.v12.messages, c.transcript.Buffered()...)
	c.transcript.SetHash(st.Hash)
	c.write12(sh.Raw)
	c.v12.ticketExpected = sh.TicketSupported
	c.v12.statusExpected = sh.StatusRequest
	if !sh.TicketSupported && len(sh.SessionID) > 0 && !bytes.Equal(sh.SessionID, c.hello.SessionID) {
		c.v12.sessionID = append([]byte(nil), sh.SessionID...)
	}
	if c.session12 == nil && len(sh.SessionID) > 0 && bytes.Equal(sh.SessionID, c.hello.SessionID) {
		// We offered no TLS 1.2 session: the ID we sent is the TLS 1.3
		// compatibility one (RFC 8446 appendix D.4), and a TLS 1.2 server
		// that echoes it claims to resume a session that never was.
		return fail(wire.AlertIllegalParameter, "TLS 1.2 server echoed a session ID that names no session")
	}
	if t := c.session12; t != nil && len(sh.SessionID) > 0 && bytes.Equal(sh.SessionID, c.hello.SessionID) {
		// The server resumes the session our ticket carries (RFC 5077
		// section 3.4): an abbreviated handshake.
		if sh.CipherSuite != t.Suite.ID {
			return fail(wire.AlertIllegalParameter, "server resumed with another cipher suite")
		}
		if !sh.EMS {
			// RFC 7627 section 5.3: abort when a session made with the
			// extended master secret is resumed without it.
			return fail(wire.AlertHandshakeFailure, "server resumed without the extended master secret")
		}
		c.master12 = t.ResumptionSecret
		c.st.ext().MasterSecret12 = t.ResumptionSecret
		c.st.Resumed = true
		c.st.Group = t.Group
		c.st.OCSP, c.st.SCTs = t.OCSP, t.SCTs
		if t.PeerChain != nil {
			raw, certs, err := parseChain(entries(t.PeerChain))
			if err != nil {
				return err
			}
			c.st.PeerChain, c.st.PeerCertificates = raw, certs
		}
		c.v12.state = c12WaitCCS
		return nil
	}
	if st.PSK {
		// No certificate: a ServerKeyExchange (a hint, an ECDHE share) or
		// straight to ServerHelloDone.
		c.v12.psk = true
		c.v12.state = c12WaitServerKeyExchange
		return nil
	}
	c.v12.state = c12WaitCert
	return nil
}

func (c *Client) sentExtension12(t uint16) bool {
	switch t {
	case wire.ExtRenegotiationInfo:
		return c.hello.HasSecureReneg
	case wire.ExtExtendedMasterSecret:
		return c.hello.EMS
	case wire.ExtECPointFormats:
		return len(c.hello.PointFormats) > 0
	case wire.ExtSessionTicket:
		return c.hello.HasSessionTicket
	}
	return c.sentExtension(t)
}

func (c *Client) write12(m []byte) {
	c.transcript.Write(m)
	if c.v12 != nil {
		c.v12.messages = c.transcript.Form(c.v12.messages, m)
	}
}

func (c *Client) send12(m []byte) {
	seq := c.stampOut()
	c.write12(m)
	c.acts = append(c.acts, Action{Kind: ActSend, Level: LevelInitial, Msg: m, Seq: seq})
}

// handle takes one message of the TLS 1.2 handshake. Until the server's
// ChangeCipherSpec everything arrives in the clear (the initial level);
// its Finished arrives under the new keys (RFC 5246 7.1).
func (c *client12) handle(level Level, typ uint8, msg []byte) error {
	want := LevelInitial
	if c.state == c12WaitFinished || c.state == c12Connected {
		want = LevelApplication
	}
	if err := checkLevel(level, want, typ); err != nil {
		return err
	}
	switch c.state {
	case c12WaitCert:
		if typ != wire.TypeCertificate {
			return unexpected(typ, "Certificate")
		}
		var cm wire.Certificate12
		if err := cm.Unmarshal(msg); err != nil {
			return err
		}
		if len(cm.Chain) == 0 {
			return fail(wire.AlertDecodeError, "server sent no certificate")
		}
		raw, certs, err := parseChain(entries(cm.Chain))
		if err != nil {
			return err
		}
		c.st.PeerChain, c.st.PeerCertificates = raw, certs
		c.write12(msg)
		c.state = c12WaitServerKeyExchange
	case c12WaitServerKeyExchange:
		if typ == wire.TypeCertificateStatus && c.statusExpected {
			var cs wire.CertificateStatus
			if err := cs.Unmarshal(msg); err != nil {
				return err
			}
			c.st.OCSP = append([]byte(nil), cs.Response...)
			c.statusExpected = false
			c.write12(msg)
			return nil
		}
		if c.psk {
			switch {
			case typ == wire.TypeServerKeyExchange:
				return c.readServerKeyExchangePSK(msg)
			case typ == wire.TypeServerHelloDone && !c.st.Suite.ECDHE:
				if len(msg) != 4 {
					return fail(wire.AlertDecodeError, "ServerHelloDone with a body")
				}
				c.write12(msg)
				return c.secondFlightPSK()
			}
			return unexpected(typ, "ServerKeyExchange")
		}
		if typ != wire.TypeServerKeyExchange {
			return unexpected(typ, "ServerKeyExchange")
		}
		ske := &c.ske
		if err := ske.Unmarshal(msg); err != nil {
			return err
		}
		ske.Public = append([]byte(nil), ske.Public...)
		// The rest points into the message, which later messages move
		// over; it is used during this call only.
		defer func() { ske.Raw, ske.Signature = nil, nil }()
		if !slices.Contains(groups12(c.hello.SupportedGroups), ske.Group) {
			return fail(wire.AlertIllegalParameter, "server chose group %s, which was not offered for TLS 1.2", wire.GroupName(ske.Group))
		}
		if !slices.Contains(sig.TLS12Schemes(), ske.Scheme) || !slices.Contains(c.hello.SigSchemes, ske.Scheme) {
			return fail(wire.AlertIllegalParameter, "server signed with %s, which was not offered", wire.SchemeName(ske.Scheme))
		}
		pub := c.st.PeerCertificates[0].PublicKey
		if sig.IsRSA(pub) == c.st.Suite.ECDSA {
			return fail(wire.AlertIllegalParameter, "certificate key does not fit %s", c.st.Suite.Name)
		}
		if err := sig.Verify12(pub, ske.Scheme, signed12(c.clientRandom, c.serverRandom, ske.Params()), ske.Signature); err != nil {
			return fail(wire.AlertDecryptError, "ServerKeyExchange: %v", err)
		}
		c.st.SignatureScheme = ske.Scheme
		c.st.Group = ske.Group
		c.write12(msg)
		c.state = c12WaitCertReqOrDone
	case c12WaitCertReqOrDone, c12WaitDone:
		switch {
		case typ == wire.TypeServerHelloDone && c.psk:
			if len(msg) != 4 {
				return fail(wire.AlertDecodeError, "ServerHelloDone with a body")
			}
			c.write12(msg)
			return c.secondFlightPSK()
		case typ == wire.TypeCertificateRequest && c.state == c12WaitCertReqOrDone:
			cr := new(wire.CertificateRequest12)
			if err := cr.Unmarshal(msg); err != nil {
				return err
			}
			cr.SigSchemes = append([]uint16(nil), cr.SigSchemes...)
			cr.CertTypes, cr.Raw = bytes.Clone(cr.CertTypes), nil
			cas := make([][]byte, len(cr.CertAuthorities))
			for i, ca := range cr.CertAuthorities {
				cas[i] = append([]byte(nil), ca...)
			}
			cr.CertAuthorities = cas
			c.certReq = cr
			c.st.CertRequested = true
			c.write12(msg)
			c.state = c12WaitDone
		case typ == wire.TypeServerHelloDone:
			if len(msg) != 4 {
				return fail(wire.AlertDecodeError, "ServerHelloDone with a body")
			}
			c.write12(msg)
			return c.secondFlight12()
		default:
			return unexpected(typ, "ServerHelloDone")
		}
	case c12WaitCCS:
		if typ != wire.TypeNewSessionTicket || !c.ticketExpected {
			return unexpected(typ, "ChangeCipherSpec")
		}
		var nst wire.NewSessionTicket12
		if err := nst.Unmarshal(msg); err != nil {
			return err
		}
		c.ticketExpected = false
		c.write12(msg)
		if len(nst.Ticket) > 0 && c.st.EMS && c.cfg.OnTicket != nil {
			life := time.Duration(nst.Lifetime) * time.Second
			if life <= 0 || life > maxTicketLifetime {
				life = maxTicketLifetime
			}
			c.cfg.OnTicket(&Ticket{
				Ticket: append([]byte(nil), nst.Ticket...), Lifetime: life, ReceivedAt: c.cfg.now(),
				Suite: c.st.Suite, ResumptionSecret: c.master12, PeerChain: chainOf(&c.st), OCSP: c.st.OCSP, SCTs: c.st.SCTs,
				ServerName: c.cfg.ServerName, ALPN: c.st.ALPN, Version: c.st.Version, Group: c.st.Group,
			})
		}
	case c12WaitFinished:
		if typ != wire.TypeFinished {
			return unexpected(typ, "Finished")
		}
		if err := c.checkFinished12(msg, false); err != nil {
			return err
		}
		if !c.st.Resumed && c.sessionID != nil && c.st.EMS && c.cfg.OnTicket != nil {
			// No ticket, but the server keeps the session by ID.
			c.cfg.OnTicket(&Ticket{
				SessionID: c.sessionID, Lifetime: maxTicketLifetime, ReceivedAt: c.cfg.now(),
				Suite: c.st.Suite, ResumptionSecret: c.master12, PeerChain: chainOf(&c.st), OCSP: c.st.OCSP, SCTs: c.st.SCTs,
				ServerName: c.cfg.ServerName, ALPN: c.st.ALPN, Version: c.st.Version, Group: c.st.Group,
			})
		}
		if c.st.Resumed {
			// Abbreviated handshake: our CCS and Finished come last.
			if err := c.verifyPeer(); err != nil {
				return err
			}
			c.finish12(true)
		}
		c.acts = append(c.acts, Action{Kind: ActDone})
		c.done = true
		c.kb12, c.mac12 = nil, nil // the keys are installed; an idle connection keeps neither
		c.state = c12Connected
	case c12Connected:
		// A HelloRequest asks us to renegotiate: hasp never does, and
		// says so with a warning (RFC 5246 section 7.4.1.1).
		if typ != wire.TypeHelloRequest || len(msg) != 4 {
			return unexpected(typ, "nothing after a TLS 1.2 handshake")
		}
		c.acts = append(c.acts, Action{Kind: ActWarning, Alert: wire.AlertNoRenegotiation})
	default:
		return unexpected(typ, "nothing")
	}
	return nil
}

// secondFlight12 sends [Certificate], ClientKeyExchange,
// [CertificateVerify], ChangeCipherSpec, Finished.
func (c *client12) secondFlight12() error {
	if err := c.verifyPeer(); err != nil {
		return err
	}
	var cert *Certificate
	var scheme uint16
	if cr := c.certReq; cr != nil {
		var err error
		if cert, scheme, err = c.chooseCertificate(cr.SigSchemes, cr.CertAuthorities, cr.CertTypes, Pick12); err != nil {
			return err
		}
		cm := wire.Certificate12{}
		if cert != nil {
			cm.Chain = cert.Chain
			c.st.LocalCertificate = cert
		}
		c.send12(cm.Marshal())
	}
	privs, err := kex.Generate([]uint16{c.ske.Group}, c.cfg.Rand)
	if err != nil {
		return fail(wire.AlertInternalError, "%v", err)
	}
	shared, err := privs[0].Shared(c.ske.Public)
	if err != nil {
		return fail(wire.AlertIllegalParameter, "server key share for %s: %v", wire.GroupName(c.ske.Group), err)
	}
	c.send12((&wire.ClientKeyExchange{Public: privs[0].Public()}).Marshal())
	c.masterSecret12(shared)
	if cert != nil && len(cert.Chain) > 0 {
		s, err := sig.Sign(cert.Signer, scheme, c.cfg.Rand, c.messages)
		if err != nil {
			return fail(wire.AlertInternalError, "signing CertificateVerify: %v", err)
		}
		c.send12((&wire.CertificateVerify{Scheme: scheme, Signature: s}).Marshal())
	}
	c.finish12(true)
	c.messages = nil
	c.state = c12WaitCCS
	return nil
}

// HandleCCS switches the read keys in TLS 1.2.
func (c *Client) HandleCCS() ([]Action, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	if c.v12 == nil {
		// TLS 1.3: the transport checked the one compatibility CCS.
		return c.acts, nil
	}
	if c.v12.state != c12WaitCCS {
		return c.result(fail(wire.AlertUnexpectedMessage, "change_cipher_spec out of order"))
	}
	if c.v12.ticketExpected {
		// RFC 5077 section 3.3: a server that promised a ticket sends it
		// before its ChangeCipherSpec.
		return c.result(fail(wire.AlertUnexpectedMessage, "change_cipher_spec before the promised NewSessionTicket"))
	}
	c.readKeyAtCCS12(false)
	c.v12.state = c12WaitFinished
	return c.acts, nil
}

// readHelloVerifyRequest takes a DTLS 1.2 server's request for a cookie
// (RFC 6347 section 4.2.1): the ClientHello goes again, the same but for
// the cookie, and neither it nor the request counts in the transcript.
// One request is answered; a second is unexpected (no loop).
func (c *Client) readHelloVerifyRequest(msg []byte) error {
	var hvr wire.HelloVerifyRequest
	if err := hvr.Unmarshal(msg); err != nil {
		return err
	}
	c.sawHVR = true
	c.hello.LegacyCookie = append([]byte(nil), hvr.Cookie...)
	c.transcript = keysched.Transcript{Datagram: true}
	c.marshalHello()
	c.send(LevelInitial, c.hello.Raw)
	return nil
}
