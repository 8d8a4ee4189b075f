package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// A frozen engine keeps what post-handshake messages need: thawed, the
// server still sends tickets the client takes, and KeyUpdates in both
// directions give the same keys as engines that never froze.
func TestFreezeThaw(t *testing.T) {
	ccfg, scfg := clientConfig(), serverConfig()
	var got []*Ticket
	ccfg.OnTicket = func(t *Ticket) { got = append(got, t) }
	scfg.SealTicket = func(p []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil }
	var c, s Engine = NewClient(ccfg), NewServer(scfg)
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatalf("%s: %v", r.errSide, r.err)
	}
	cst, sst := c.State(), s.State()
	if Freeze(s, &sst) != nil {
		t.Error("the server froze with its actions not yet taken")
	}
	c.Idle()
	s.Idle() // the transport took the actions
	fc, fs := Freeze(c, &cst), Freeze(s, &sst)
	if fc == nil || fs == nil {
		t.Fatal("a connected TLS 1.3 pair did not freeze")
	}
	// Frozen engines answer State and refuse to act.
	if fs.State().ResumptionSecret == nil || !fs.Done() || fs.CCSAllowed() {
		t.Error("frozen state")
	}
	if _, err := fs.Handle(LevelApplication, []byte{wire.TypeKeyUpdate, 0, 0, 1, 0}); !errors.Is(err, ErrFrozen) {
		t.Errorf("a frozen engine handled a message: %v", err)
	}
	origClient := bytes.Clone(c.(*Client).clientApp.Secret)
	origServer := bytes.Clone(s.(*Server).serverApp.Secret)
	c, s = fc.Thaw(ccfg), fs.Thaw(scfg)
	if !bytes.Equal(c.(*Client).clientApp.Secret, origClient) || !bytes.Equal(s.(*Server).serverApp.Secret, origServer) || len(origClient) == 0 {
		t.Fatal("thawed traffic secrets differ from the engines' before freezing")
	}

	before := len(got)
	acts, err := s.SendTicket()
	if err != nil {
		t.Fatal(err)
	}
	m := sends(acts)
	if len(m) != 1 || m[0].data[0] != wire.TypeNewSessionTicket {
		t.Fatalf("thawed server sent %v", m)
	}
	if _, err := c.Handle(LevelApplication, m[0].data); err != nil {
		t.Fatal(err)
	}
	if len(got) != before+1 || !bytes.Equal(got[len(got)-1].ResumptionSecret, sst.ResumptionSecret) {
		t.Fatalf("the thawed client did not hand on the ticket with the session's secret")
	}

	// The client updates (and asks the server to): the server's new read
	// key is the client's new write key.
	acts, err = c.UpdateKeys(true)
	if err != nil {
		t.Fatal(err)
	}
	var cw, sr, sw, cr []byte
	for _, a := range acts {
		if a.Kind == ActWriteKey {
			cw = a.Secret
		}
	}
	acts, err = s.Handle(LevelApplication, sends(acts)[0].data)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Kind == ActReadKey {
			sr = a.Secret
		}
	}
	if cw == nil || !bytes.Equal(cw, sr) {
		t.Fatalf("client write %x, server read %x", cw, sr)
	}
	acts, err = s.UpdateKeys(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Kind == ActWriteKey {
			sw = a.Secret
		}
	}
	acts, err = c.Handle(LevelApplication, sends(acts)[0].data)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Kind == ActReadKey {
			cr = a.Secret
		}
	}
	if sw == nil || !bytes.Equal(sw, cr) {
		t.Fatalf("server write %x, client read %x", sw, cr)
	}
}

// What cannot freeze does not: an engine mid-handshake, one that may
// still be asked for post-handshake authentication, a TLS 1.2 one.
func TestFreezeRefused(t *testing.T) {
	c := NewClient(clientConfig())
	st := c.State()
	if Freeze(c, &st) != nil {
		t.Error("a client before its handshake froze")
	}
	ccfg, scfg := clientConfig(), serverConfig()
	ccfg.PostHandshakeAuth = true
	cc, s := NewClient(ccfg), NewServer(scfg)
	if r := drive(t, cc, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	cc.Idle()
	s.Idle()
	cst, sst := cc.State(), s.State()
	if Freeze(cc, &cst) != nil || Freeze(s, &sst) != nil {
		t.Error("engines that may do post-handshake authentication froze")
	}
	ccfg, scfg = configs12()
	c12, s12 := NewClient(ccfg), NewServer(scfg)
	if r := drive12(t, c12, s12, nil); r.err != nil {
		t.Fatal(r.err)
	}
	c12.Idle()
	s12.Idle()
	cst, sst = c12.State(), s12.State()
	if Freeze(c12, &cst) != nil || Freeze(s12, &sst) != nil {
		t.Error("TLS 1.2 engines froze")
	}
}
