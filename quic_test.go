package hasp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

// quicSide is either library's QUICConn behind one interface, recording
// what its events said.
type quicSide struct {
	name   string
	params []byte
	start  func(context.Context) error
	handle func(level int, data []byte) error
	next   func() (kind string, level int, data []byte, suite uint16)
	setTP  func([]byte)
	state  func() (version uint16, resumed bool, alpn string, hrr bool)

	read, write [4][]byte // secrets per level
	peerParams  []byte
	done        bool
	lastErr     error
	sent        [4][][]byte // handshake messages sent per level (whole CRYPTO writes)
}

func haspQUIC(name string, q *hasp.QUICConn, params []byte) *quicSide {
	s := &quicSide{name: name, params: params}
	s.start = q.Start
	s.handle = func(l int, d []byte) error { return q.HandleData(hasp.QUICEncryptionLevel(l), d) }
	s.next = func() (string, int, []byte, uint16) {
		e := q.NextEvent()
		kinds := map[hasp.QUICEventKind]string{hasp.QUICNoEvent: "", hasp.QUICSetReadSecret: "read", hasp.QUICSetWriteSecret: "write",
			hasp.QUICWriteData: "data", hasp.QUICTransportParameters: "tp", hasp.QUICTransportParametersRequired: "tp-required",
			hasp.QUICHandshakeDone: "done", hasp.QUICRejectedEarlyData: "rejected"}
		if e.Kind == hasp.QUICErrorEvent {
			s.lastErr = e.Err
			return "error", 0, nil, 0
		}
		return kinds[e.Kind], int(e.Level), e.Data, e.Suite
	}
	s.setTP = q.SetTransportParameters
	s.state = func() (uint16, bool, string, bool) {
		st := q.ConnectionState()
		return st.Version, st.DidResume, st.NegotiatedProtocol, st.HelloRetryRequest
	}
	return s
}

func stdQUIC(name string, q *tls.QUICConn, params []byte) *quicSide {
	s := &quicSide{name: name, params: params}
	s.start = q.Start
	s.handle = func(l int, d []byte) error { return q.HandleData(tls.QUICEncryptionLevel(l), d) }
	s.next = func() (string, int, []byte, uint16) {
		e := q.NextEvent()
		kinds := map[tls.QUICEventKind]string{tls.QUICNoEvent: "", tls.QUICSetReadSecret: "read", tls.QUICSetWriteSecret: "write",
			tls.QUICWriteData: "data", tls.QUICTransportParameters: "tp", tls.QUICTransportParametersRequired: "tp-required",
			tls.QUICHandshakeDone: "done", tls.QUICRejectedEarlyData: "rejected", tls.QUICStoreSession: "store", tls.QUICResumeSession: "resume"}
		k, ok := kinds[e.Kind]
		if !ok {
			k = fmt.Sprintf("std-event-%d", e.Kind)
		}
		if e.Kind == tls.QUICErrorEvent {
			s.lastErr, k = e.Err, "error"
		}
		return k, int(e.Level), e.Data, e.Suite
	}
	s.setTP = q.SetTransportParameters
	s.state = func() (uint16, bool, string, bool) {
		st := q.ConnectionState()
		return st.Version, st.DidResume, st.NegotiatedProtocol, st.HelloRetryRequest
	}
	return s
}

// drain handles one side's events, passing data to the peer. It returns
// whether anything happened.
func (s *quicSide) drain(t *testing.T, peer *quicSide) (bool, error) {
	moved := false
	for {
		kind, level, data, _ := s.next()
		switch kind {
		case "":
			return moved, nil
		case "read":
			s.read[level] = bytes.Clone(data)
		case "write":
			s.write[level] = bytes.Clone(data)
		case "data":
			s.sent[level] = append(s.sent[level], bytes.Clone(data))
			if err := peer.handle(level, data); err != nil {
				return true, fmt.Errorf("%s handling %s's data: %w", peer.name, s.name, err)
			}
		case "tp":
			s.peerParams = bytes.Clone(data)
		case "tp-required":
			s.setTP(s.params)
		case "done":
			s.done = true
		case "store", "resume":
		case "error":
			return true, fmt.Errorf("%s: %w", s.name, s.lastErr)
		default:
			return true, fmt.Errorf("%s: event %s", s.name, kind)
		}
		moved = true
	}
}

