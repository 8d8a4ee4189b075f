package hasp_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// readTickets lets a client take in the tickets the server sent after the
// handshake: a TLS 1.3 client sees them on its next read.
func readTickets(t *testing.T, client, server net.Conn) {
	t.Helper()
	go io.WriteString(server, "x")
	if _, err := io.ReadFull(client, make([]byte, 1)); err != nil {
		t.Fatalf("client read: %v", err)
	}
}

type resumable interface {
	net.Conn
	Handshake() error
}

func didResume(c resumable) bool {
	switch c := c.(type) {
	case *hasp.Conn:
		return c.ConnectionState().DidResume
	case *tls.Conn:
		return c.ConnectionState().DidResume
	}
	return false
}

// connectTwice makes a first connection (reading its tickets) and a
// second, and reports whether each side resumed on the second.
func connectTwice(t *testing.T, newClient, newServer func(net.Conn) resumable, between func()) (bool, bool) {
	t.Helper()
	var cres, sres bool
	for i := 0; i < 2; i++ {
		if i == 1 && between != nil {
			between()
		}
		c, s := pair(t)
		cli, srv := newClient(c), newServer(s)
		if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
			t.Fatalf("connection %d: client %v, server %v", i, cerr, serr)
		}
		if i == 0 {
			if didResume(cli) || didResume(srv) {
				t.Fatalf("first connection resumed")
			}
			readTickets(t, cli, srv)
		} else {
			cres, sres = didResume(cli), didResume(srv)
			exchange(t, cli, srv, 4096)
		}
		cli.Close()
		srv.Close()
	}
	return cres, sres
}

func TestResumptionInterop(t *testing.T) {
	t.Run("hasp client, crypto/tls server", func(t *testing.T) {
		hc := haspClientConfig()
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(8)
		ss := stdServerConfig(testcerts.P256)
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { return hasp.Client(c, hc) },
			func(c net.Conn) resumable { return tls.Server(c, ss) }, nil)
		if !cres || !sres {
			t.Fatalf("second connection: hasp resumed %v, crypto/tls resumed %v", cres, sres)
		}
	})
	t.Run("crypto/tls client, hasp server", func(t *testing.T) {
		sc := stdClientConfig()
		sc.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		hs := haspServerConfig(testcerts.P256)
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { return tls.Client(c, sc) },
			func(c net.Conn) resumable { return hasp.Server(c, hs) }, nil)
		if !cres || !sres {
			t.Fatalf("second connection: crypto/tls resumed %v, hasp resumed %v", cres, sres)
		}
	})
	t.Run("hasp both ways, psk_ke", func(t *testing.T) {
		hc := haspClientConfig()
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(8)
		hc.ResumptionWithoutDHE = true
		hs := haspServerConfig(testcerts.P256)
		hs.ResumptionWithoutDHE = true
		var second *hasp.Conn
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { second = hasp.Client(c, hc); return second },
			func(c net.Conn) resumable { return hasp.Server(c, hs) }, nil)
		if !cres || !sres {
			t.Fatalf("resumed: client %v server %v", cres, sres)
		}
		if g := second.ConnectionState().CurveID; g != 0 {
			// The server prefers psk_dhe_ke when both are offered.
			t.Logf("psk mode with group %s", g)
		}
	})
}

// Resumption after a HelloRetryRequest, both ways: the binder covers the
// HelloRetryRequest too.
func TestResumptionWithHelloRetry(t *testing.T) {
	t.Run("hasp client", func(t *testing.T) {
		hc := haspClientConfig()
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(8)
		ss := stdServerConfig(testcerts.P256)
		ss.CurvePreferences = []tls.CurveID{tls.CurveP384}
		var cli *hasp.Conn
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { cli = hasp.Client(c, hc); return cli },
			func(c net.Conn) resumable { return tls.Server(c, ss) }, nil)
		if !cres || !sres || !cli.ConnectionState().HelloRetryRequest {
			t.Fatalf("resumed %v/%v, HRR %v", cres, sres, cli.ConnectionState().HelloRetryRequest)
		}
	})
	t.Run("hasp server", func(t *testing.T) {
		sc := stdClientConfig()
		sc.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		hs := haspServerConfig(testcerts.P256)
		hs.CurvePreferences = []hasp.CurveID{hasp.CurveP384}
		var srv *hasp.Conn
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { return tls.Client(c, sc) },
			func(c net.Conn) resumable { srv = hasp.Server(c, hs); return srv }, nil)
		if !cres || !sres || !srv.ConnectionState().HelloRetryRequest {
			t.Fatalf("resumed %v/%v, HRR %v", cres, sres, srv.ConnectionState().HelloRetryRequest)
		}
	})
}

