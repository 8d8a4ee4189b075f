package engine

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// This file holds the state x message table test: in every state of both
// roles of both protocol versions, every handshake message that may not
// come next is unexpected_message (RFC 8446 sections 4 and 6.2, RFC 5246
// sections 7.2.2 and 7.4: "It is a fatal error for a handshake message to
// be received out of order"). It uses only the Engine interface, so that
// it does not depend on how the state machines are built.

// hsDelivery is one delivery of a handshake between two engines: a
// message for one side at a level or, with data nil, a TLS 1.2
// change_cipher_spec record.
type hsDelivery struct {
	to    string // "client" or "server"
	level Level
	data  []byte
	// done: the receiving engine had completed its handshake before this
	// delivery.
	done bool
}

// typ is the handshake type, or -1 for a change_cipher_spec.
func (d hsDelivery) typ() int {
	if d.data == nil {
		return -1
	}
	return int(d.data[0])
}

func peerOf(side string) string {
	if side == "client" {
		return "server"
	}
	return "client"
}

// hsRun runs a client and a server engine against each other with no
// record layer, one delivery at a time in the order they were sent (the
// order a transport sees them in).
type hsRun struct {
	c, s Engine
	// ccs delivers change_cipher_spec records through HandleCCS (TLS
	// 1.2). TLS 1.3's compatibility CCS is the transport's to drop.
	ccs bool
	// stopAt stops the run before the delivery of that index (-1: never).
	stopAt int
	// before returns what to deliver in place of delivery i (nil: it).
	before func(i int, d hsDelivery) []hsDelivery
	// after sees the outcome of every delivery; doneBefore is whether the
	// engine had completed its handshake before it.
	after func(e Engine, d hsDelivery, acts []Action, err error, doneBefore bool)
}

func (x *hsRun) engine(side string) Engine {
	if side == "client" {
		return x.c
	}
	return x.s
}

func (x *hsRun) out(acts []Action, to string) []hsDelivery {
	var out []hsDelivery
	for _, a := range acts {
		switch {
		case a.Kind == ActSend:
			out = append(out, hsDelivery{to: to, level: a.Level, data: bytes.Clone(a.Msg)})
		case a.Kind == ActSendCCS && x.ccs:
			out = append(out, hsDelivery{to: to, level: a.Level})
		}
	}
	return out
}

// run starts the client and delivers until nothing is in flight, an
// engine fails or stopAt is reached. It returns the deliveries made (as
// sent, before any replacement by before).
func (x *hsRun) run(tb testing.TB) ([]hsDelivery, result) {
	tb.Helper()
	acts, err := x.c.Start()
	if err != nil {
		return nil, result{err, "client"}
	}
	queue := x.out(acts, "server")
	var trace []hsDelivery
	for len(queue) > 0 {
		if len(trace) >= 64 {
			tb.Fatalf("handshake did not finish in 64 deliveries")
		}
		d := queue[0]
		queue = queue[1:]
		e := x.engine(d.to)
		d.done = e.Done()
		i := len(trace)
		if i == x.stopAt {
			return trace, result{}
		}
		trace = append(trace, d)
		list := []hsDelivery{d}
		if x.before != nil {
			if l := x.before(i, d); l != nil {
				list = l
			}
		}
		for _, d := range list {
			doneBefore := e.Done()
			var acts []Action
			var err error
			if d.data == nil && e.State().Version != wire.VersionTLS12 {
				// What the transport does (conn.go): outside TLS 1.2 a
				// CCS is dropped while CCSAllowed, else it is
				// unexpected_message; the engine never sees it.
				if !e.CCSAllowed() {
					return trace, result{wire.Errorf(wire.AlertUnexpectedMessage, "unexpected change_cipher_spec"), d.to}
				}
				continue
			}
			if d.data == nil {
				acts, err = e.HandleCCS()
			} else {
				acts, err = e.Handle(d.level, d.data)
			}
			if x.after != nil {
				x.after(e, d, acts, err, doneBefore)
			}
			if err != nil {
				return trace, result{err, d.to}
			}
			queue = append(queue, x.out(acts, peerOf(d.to))...)
		}
	}
	return trace, result{}
}

// orderFlow is a handshake whose every state is tried.
type orderFlow struct {
	name  string
	tls12 bool
	cfgs  func() (*Config, *Config)
	// check says what makes this flow what it claims to be.
	check func(c, s Engine, trace []hsDelivery) error
	trace []hsDelivery
}