// quicHandshake runs a QUIC handshake between two sides in memory.
func quicHandshake(t *testing.T, c, s *quicSide) error {
	t.Helper()
	ctx := context.Background()
	if err := s.start(ctx); err != nil {
		return fmt.Errorf("%s Start: %w", s.name, err)
	}
	if err := c.start(ctx); err != nil {
		return fmt.Errorf("%s Start: %w", c.name, err)
	}
	for i := 0; i < 32; i++ {
		m1, err := c.drain(t, s)
		if err != nil {
			return err
		}
		m2, err := s.drain(t, c)
		if err != nil {
			return err
		}
		if !m1 && !m2 {
			break
		}
	}
	if !c.done || !s.done {
		return fmt.Errorf("handshake incomplete: %s done %v, %s done %v", c.name, c.done, s.name, s.done)
	}
	return nil
}

var (
	clientTP = []byte("client transport parameters")
	serverTP = []byte("server transport parameters")
)

func quicConfigs() (*hasp.Config, *hasp.Config, *tls.Config, *tls.Config) {
	hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
	sc, ss := stdClientConfig(), stdServerConfig(testcerts.P256)
	for _, c := range []*hasp.Config{hc, hs} {
		c.NextProtos = []string{"h3"}
	}
	for _, c := range []*tls.Config{sc, ss} {
		c.NextProtos = []string{"h3"}
	}
	return hc, hs, sc, ss
}

// checkAgreement: both sides derived the same secret at every level in
// each direction, learned each other's transport parameters and agree on
// the version and ALPN.
func checkAgreement(t *testing.T, c, s *quicSide) {
	t.Helper()
	for l := 2; l <= 3; l++ {
		if len(c.write[l]) == 0 || !bytes.Equal(c.write[l], s.read[l]) || !bytes.Equal(s.write[l], c.read[l]) || bytes.Equal(c.write[l], s.write[l]) {
			t.Errorf("level %d: secrets do not pair up (client write %x / server read %x; server write %x / client read %x)", l, c.write[l], s.read[l], s.write[l], c.read[l])
		}
	}
	if !bytes.Equal(c.peerParams, serverTP) || !bytes.Equal(s.peerParams, clientTP) {
		t.Errorf("transport parameters: client got %q, server got %q", c.peerParams, s.peerParams)
	}
	cv, _, ca, _ := c.state()
	sv, _, sa, _ := s.state()
	if cv != hasp.VersionTLS13 || sv != cv || ca != "h3" || sa != "h3" {
		t.Errorf("client %x %q, server %x %q", cv, ca, sv, sa)
	}
	// No compatibility mode in QUIC: the client's legacy_session_id is
	// empty (RFC 9001 section 8.4).
	if init := c.sent[0]; len(init) > 0 {
		var ch wire.ClientHello
		if err := ch.Unmarshal(init[0]); err == nil && len(ch.SessionID) != 0 {
			t.Errorf("%s sent a legacy_session_id over QUIC", c.name)
		}
	}
}

// hasp's QUICConn against crypto/tls's, in both roles.
func TestQUICInterop(t *testing.T) {
	hc, hs, sc, ss := quicConfigs()
	t.Run("hasp client, crypto/tls server", func(t *testing.T) {
		c := haspQUIC("hasp client", hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc}), clientTP)
		c.setTP(clientTP)
		s := stdQUIC("std server", tls.QUICServer(&tls.QUICConfig{TLSConfig: ss}), serverTP)
		if err := quicHandshake(t, c, s); err != nil {
			t.Fatal(err)
		}
		checkAgreement(t, c, s)
	})
	t.Run("crypto/tls client, hasp server", func(t *testing.T) {
		sq := tls.QUICClient(&tls.QUICConfig{TLSConfig: sc})
		sq.SetTransportParameters(clientTP)
		c := stdQUIC("std client", sq, clientTP)
		s := haspQUIC("hasp server", hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs}), serverTP)
		if err := quicHandshake(t, c, s); err != nil {
			t.Fatal(err)
		}
		checkAgreement(t, c, s)
	})
	t.Run("hasp both ends, parameters asked for", func(t *testing.T) {
		c := haspQUIC("hasp client", hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc}), clientTP)
		s := haspQUIC("hasp server", hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs}), serverTP)
		if err := quicHandshake(t, c, s); err != nil {
			t.Fatal(err)
		}
		checkAgreement(t, c, s)
	})
}

