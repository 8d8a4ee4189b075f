package engine

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"testing/cryptotest"

	"github.com/hasp-tls/hasp/internal/wire"
)

// Fuzz targets for the TLS 1.2 state machines. Each input runs a real
// TLS 1.2 handshake between a client and a server engine and changes one
// delivery to the engine under test (the target): the peer's message is
// replaced, mutated, dropped, or preceded by a change_cipher_spec or
// another message; a delivery past the end of the handshake goes to the
// connected target. The handshake then goes on as far as it can.
//
// Input: b[0] picks the handshake (full, client authentication, ticket,
// resumed); b[1] the delivery to the target (0-15, counting CCS records);
// b[2] the operation (low 3 bits, see fuzz12Op) and, with its top bit
// set, the level to deliver at (bits 4-5); b[3:] is the operand.
//
// Properties: no panic and no endless exchange; every error the engines
// return carries an alert other than internal_error (no Config callback
// here fails, so nothing the engines do internally may); an engine that
// fails stays failed and never completes its handshake in a failing
// call; ActDone comes exactly when Done turns true; and a handshake never
// completes on both sides when a message was changed (the Finished
// messages cover the whole transcript, RFC 5246 section 7.4.9), and when
// it completes both sides agree on the master secret.

type fuzz12Op uint8

const (
	op12Raw          fuzz12Op = iota // deliver the operand as it is
	op12Body                         // the operand as the body under the original header type
	op12Message                      // operand[0] as type, operand[1:] as body
	op12CCSBefore                    // a change_cipher_spec, then the original
	op12InsertBefore                 // operand[0] as type, operand[1:] as body, then the original
	op12Drop                         // nothing
	op12XOR                          // the original with the operand XORed into (and extending) its body
	op12CCSInstead                   // a change_cipher_spec instead
)

type fuzz12Flow struct {
	name string
	cfgs func() (*Config, *Config)
}

// fuzz12Flows returns the handshakes the fuzzer starts from. Tickets are
// sealed by a stateless test sealer, so fuzz workers share nothing.
func fuzz12Flows(tb testing.TB) []fuzz12Flow {
	seal := func(p []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil }
	open := func(b []byte) ([]byte, error) {
		if !bytes.HasPrefix(b, []byte("sealed:")) {
			return nil, errors.New("not ours")
		}
		return b[len("sealed:"):], nil
	}
	ticketed := func() (*Config, *Config) {
		c, s := configs12()
		s.SealTicket, s.OpenTicket = seal, open
		c.OnTicket = func(*Ticket) {}
		return c, s
	}
	// A session to resume.
	var session *Ticket
	cc, sc := ticketed()
	cc.OnTicket = func(t *Ticket) { session = t }
	x := &hsRun{c: NewClient(cc), s: NewServer(sc), ccs: true, stopAt: -1}
	if _, r := x.run(tb); r.err != nil || session == nil {
		tb.Fatalf("first TLS 1.2 handshake: %v (ticket %v)", r.err, session != nil)
	}
	return []fuzz12Flow{
		{"full", configs12},
		{"clientauth", func() (*Config, *Config) {
			c, s := configs12()
			s.RequestClientCert = true
			c.GetClientCertificate = func(*CertRequestInfo) (*Certificate, error) { return testCert, nil }
			return c, s
		}},
		{"ticket", ticketed},
		{"resumed", func() (*Config, *Config) {
			c, s := ticketed()
			c.Session = session
			return c, s
		}},
	}
}

func fuzzWrap(typ uint8, body []byte) []byte {
	return setLen(append([]byte{typ, 0, 0, 0}, body...))
}