// A state is reached by replaying the flow's deliveries up to index on a
// fresh pair (a failed engine stays failed). index == len(trace) is the
// state after the handshake.
type orderPoint struct {
	role  string
	state string // "wait-<what came>" or "connected"
	index int
	level Level
	// allowed are the handshake types that may come now; the first is
	// the one the recorded handshake delivered.
	allowed []int
	// hrrAllowed: a HelloRetryRequest (a ServerHello by type) may come.
	hrrAllowed bool
	// helloRequestIgnorable: a TLS 1.2 client in a handshake may ignore
	// a HelloRequest (RFC 5246 section 7.4.1.1).
	helloRequestIgnorable bool
	// ccs says how a change_cipher_spec that may not come here is
	// refused.
	ccs orderCCS
}

// orderCCS: who refuses an out-of-order change_cipher_spec.
type orderCCS uint8

const (
	// ccsMayCome: one may come here. In a TLS 1.3 handshake, from the
	// first ClientHello to the peer's Finished, one compatibility CCS is
	// dropped (RFC 8446 section 5 and appendix D.4); a TLS 1.2 engine
	// waiting for the peer's CCS takes it.
	ccsMayCome orderCCS = iota
	// ccsEngineRefuses: the engine knows it speaks TLS 1.2, so the
	// transport hands every CCS to HandleCCS, which must refuse it with
	// unexpected_message (RFC 5246 sections 7.1 and 7.4).
	ccsEngineRefuses
	// ccsTransportRefuses: TLS 1.3, or no version yet. The transport
	// drops a CCS while CCSAllowed and otherwise raises
	// unexpected_message itself (conn.go), so CCSAllowed must be false:
	// before the first ClientHello and after the peer's Finished (RFC
	// 8446 section 5), and before the ServerHello of a client that
	// offered TLS 1.2 only (RFC 5246 section 7.4: the RFC 8446 allowance
	// is TLS 1.3's).
	ccsTransportRefuses
)

func isRetryRequestMsg(m []byte) bool {
	return len(m) >= 38 && m[0] == wire.TypeServerHello && bytes.Equal(m[6:38], wire.HelloRetryRequestRandom[:])
}

// deliveryLabel names a delivery by what it is, from the receiver's view.
func deliveryLabel(d hsDelivery) string {
	from := "Server"
	if d.to == "server" {
		from = "Client"
	}
	switch {
	case d.data == nil:
		return "ChangeCipherSpec"
	case isRetryRequestMsg(d.data):
		return "HelloRetryRequest"
	}
	switch t := d.data[0]; t {
	case wire.TypeCertificate, wire.TypeCertificateVerify, wire.TypeFinished:
		return from + wire.HandshakeName(t)
	default:
		return wire.HandshakeName(t)
	}
}