// A HelloRetryRequest over QUIC, both ways: the server accepts only
// P-256, for which the client sent no share.
func TestQUICHelloRetryRequest(t *testing.T) {
	hc, hs, sc, ss := quicConfigs()
	hs.CurvePreferences = []hasp.CurveID{hasp.CurveP256}
	ss.CurvePreferences = []tls.CurveID{tls.CurveP256}
	for _, tc := range []struct {
		name string
		c, s func() *quicSide
	}{
		{"hasp client", func() *quicSide {
			q := hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc})
			q.SetTransportParameters(clientTP)
			return haspQUIC("hasp client", q, clientTP)
		}, func() *quicSide {
			return stdQUIC("std server", tls.QUICServer(&tls.QUICConfig{TLSConfig: ss}), serverTP)
		}},
		{"hasp server", func() *quicSide {
			q := tls.QUICClient(&tls.QUICConfig{TLSConfig: sc})
			q.SetTransportParameters(clientTP)
			return stdQUIC("std client", q, clientTP)
		}, func() *quicSide {
			return haspQUIC("hasp server", hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs}), serverTP)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := tc.c(), tc.s()
			if err := quicHandshake(t, c, s); err != nil {
				t.Fatal(err)
			}
			checkAgreement(t, c, s)
			if _, _, _, hrr := c.state(); !hrr {
				t.Error("no HelloRetryRequest happened")
			}
		})
	}
}

// Resumption over QUIC: the server sends a ticket on request, the client
// keeps it in its session cache and resumes with it.
func TestQUICResumption(t *testing.T) {
	t.Run("hasp client, crypto/tls server", func(t *testing.T) {
		hc, _, _, ss := quicConfigs()
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
		for i, want := range []bool{false, true} {
			sq := tls.QUICServer(&tls.QUICConfig{TLSConfig: ss})
			c := haspQUIC("hasp client", hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc}), clientTP)
			c.setTP(clientTP)
			s := stdQUIC("std server", sq, serverTP)
			if err := quicHandshake(t, c, s); err != nil {
				t.Fatal(err)
			}
			if err := sq.SendSessionTicket(tls.QUICSessionTicketOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.drain(t, c); err != nil {
				t.Fatal(err)
			}
			if _, resumed, _, _ := c.state(); resumed != want {
				t.Fatalf("connection %d: resumed %v, want %v", i, resumed, want)
			}
		}
	})
	t.Run("crypto/tls client, hasp server", func(t *testing.T) {
		_, hs, sc, _ := quicConfigs()
		sc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		for i, want := range []bool{false, true} {
			hq := hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs})
			cq := tls.QUICClient(&tls.QUICConfig{TLSConfig: sc})
			cq.SetTransportParameters(clientTP)
			c := stdQUIC("std client", cq, clientTP)
			s := haspQUIC("hasp server", hq, serverTP)
			if err := quicHandshake(t, c, s); err != nil {
				t.Fatal(err)
			}
			if err := hq.SendSessionTicket(hasp.QUICSessionTicketOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.drain(t, c); err != nil {
				t.Fatal(err)
			}
			if _, resumed, _, _ := s.state(); resumed != want {
				t.Fatalf("connection %d: resumed %v, want %v", i, resumed, want)
			}
		}
	})
}

