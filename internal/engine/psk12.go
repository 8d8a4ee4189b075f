package engine

import (
	"bytes"
	"slices"

	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// TLS 1.2 with pre-shared keys (RFC 4279 plain PSK, RFC 5489 ECDHE_PSK):
// no certificates; the ServerKeyExchange carries an identity hint (and
// for ECDHE_PSK an unsigned key share), the ClientKeyExchange the
// identity, and the premaster secret joins the key with zeros or the
// ECDH secret. The Finished messages prove both ends hold the key.

// firstSuite12 is the first of the server's TLS 1.2 suites the client
// offers (whatever its kind).
func (s *Server) firstSuite12(offered []uint16) *suite.Suite {
	for _, id := range s.cfg.CipherSuites12 {
		if slices.Contains(offered, id) {
			if st := suite.ByID(id); st != nil && !st.TLS13 {
				return st
			}
		}
	}
	return nil
}

// readClientHelloPSK answers a ClientHello with a PSK suite: ServerHello,
// [ServerKeyExchange], ServerHelloDone.
func (s *Server) readClientHelloPSK(ch *wire.ClientHello, msg []byte, st *suite.Suite) error {
	alpn, err := s.pickALPN(ch)
	if err != nil {
		return err
	}
	s.v12 = &server12{Server: s, psk: true}
	var group uint16
	if st.ECDHE {
		offered := ch.SupportedGroups
		if len(offered) == 0 {
			offered = []uint16{wire.GroupSecp256r1}
		}
		for _, g := range groups12(s.cfg.Groups) {
			if slices.Contains(offered, g) {
				group = g
				break
			}
		}
		if group == 0 {
			return fail(wire.AlertHandshakeFailure, "no ECDHE group in common for TLS 1.2 (client offers %s)", groupNames(ch.SupportedGroups))
		}
		privs, err := kex.Generate([]uint16{group}, s.cfg.Rand)
		if err != nil {
			return fail(wire.AlertInternalError, "%v", err)
		}
		s.v12.priv = privs[0]
	}
	s.st.Version = s.cfg.variant().v12
	s.st.Suite = st
	s.st.Group = group
	s.st.ALPN = alpn
	s.st.ServerName = ch.ServerName
	s.clientRandom = ch.Random
	s.st.EMS = ch.EMS
	sh := wire.ServerHello{
		Vers: s.st.Version, CipherSuite: st.ID, HasSecureReneg: secureReneg(ch), EMS: ch.EMS, ALPN: alpn,
		HasPointFormats: len(ch.PointFormats) > 0 && st.ECDHE, PointFormats: []uint8{0},
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
		copy(sh.Random[24:], wire.DowngradeTLS12[:])
	}
	switch {
	case ch.HasSessionTicket && ch.EMS && s.cfg.SealTicket != nil && s.cfg.Tickets > 0:
		sh.TicketSupported = true
		s.v12.issueTicket = true
	case ch.EMS && s.cfg.StoreSession != nil:
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
	// RFC 4279 2: the ServerKeyExchange may be left out for plain PSK
	// when there is no hint; ECDHE_PSK always sends its key share.
	if st.ECDHE || len(s.cfg.PSKHint) > 0 {
		ske := wire.PSKServerKeyExchange{Hint: s.cfg.PSKHint, ECDHE: st.ECDHE, Group: group}
		if st.ECDHE {
			ske.Public = s.v12.priv.Public()
		}
		s.send12(ske.Marshal())
	}
	s.send12(wire.ServerHelloDone)
	s.v12.state = s12WaitClientKeyExchange
	return nil
}

// readClientKeyExchangePSK takes the client's identity (and key share)
// and derives the master secret.
func (s *server12) readClientKeyExchangePSK(msg []byte) error {
	ecdhe := s.st.Suite.ECDHE
	var cke wire.PSKClientKeyExchange
	if err := cke.Unmarshal(msg, ecdhe); err != nil {
		return err
	}
	key, err := s.cfg.PSKKey(cke.Identity)
	if err != nil || len(key) == 0 {
		// RFC 4279 2: unknown_psk_identity (a server may instead hide it
		// behind decrypt_error; hasp says what happened).
		return fail(wire.AlertUnknownPSKIdentity, "no pre-shared key for identity %q", printable(cke.Identity))
	}
	other := make([]byte, len(key))
	if ecdhe {
		if other, err = s.priv.Shared(cke.Public); err != nil {
			return fail(wire.AlertIllegalParameter, "client key share for %s: %v", wire.GroupName(s.st.Group), err)
		}
	}
	s.write12(msg)
	s.masterSecret12(wire.PSKPreMaster(other, key))
	s.st.ext().PSKIdentity = bytes.Clone(cke.Identity)
	if err := s.verifyPeer(); err != nil {
		return err
	}
	s.state = s12WaitCCS
	return nil
}

// readServerKeyExchangePSK takes a PSK suite's ServerKeyExchange.
func (c *client12) readServerKeyExchangePSK(msg []byte) error {
	var ske wire.PSKServerKeyExchange
	if err := ske.Unmarshal(msg, c.st.Suite.ECDHE); err != nil {
		return err
	}
	if ske.ECDHE && !slices.Contains(groups12(c.hello.SupportedGroups), ske.Group) {
		return fail(wire.AlertIllegalParameter, "server chose group %s, which was not offered for TLS 1.2", wire.GroupName(ske.Group))
	}
	c.pskHint = bytes.Clone(ske.Hint)
	c.ske.Group, c.ske.Public = ske.Group, bytes.Clone(ske.Public)
	c.st.Group = ske.Group
	c.write12(msg)
	c.state = c12WaitDone
	return nil
}

// secondFlightPSK sends ClientKeyExchange, ChangeCipherSpec, Finished.
func (c *client12) secondFlightPSK() error {
	if c.cfg.PSKFor == nil {
		return fail(wire.AlertInternalError, "a PSK suite was chosen, and no pre-shared key is configured")
	}
	identity, key, err := c.cfg.PSKFor(c.pskHint)
	if err != nil || len(key) == 0 || len(identity) == 0 {
		return fail(wire.AlertInternalError, "no pre-shared key for hint %q: %v", printable(c.pskHint), err)
	}
	cke := wire.PSKClientKeyExchange{Identity: identity, ECDHE: c.st.Suite.ECDHE}
	other := make([]byte, len(key))
	if cke.ECDHE {
		if c.ske.Public == nil {
			return fail(wire.AlertUnexpectedMessage, "ECDHE_PSK server sent no key share")
		}
		privs, err := kex.Generate([]uint16{c.ske.Group}, c.cfg.Rand)
		if err != nil {
			return fail(wire.AlertInternalError, "%v", err)
		}
		if other, err = privs[0].Shared(c.ske.Public); err != nil {
			return fail(wire.AlertIllegalParameter, "server key share for %s: %v", wire.GroupName(c.ske.Group), err)
		}
		cke.Public = privs[0].Public()
	}
	if err := c.verifyPeer(); err != nil {
		return err
	}
	c.send12(cke.Marshal())
	c.masterSecret12(wire.PSKPreMaster(other, key))
	c.st.ext().PSKIdentity = bytes.Clone(identity)
	c.finish12(true)
	c.messages = nil
	c.state = c12WaitCCS
	return nil
}

// printable quotes peer bytes for an error message without letting
// control bytes through.
func printable(b []byte) string {
	out := make([]rune, 0, len(b))
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			r = '.'
		}
		out = append(out, r)
		if len(out) >= 64 {
			break
		}
	}
	return string(out)
}