// points lists the states of a recorded flow, each role's once.
func (f *orderFlow) points() []orderPoint {
	var pts []orderPoint
	seen := map[string]int{}
	sawHRR := false
	prev := map[string]string{} // label of the last message each role received
	add := func(p orderPoint) {
		key := p.role + "/" + p.state
		seen[key]++
		if n := seen[key]; n > 1 {
			if p.state == "connected" {
				return
			}
			p.state += fmt.Sprint(n)
		}
		pts = append(pts, p)
	}
	connected := func(role string, index int, level Level) orderPoint {
		p := orderPoint{role: role, state: "connected", index: index, level: level, ccs: ccsTransportRefuses}
		if f.tls12 {
			p.ccs = ccsEngineRefuses
		}
		switch {
		case !f.tls12 && role == "client":
			// RFC 8446 section 4.6: tickets and key updates; a
			// CertificateRequest only with post_handshake_auth offered,
			// which no flow here does (section 4.6.2).
			p.allowed = []int{int(wire.TypeNewSessionTicket), int(wire.TypeKeyUpdate)}
		case !f.tls12:
			// No post-handshake authentication was asked for, so only
			// KeyUpdate may come from the client.
			p.allowed = []int{int(wire.TypeKeyUpdate)}
		case role == "client":
			// RFC 5246 section 7.4.1.1: a HelloRequest is answered with
			// a no_renegotiation warning (hasp never renegotiates).
			p.allowed = []int{int(wire.TypeHelloRequest)}
		default:
			// RFC 5746 section 4.4: a renegotiating ClientHello is
			// refused with a no_renegotiation warning, by design.
			p.allowed = []int{int(wire.TypeClientHello)}
		}
		return p
	}
	for i, d := range f.trace {
		if d.done {
			add(connected(d.to, i, d.level))
			continue
		}
		l := deliveryLabel(d)
		p := orderPoint{role: d.to, state: "wait-" + l, index: i, level: d.level}
		if d.data != nil {
			p.allowed = []int{d.typ()}
		}
		switch {
		case !f.tls12 && d.to == "client" && d.typ() == int(wire.TypeServerHello):
			// RFC 8446 section 4.1.4: one HelloRetryRequest at most.
			p.hrrAllowed = !sawHRR
			sawHRR = sawHRR || l == "HelloRetryRequest"
		case !f.tls12 && d.to == "client" && prev["client"] == "EncryptedExtensions" &&
			(l == "ServerCertificate" || l == "CertificateRequest"):
			// RFC 8446 section 4.3.2: CertificateRequest comes, if at
			// all, between EncryptedExtensions and Certificate.
			p.allowed = []int{d.typ(), int(wire.TypeCertificate), int(wire.TypeCertificateRequest)}
		case f.tls12 && d.to == "client" && prev["client"] == "ServerKeyExchange":
			// RFC 5246 section 7.3: [CertificateRequest] then
			// ServerHelloDone. CertificateStatus (RFC 6066 section 8) may
			// only follow a status_request the server acknowledged,
			// which none does here.
			p.allowed = []int{d.typ(), int(wire.TypeCertificateRequest), int(wire.TypeServerHelloDone)}
		}
		first := d.typ() == int(wire.TypeClientHello) && prev[d.to] == ""
		switch {
		case d.data == nil:
			// Waiting for the peer's TLS 1.2 CCS.
		case first:
			// Before the first ClientHello, in any version.
			p.ccs = ccsTransportRefuses
		case f.tls12 && d.typ() == int(wire.TypeServerHello):
			// The client offered TLS 1.2 only; no version is chosen yet.
			p.ccs = ccsTransportRefuses
		case f.tls12:
			p.ccs = ccsEngineRefuses
		}
		if f.tls12 {
			p.helloRequestIgnorable = d.to == "client"
		}
		if d.data != nil {
			prev[d.to] = l
		}
		add(p)
	}
	// The state after the handshake, for a role whose last delivery was
	// not already after its handshake completed.
	for _, role := range []string{"client", "server"} {
		if seen[role+"/connected"] == 0 {
			add(connected(role, len(f.trace), LevelApplication))
		}
	}
	return pts
}

// reach replays the flow on a fresh pair up to p and returns p's engine
// and the deliveries made.
func (f *orderFlow) reach(t *testing.T, p orderPoint) (Engine, []hsDelivery) {
	t.Helper()
	cc, sc := f.cfgs()
	x := &hsRun{c: NewClient(cc), s: NewServer(sc), ccs: f.tls12, stopAt: p.index}
	x.before = func(i int, d hsDelivery) []hsDelivery {
		if w := f.trace[i]; d.to != w.to || d.level != w.level || d.typ() != w.typ() || d.done != w.done {
			t.Fatalf("replay differs from the recording at delivery %d: %s %s at %s, recorded %s %s at %s",
				i, d.to, deliveryLabel(d), d.level, w.to, deliveryLabel(w), w.level)
		}
		return nil
	}
	trace, r := x.run(t)
	if r.err != nil {
		t.Fatalf("replaying up to %s/%s: %s: %v", p.role, p.state, r.errSide, r.err)
	}
	e := x.engine(p.role)
	if p.state == "connected" && !e.Done() {
		t.Fatalf("%s not connected after the handshake", p.role)
	}
	return e, trace
}

type orderMsg struct {
	name string
	data []byte
}

// orderFlows are the handshakes of both versions whose states are tried.
// serverGotClientCert checks a flow with client authentication.
func serverGotClientCert(c, s Engine, _ []hsDelivery) error {
	if len(s.State().PeerCertificates) == 0 {
		return fmt.Errorf("no client certificate")
	}
	return nil
}