// craft12 makes the deliveries op puts in place of d (d.data nil and
// d.to set for a delivery after the handshake or a CCS).
func craft12(op fuzz12Op, d hsDelivery, level Level, operand []byte) []hsDelivery {
	msg := func(data []byte) hsDelivery { return hsDelivery{to: d.to, level: level, data: data} }
	ccs := hsDelivery{to: d.to, level: d.level}
	typedOperand := func() []byte {
		if len(operand) == 0 {
			return fuzzWrap(wire.TypeHelloRequest, nil)
		}
		return fuzzWrap(operand[0], operand[1:])
	}
	orig := func() []hsDelivery {
		if d.data == nil && d.done {
			return nil // after the handshake: nothing was in flight
		}
		return []hsDelivery{d}
	}
	switch op {
	case op12Raw:
		return []hsDelivery{msg(append([]byte{}, operand...))}
	case op12Body:
		if d.data == nil {
			return []hsDelivery{msg(typedOperand())}
		}
		return []hsDelivery{msg(fuzzWrap(d.data[0], operand))}
	case op12Message:
		return []hsDelivery{msg(typedOperand())}
	case op12CCSBefore:
		return append([]hsDelivery{ccs}, orig()...)
	case op12InsertBefore:
		return append([]hsDelivery{msg(typedOperand())}, orig()...)
	case op12Drop:
		return []hsDelivery{}
	case op12XOR:
		if d.data == nil {
			return []hsDelivery{msg(typedOperand())}
		}
		m := bytes.Clone(d.data)
		for i, x := range operand {
			if 4+i < len(m) {
				m[4+i] ^= x
			} else {
				m = append(m, x)
			}
		}
		return []hsDelivery{msg(setLen(m))}
	default: // op12CCSInstead
		return []hsDelivery{ccs}
	}
}

// sameDeliveries: the same messages and records, whatever their levels (a
// TLS 1.2 level is the transport's reading state, not in the transcript).
func sameDeliveries(a, b []hsDelivery) bool {
	return slices.EqualFunc(a, b, func(x, y hsDelivery) bool {
		return (x.data == nil) == (y.data == nil) && bytes.Equal(x.data, y.data)
	})
}

func fuzz12(t *testing.T, flows []fuzz12Flow, target string, b []byte) {
	if len(b) < 3 {
		return
	}
	flow := flows[int(b[0])%len(flows)]
	index := int(b[1] % 16)
	op := fuzz12Op(b[2] & 7)
	levelSet, level := b[2]&0x80 != 0, Level(b[2]>>4&3)
	operand := b[3:]

	// The same input runs the same handshake (keys, randoms, signatures),
	// so that its coverage is stable.
	cryptotest.SetGlobalRandom(t, 1)
	cc, sc := flow.cfgs()
	x := &hsRun{c: NewClient(cc), s: NewServer(sc), ccs: true, stopAt: -1}
	name := func(e Engine) string {
		if e == x.c {
			return "client"
		}
		return "server"
	}
	x.after = func(e Engine, d hsDelivery, acts []Action, err error, doneBefore bool) {
		gotDone := slices.ContainsFunc(acts, func(a Action) bool { return a.Kind == ActDone })
		if err != nil {
			if wire.AlertOf(err) == wire.AlertInternalError {
				t.Fatalf("%s %s: internal_error for peer input %x: %v", flow.name, name(e), d.data, err)
			}
			if e.Err() != err {
				t.Fatalf("%s %s: failed with %v but Err() is %v", flow.name, name(e), err, e.Err())
			}
			if gotDone || (!doneBefore && e.Done()) {
				t.Fatalf("%s %s: handshake done in a call that failed with %v", flow.name, name(e), err)
			}
			return
		}
		if e.Err() != nil {
			t.Fatalf("%s %s: a call succeeded on an engine failed with %v", flow.name, name(e), e.Err())
		}
		if gotDone != (!doneBefore && e.Done()) {
			t.Fatalf("%s %s: ActDone %v, Done() went from %v to %v", flow.name, name(e), gotDone, doneBefore, e.Done())
		}
	}
	fired, changed, ignorable := false, false, false
	n := 0
	x.before = func(i int, d hsDelivery) []hsDelivery {
		if d.to != target || fired {
			return nil
		}
		if n != index {
			n++
			return nil
		}
		fired = true
		l := d.level
		if levelSet {
			l = level
		}
		out := craft12(op, d, l, operand)
		if e := x.engine(target); len(out) > 0 && out[0].data == nil && d.data != nil &&
			e.State().Version != wire.VersionTLS12 && e.CCSAllowed() {
			// Before the version is known the transport drops a CCS
			// the engine allows (RFC 8446 section 5): no change.
			out = out[1:]
		}
		changed = !sameDeliveries(out, []hsDelivery{d})
		// RFC 5246 section 7.4.1.1: a client may ignore a HelloRequest
		// that arrives while it negotiates.
		ignorable = target == "client" && op == op12InsertBefore && bytes.Equal(out[0].data, wire.HelloRequest)
		return out
	}
	_, r := x.run(t)
	if r.err != nil {
		if (!fired || !changed) && !levelSet {
			t.Fatalf("%s: handshake failed with nothing changed: %s: %v", flow.name, r.errSide, r.err)
		}
		return
	}
	if !x.c.Done() || !x.s.Done() {
		// A dropped or swallowed message can leave both waiting.
		if !fired || !changed {
			t.Fatalf("%s: handshake stalled with nothing changed", flow.name)
		}
		return
	}
	if fired && changed && !ignorable {
		t.Fatalf("%s: handshake completed though the %s's delivery %d was changed", flow.name, target, index)
	}
	cs, ss := x.c.State(), x.s.State()
	if cs.Version != wire.VersionTLS12 || ss.Version != wire.VersionTLS12 || cs.Suite != ss.Suite ||
		cs.Ext == nil || len(cs.Ext.MasterSecret12) == 0 || !bytes.Equal(cs.Ext.MasterSecret12, ss.X().MasterSecret12) {
		t.Fatalf("%s: the engines disagree on the session: client %+v server %+v", flow.name, cs, ss)
	}
	if fired {
		return
	}
	// Past the handshake: the change goes to the connected target.
	e := x.engine(target)
	l := LevelApplication
	if levelSet {
		l = level
	}
	for _, d := range craft12(op, hsDelivery{to: target, level: LevelApplication, done: true}, l, operand) {
		doneBefore := e.Done()
		var acts []Action
		var err error
		if d.data == nil {
			acts, err = e.HandleCCS()
		} else {
			acts, err = e.Handle(d.level, d.data)
		}
		x.after(e, d, acts, err, doneBefore)
		if err != nil {
			return
		}
	}
}