// Ticket keys rotate: a ticket made under an older key resumes while that
// key is kept (the current key and three before it), and not after.
func TestTicketRotation(t *testing.T) {
	for _, tc := range []struct {
		hours  int
		resume bool
	}{
		{1, true},
		{3, true},
		{4, false},
	} {
		t.Run(fmt.Sprintf("%d rotations", tc.hours), func(t *testing.T) {
			start := time.Now()
			now := start
			clock := func() time.Time { return now }
			hs := haspServerConfig(testcerts.P256)
			hs.Time, hs.TicketKeyRotation = clock, time.Hour
			sc := stdClientConfig()
			sc.Time = clock
			sc.ClientSessionCache = tls.NewLRUClientSessionCache(8)
			cres, sres := connectTwice(t,
				func(c net.Conn) resumable { return tls.Client(c, sc) },
				func(c net.Conn) resumable { return hasp.Server(c, hs) },
				func() {
					// A handshake each hour: each one makes the server
					// rotate to a new key.
					for h := 1; h <= tc.hours; h++ {
						now = start.Add(time.Duration(h)*time.Hour + time.Minute)
						c, s := pair(t)
						// The client keeps sessions, so it gets tickets
						// (RFC 8446 4.2.9: none for a client without
						// psk_key_exchange_modes).
						mid := stdClientConfig()
						mid.ClientSessionCache = tls.NewLRUClientSessionCache(1)
						cli, srv := tls.Client(c, mid), hasp.Server(s, hs)
						if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
							t.Fatal(cerr, serr)
						}
						cli.Close()
						srv.Close()
					}
				})
			if cres != tc.resume || sres != tc.resume {
				t.Fatalf("resumed client %v server %v, want %v", cres, sres, tc.resume)
			}
		})
	}
}

// Sessions never outlive the certificate that authenticated them: the
// ticket lifetime stops at the certificate's NotAfter, and a client does
// not offer a session whose server certificate has expired.
func TestTicketBoundByCertificate(t *testing.T) {
	start := time.Now()
	now := start
	clock := func() time.Time { return now }
	short := testCA.IssueWith(testcerts.P256, testcerts.Options{NotAfter: start.Add(30 * time.Minute)}, "localhost")
	t.Run("hasp server caps the lifetime", func(t *testing.T) {
		hs := &hasp.Config{Certificates: []hasp.Certificate{haspCert(short)}, Time: clock}
		// crypto/tls offers any session when it skips verification, so
		// the server's own bound is what is tested.
		sc := &tls.Config{InsecureSkipVerify: true, Time: clock}
		sc.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		cres, sres := connectTwice(t,
			func(c net.Conn) resumable { return tls.Client(c, sc) },
			func(c net.Conn) resumable { return hasp.Server(c, hs) },
			func() { now = start.Add(31 * time.Minute) })
		now = start
		if cres || sres {
			t.Fatalf("resumed past the certificate's NotAfter")
		}
	})
	t.Run("hasp client drops the session", func(t *testing.T) {
		// Verification off, so that the full handshake after expiry
		// succeeds; the session must still not be offered.
		hc := &hasp.Config{InsecureSkipVerify: true, Time: clock}
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(8)
		// The crypto/tls server would accept the ticket (its lifetime is
		// a week); the hasp client must not offer it.
		ss := &tls.Config{Certificates: []tls.Certificate{stdCert(short)}, Time: func() time.Time { return start.Add(time.Minute) }}
		var offered bool
		cres, _ := connectTwice(t,
			func(c net.Conn) resumable { return hasp.Client(c, hc) },
			func(c net.Conn) resumable {
				cfg := ss.Clone()
				cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
					offered = offered || h.SupportedVersions != nil && len(h.Extensions) > 0 && hasPSK(h.Extensions)
					return nil, nil
				}
				return tls.Server(c, cfg)
			},
			func() { now = start.Add(31 * time.Minute); offered = false })
		now = start
		if cres || offered {
			t.Fatalf("client resumed %v, offered a PSK %v, past the server certificate's NotAfter", cres, offered)
		}
	})
}

func hasPSK(exts []uint16) bool {
	for _, e := range exts {
		if e == 41 {
			return true
		}
	}
	return false
}

// SendSessionTicket sends tickets on request; the client keeps the latest
// in its cache and resumes with it.
func TestSendSessionTicket(t *testing.T) {
	hs := haspServerConfig(testcerts.P256)
	hs.TicketCount = 1
	sc := stdClientConfig()
	var puts int
	sc.ClientSessionCache = &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), puts: &puts}
	c, s := pair(t)
	cli, srv := tls.Client(c, sc), hasp.Server(s, hs)
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	for i := 0; i < 3; i++ {
		if err := srv.SendSessionTicket(); err != nil {
			t.Fatal(err)
		}
	}
	readTickets(t, cli, srv)
	if puts != 4 {
		t.Fatalf("crypto/tls stored %d tickets, want 4 (1 after the handshake, 3 on request)", puts)
	}
}

type countingCache struct {
	tls.ClientSessionCache
	puts *int
}

func (c *countingCache) Put(k string, cs *tls.ClientSessionState) {
	*c.puts++
	c.ClientSessionCache.Put(k, cs)
}