func orderFlows(t *testing.T) []*orderFlow {
	keepTickets := func(*Ticket) {}
	clientAuth := func(c, s *Config) {
		s.RequestClientCert = true
		c.GetClientCertificate = func(*CertRequestInfo) (*Certificate, error) { return testCert, nil }
	}
	rc13, rs13 := resumablePair(t)
	rc12, rs12 := resumable12(t)
	flows := []*orderFlow{
		{name: "tls13", cfgs: func() (*Config, *Config) {
			c, s := clientConfig(), serverConfig()
			c.OnTicket = keepTickets // so that the server sends a ticket
			return c, s
		}},
		{name: "tls13-clientauth", cfgs: func() (*Config, *Config) {
			c, s := clientConfig(), serverConfig()
			clientAuth(c, s)
			return c, s
		}, check: serverGotClientCert},
		{name: "tls13-hrr", cfgs: func() (*Config, *Config) {
			c, s := clientConfig(), serverConfig()
			c.KeyShares = []uint16{wire.GroupX25519}
			s.Groups = []uint16{wire.GroupSecp256r1}
			return c, s
		}, check: func(c, s Engine, _ []hsDelivery) error {
			if !c.State().HelloRetry {
				return fmt.Errorf("no HelloRetryRequest")
			}
			return nil
		}},
		{name: "tls13-resumed", cfgs: func() (*Config, *Config) { return rc13, rs13 },
			check: func(c, s Engine, _ []hsDelivery) error {
				if !c.State().Resumed || !s.State().Resumed {
					return fmt.Errorf("not resumed")
				}
				return nil
			}},
		{name: "tls12", tls12: true, cfgs: configs12},
		{name: "tls12-clientauth", tls12: true, cfgs: func() (*Config, *Config) {
			c, s := configs12()
			clientAuth(c, s)
			return c, s
		}, check: serverGotClientCert},
		{name: "tls12-ticket", tls12: true, cfgs: func() (*Config, *Config) {
			c, s := configs12()
			c.OnTicket = keepTickets
			return c, s
		}, check: func(c, s Engine, trace []hsDelivery) error {
			if !slices.ContainsFunc(trace, func(d hsDelivery) bool { return d.typ() == int(wire.TypeNewSessionTicket) }) {
				return fmt.Errorf("no NewSessionTicket")
			}
			return nil
		}},
		{name: "tls12-resumed", tls12: true, cfgs: func() (*Config, *Config) { return rc12, rs12 },
			check: func(c, s Engine, _ []hsDelivery) error {
				if !c.State().Resumed || !s.State().Resumed {
					return fmt.Errorf("not resumed")
				}
				return nil
			}},
	}
	for _, f := range flows {
		cc, sc := f.cfgs()
		x := &hsRun{c: NewClient(cc), s: NewServer(sc), ccs: f.tls12, stopAt: -1}
		trace, r := x.run(t)
		if r.err != nil {
			t.Fatalf("%s: %s: %v", f.name, r.errSide, r.err)
		}
		if !x.c.Done() || !x.s.Done() {
			t.Fatalf("%s: handshake did not complete", f.name)
		}
		want := wire.VersionTLS13
		if f.tls12 {
			want = wire.VersionTLS12
		}
		if v := x.c.State().Version; v != want {
			t.Fatalf("%s: negotiated %s", f.name, wire.VersionName(v))
		}
		if f.check != nil {
			if err := f.check(x.c, x.s, trace); err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
		}
		f.trace = trace
	}
	return flows
}

// orderPool is a well-formed instance of every handshake message type
// there is: those the flows sent (TLS 1.2 forms marked "12"), and the
// ones no flow sends, made here.
func orderPool(t *testing.T, flows []*orderFlow) []orderMsg {
	var pool []orderMsg
	have := map[string]bool{}
	add := func(name string, data []byte) {
		if !have[name] {
			have[name] = true
			pool = append(pool, orderMsg{name, data})
		}
	}
	for _, f := range flows {
		for _, d := range f.trace {
			if d.data == nil {
				continue
			}
			name := wire.HandshakeName(d.data[0])
			if isRetryRequestMsg(d.data) {
				name = "HelloRetryRequest"
			}
			switch d.data[0] {
			case wire.TypeClientHello, wire.TypeServerHello, wire.TypeCertificate, wire.TypeCertificateRequest,
				wire.TypeCertificateVerify, wire.TypeFinished, wire.TypeNewSessionTicket:
				if f.tls12 {
					name += "12"
				}
			}
			add(name, d.data)
		}
	}
	add("KeyUpdate", (&wire.KeyUpdate{Request: wire.KeyUpdateRequested}).Marshal())
	add("EndOfEarlyData", []byte{wire.TypeEndOfEarlyData, 0, 0, 0})
	add("HelloRequest", bytes.Clone(wire.HelloRequest))
	// DTLS's HelloVerifyRequest (RFC 6347 section 4.2.1): DTLS 1.2, an
	// empty cookie.
	add("HelloVerifyRequest", []byte{3, 0, 0, 3, 0xfe, 0xfd, 0})
	add("CertificateStatus", (&wire.CertificateStatus{Response: []byte{0x30, 0x03, 0x0a, 0x01, 0x00}}).Marshal())
	add("message_hash", wire.MessageHash(make([]byte, 32)))
	// compressed_certificate (RFC 8879), never negotiated here.
	add("CompressedCertificate", []byte{25, 0, 0, 9, 0, 1, 0, 0, 1, 0, 0, 1, 0})
	add("handshake(99)", []byte{99, 0, 0, 2, 0, 0})
	for _, name := range []string{
		"ClientHello", "ServerHello", "HelloRetryRequest", "EncryptedExtensions", "CertificateRequest",
		"Certificate", "CertificateVerify", "Finished", "NewSessionTicket",
		"ClientHello12", "ServerHello12", "Certificate12", "ServerKeyExchange", "CertificateRequest12",
		"ServerHelloDone", "ClientKeyExchange", "CertificateVerify12", "Finished12", "NewSessionTicket12",
	} {
		if !have[name] {
			t.Fatalf("no flow sent a %s", name)
		}
	}
	return pool
}