// QUIC's rules: no KeyUpdate message (RFC 9001 section 6), ALPN required
// (8.1), an empty legacy_session_id (8.4).
func TestQUICRules(t *testing.T) {
	t.Run("KeyUpdate refused", func(t *testing.T) {
		hc, hs, _, _ := quicConfigs()
		c := haspQUIC("hasp client", hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc}), clientTP)
		s := haspQUIC("hasp server", hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs}), serverTP)
		if err := quicHandshake(t, c, s); err != nil {
			t.Fatal(err)
		}
		ku := []byte{wire.TypeKeyUpdate, 0, 0, 1, 0}
		for _, side := range []*quicSide{c, s} {
			var ae *hasp.AlertError
			if err := side.handle(3, ku); !errors.As(err, &ae) || ae.Alert != hasp.AlertUnexpectedMessage {
				t.Errorf("%s took a KeyUpdate: %v", side.name, err)
			}
		}
	})
	t.Run("ALPN required", func(t *testing.T) {
		hc, hs, sc, ss := quicConfigs()
		sc.NextProtos = nil
		cq := tls.QUICClient(&tls.QUICConfig{TLSConfig: sc})
		cq.SetTransportParameters(clientTP)
		err := quicHandshake(t, stdQUIC("std client", cq, clientTP), haspQUIC("hasp server", hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs}), serverTP))
		var ae *hasp.AlertError
		if !errors.As(err, &ae) || ae.Alert != hasp.AlertNoApplicationProtocol {
			t.Errorf("hasp server, client without ALPN: %v", err)
		}
		ss.NextProtos = []string{"other"}
		c := haspQUIC("hasp client", hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc}), clientTP)
		c.setTP(clientTP)
		if err := quicHandshake(t, c, stdQUIC("std server", tls.QUICServer(&tls.QUICConfig{TLSConfig: ss}), serverTP)); err == nil {
			t.Error("hasp client finished with no application protocol")
		}
	})
	t.Run("no CRYPTO data at the 0-RTT level", func(t *testing.T) {
		_, hs, _, _ := quicConfigs()
		sq := hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs})
		sq.SetTransportParameters(serverTP)
		if err := sq.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		var ae *hasp.AlertError
		if err := sq.HandleData(hasp.QUICEncryptionLevelEarly, []byte{1}); !errors.As(err, &ae) || ae.Alert != hasp.AlertUnexpectedMessage {
			t.Errorf("CRYPTO data at the 0-RTT level: %v", err)
		}
	})
	t.Run("a client without ALPN does not start", func(t *testing.T) {
		hc, _, _, _ := quicConfigs()
		hc.NextProtos = nil
		q := hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc})
		q.SetTransportParameters(clientTP)
		if err := q.Start(context.Background()); err == nil {
			t.Error("started without NextProtos")
		}
	})
	t.Run("legacy_session_id refused", func(t *testing.T) {
		hc, hs, _, _ := quicConfigs()
		cq := hasp.QUICClient(&hasp.QUICConfig{TLSConfig: hc})
		cq.SetTransportParameters(clientTP)
		if err := cq.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		var hello []byte
		for e := cq.NextEvent(); e.Kind != hasp.QUICNoEvent; e = cq.NextEvent() {
			if e.Kind == hasp.QUICWriteData {
				hello = bytes.Clone(e.Data)
			}
		}
		var ch wire.ClientHello
		if err := ch.Unmarshal(hello); err != nil {
			t.Fatal(err)
		}
		tp, _ := wire.FindExtension(ch.Extensions, wire.ExtQUICTransportParameters)
		ch.SessionID = bytes.Repeat([]byte{7}, 32)
		ch.Extra = []wire.Extension{{Type: wire.ExtQUICTransportParameters, Data: tp}}
		ch.Raw = nil
		sq := hasp.QUICServer(&hasp.QUICConfig{TLSConfig: hs})
		sq.SetTransportParameters(serverTP)
		if err := sq.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		var ae *hasp.AlertError
		if err := sq.HandleData(hasp.QUICEncryptionLevelInitial, ch.Marshal()); !errors.As(err, &ae) || ae.Alert != hasp.AlertIllegalParameter {
			t.Errorf("ClientHello with a legacy_session_id: %v", err)
		}
	})
}