// fuzz12Seeds adds, for every delivery to target in every flow, the
// unchanged message and a CCS before it, a drop and the message's
// successor early; and messages after the handshake.
func fuzz12Seeds(f *testing.F, flows []fuzz12Flow, target string) {
	for fi, fl := range flows {
		cc, sc := fl.cfgs()
		x := &hsRun{c: NewClient(cc), s: NewServer(sc), ccs: true, stopAt: -1}
		trace, r := x.run(f)
		if r.err != nil {
			f.Fatalf("%s: %s: %v", fl.name, r.errSide, r.err)
		}
		var mine []hsDelivery
		for _, d := range trace {
			if d.to == target {
				mine = append(mine, d)
			}
		}
		for n, d := range mine {
			seed := func(op fuzz12Op, operand []byte) {
				f.Add(append([]byte{byte(fi), byte(n), byte(op)}, operand...))
			}
			if d.data != nil {
				seed(op12Body, d.data[4:])
				seed(op12XOR, nil)
				seed(op12Raw, d.data)
			}
			seed(op12CCSBefore, nil)
			seed(op12Drop, nil)
			if n+1 < len(mine) && mine[n+1].data != nil {
				seed(op12Message, mine[n+1].data[:1])
				seed(op12Message, append([]byte{mine[n+1].data[0]}, mine[n+1].data[4:]...))
			}
		}
		past := byte(len(mine))
		f.Add([]byte{byte(fi), past, byte(op12Message), wire.TypeHelloRequest})
		f.Add([]byte{byte(fi), past, byte(op12Message), wire.TypeClientHello})
		f.Add([]byte{byte(fi), past, byte(op12CCSInstead)})
		if len(mine) > 0 && mine[0].data != nil {
			f.Add(append([]byte{byte(fi), past, byte(op12Body)}, mine[0].data[4:]...))
		}
	}
}

// FuzzServer12 changes what the client sends a TLS 1.2 server.
func FuzzServer12(f *testing.F) {
	flows := fuzz12Flows(f)
	fuzz12Seeds(f, flows, "server")
	f.Fuzz(func(t *testing.T, b []byte) { fuzz12(t, flows, "server", b) })
}

// FuzzClient12 changes what the server sends a TLS 1.2 client.
func FuzzClient12(f *testing.F) {
	flows := fuzz12Flows(f)
	fuzz12Seeds(f, flows, "client")
	f.Fuzz(func(t *testing.T, b []byte) { fuzz12(t, flows, "client", b) })
}
