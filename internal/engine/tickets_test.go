package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// flightTickets runs a handshake and reports, for the server, how many
// NewSessionTickets came out of the call that took the ClientHello (its
// flight) and how many came later; the client keeps every ticket.
func flightTickets(t *testing.T, cc, sc *Config) (inFlight, after int, tickets []*Ticket) {
	t.Helper()
	cc.OnTicket = func(tk *Ticket) { tickets = append(tickets, tk) }
	c, s := NewClient(cc), NewServer(sc)
	calls := 0
	r := drive(t, c, s, func(from string, m []msg) []msg {
		if from != "server" || len(m) == 0 {
			return m
		}
		calls++
		for _, x := range m {
			if x.data[0] == wire.TypeNewSessionTicket {
				if x.level != LevelApplication {
					t.Errorf("NewSessionTicket at level %v", x.level)
				}
				if calls == 1 {
					inFlight++
				} else {
					after++
				}
			}
		}
		return m
	})
	if r.err != nil {
		t.Fatalf("%s: %v", r.errSide, r.err)
	}
	return inFlight, after, tickets
}

// RFC 8446 section 4.6.1: a server that requests no client certificate
// may compute the client's Finished itself and send its tickets right
// after its own Finished. The tickets must resume: the resumption secret
// computed ahead is the one the client derives after its Finished.
func TestTicketsInFlight(t *testing.T) {
	cc, sc := resumablePairConfigs()
	sc.Tickets, sc.TicketsInFlight = 2, true
	inFlight, after, tickets := flightTickets(t, cc, sc)
	if inFlight != 2 || after != 0 || len(tickets) != 2 {
		t.Fatalf("tickets: %d with the server's flight, %d after; client kept %d; want 2, 0, 2", inFlight, after, len(tickets))
	}
	for i, tk := range tickets {
		cc2, sc2 := resumablePairConfigs()
		cc2.Session = tk
		c, s := NewClient(cc2), NewServer(sc2)
		if r := drive(t, c, s, nil); r.err != nil {
			t.Fatalf("ticket %d: %s: %v", i, r.errSide, r.err)
		}
		if !c.State().Resumed || !s.State().Resumed {
			t.Fatalf("ticket %d: resumed: client %v server %v", i, c.State().Resumed, s.State().Resumed)
		}
	}
}

// With a CertificateRequest the client's second flight is not known in
// advance: the tickets wait for its Finished, as they do when the option
// is off.
func TestTicketsAfterClientFinished(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inFlight bool
		request  bool
	}{{"option off", false, false}, {"certificate requested", true, true}} {
		cc, sc := resumablePairConfigs()
		sc.TicketsInFlight, sc.RequestClientCert = tc.inFlight, tc.request
		inFlight, after, tickets := flightTickets(t, cc, sc)
		if inFlight != 0 || after != 1 || len(tickets) != 1 {
			t.Errorf("%s: tickets: %d with the server's flight, %d after; client kept %d; want 0, 1, 1", tc.name, inFlight, after, len(tickets))
		}
	}
}

// A client whose Finished is wrong is refused even though the server
// already sent tickets computed from the Finished it expected.
func TestTicketsInFlightWrongFinished(t *testing.T) {
	cc, sc := resumablePairConfigs()
	sc.TicketsInFlight = true
	c, s := NewClient(cc), NewServer(sc)
	r := drive(t, c, s, replace("client", wire.TypeFinished, func(b []byte) []byte {
		b = append([]byte(nil), b...)
		b[len(b)-1] ^= 1
		return b
	}))
	wantAlert(t, r, "server", wire.AlertDecryptError)
}

// resumablePairConfigs: a client and a server whose tickets open in any
// server made by it (sealing is a prefix here).
func resumablePairConfigs() (*Config, *Config) {
	cc, sc := clientConfig(), serverConfig()
	sc.OpenTicket = func(b []byte) ([]byte, error) {
		p, ok := bytes.CutPrefix(b, []byte("sealed:"))
		if !ok {
			return nil, errors.New("not a ticket of ours")
		}
		return p, nil
	}
	return cc, sc
}