// TestOutOfOrder feeds, in every state of every flow, every message that
// may not come next, at the level the engine reads then, and wants
// unexpected_message; in TLS 1.2 also a change_cipher_spec, and in TLS
// 1.3 CCSAllowed is checked where one may not come (see orderCCS).
//
// What is not tried, and why:
//   - A message of a type that may come in that state (the points'
//     allowed lists, each with its RFC section): what would be wrong with
//     an instance from another connection is its content, not its order.
//     A HelloRetryRequest after a HelloRetryRequest is tried (RFC 8446
//     section 4.1.4), with the connection's own, so that only its order
//     is wrong.
//   - After a TLS 1.2 handshake a ClientHello to the server and a
//     HelloRequest to the client are answered with a no_renegotiation
//     warning by design (RFC 5746 section 4.4, RFC 5246 section 7.4.1.1).
//   - A TLS 1.2 client may ignore a HelloRequest while it negotiates (RFC
//     5246 section 7.4.1.1): ignoring it and unexpected_message both pass.
//   - Messages at a level other than the one the engine reads: a wrong
//     level is unexpected_message whatever the type, so it would not test
//     the order (TestHostileHandshakes has a case).
//   - EndOfEarlyData is tried as out of order everywhere: no flow here
//     has 0-RTT accepted (RFC 8446 section 4.5).
func TestOutOfOrder(t *testing.T) {
	flows := orderFlows(t)
	pool := orderPool(t, flows)
	cases := 0
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			for _, p := range f.points() {
				t.Run(p.role+"/"+p.state, func(t *testing.T) {
					for _, m := range pool {
						typ := int(m.data[0])
						if slices.Contains(p.allowed, typ) && !(isRetryRequestMsg(m.data) && !f.tls12 && p.role == "client" && !p.hrrAllowed) {
							// The type may come now: what is wrong with this
							// instance is its content, not its order.
							continue
						}
						cases++
						t.Run("got-"+m.name, func(t *testing.T) {
							e, trace := f.reach(t, p)
							data := m.data
							if isRetryRequestMsg(data) {
								// A HelloRetryRequest is a ServerHello by
								// type, so it must fit this connection for
								// its order to be what is wrong: a second
								// one is this connection's first again.
								for _, d := range trace {
									if d.to == p.role && isRetryRequestMsg(d.data) {
										data = d.data
									}
								}
							}
							acts, err := e.Handle(p.level, bytes.Clone(data))
							if err == nil && typ == int(wire.TypeHelloRequest) && p.helloRequestIgnorable {
								// RFC 5246 section 7.4.1.1: a client that
								// is negotiating ignores a HelloRequest.
								return
							}
							wantUnexpected(t, e, acts, err)
						})
					}
					if p.ccs != ccsMayCome {
						cases++
						t.Run("got-ChangeCipherSpec", func(t *testing.T) {
							e, _ := f.reach(t, p)
							if p.ccs == ccsTransportRefuses {
								if e.CCSAllowed() {
									t.Fatal("CCSAllowed: the transport would drop this change_cipher_spec; want unexpected_message")
								}
								return
							}
							acts, err := e.HandleCCS()
							wantUnexpected(t, e, acts, err)
						})
					}
				})
			}
		})
	}
	t.Logf("%d state x message cases", cases)
}

func wantUnexpected(t *testing.T, e Engine, acts []Action, err error) {
	t.Helper()
	switch {
	case err == nil:
		kinds := make([]ActionKind, len(acts))
		for i, a := range acts {
			kinds[i] = a.Kind
		}
		t.Fatalf("accepted (actions %v); want unexpected_message", kinds)
	case wire.AlertOf(err) != wire.AlertUnexpectedMessage:
		t.Fatalf("got %s (%v); want unexpected_message", wire.AlertOf(err), err)
	case e.Err() == nil:
		t.Fatalf("the engine did not stay failed after %v", err)
	}
}
