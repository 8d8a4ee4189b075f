package hasp_test

import (
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// fakeClock is a Config.Time that stands still until moved.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := new(fakeClock)
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// roundTrip sends a byte each way.
func roundTrip(t *testing.T, a, b *hasp.Conn) {
	t.Helper()
	for _, p := range [][2]*hasp.Conn{{a, b}, {b, a}} {
		if _, err := p[0].Write([]byte("x")); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := io.ReadFull(p[1], make([]byte, 1)); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
}

// expectClosed: after the clock has passed a limit, one more round trip
// from the side with the limit makes it see so; it then closes with
// close_notify, and its Read says why.
func expectClosed(t *testing.T, limited, peer *hasp.Conn, want error) {
	t.Helper()
	// The write may go out: the configured clock is looked at when it
	// returns, and the close follows at once.
	limited.Write([]byte("y"))
	limited.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := limited.Read(make([]byte, 1)); !errors.Is(err, want) {
		t.Fatalf("read on the limited side: %v; want %v", err, want)
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(peer); err != nil {
		t.Fatalf("peer read: %v; want io.EOF from close_notify", err)
	}
}

// MaxSessionAge is measured on Config.Time: while that clock stands
// still the connection lives on however long the wall clock runs, and
// once it has moved past the age the connection closes.
func TestMaxSessionAgeFollowsConfigTime(t *testing.T) {
	clk := newFakeClock(time.Now())
	cc := haspClientConfig()
	cc.Time, cc.MaxSessionAge = clk.Now, 100*time.Millisecond
	cli, srv := haspPair(t, cc, haspServerConfig(testcerts.P256))
	time.Sleep(300 * time.Millisecond)
	roundTrip(t, cli, srv)
	clk.Advance(101 * time.Millisecond)
	expectClosed(t, cli, srv, hasp.ErrSessionTooOld)
}

// IdleTimeout is measured on Config.Time too.
func TestIdleTimeoutFollowsConfigTime(t *testing.T) {
	clk := newFakeClock(time.Now())
	sc := haspServerConfig(testcerts.P256)
	sc.Time, sc.IdleTimeout = clk.Now, 100*time.Millisecond
	cli, srv := haspPair(t, haspClientConfig(), sc)
	time.Sleep(300 * time.Millisecond)
	roundTrip(t, cli, srv)
	// Activity by the configured clock keeps it open.
	for range 3 {
		clk.Advance(60 * time.Millisecond)
		roundTrip(t, cli, srv)
	}
	clk.Advance(time.Hour)
	expectClosed(t, srv, cli, hasp.ErrIdleTimeout)
}

// CloseAtCertificateExpiry closes when Config.Time passes the peer
// certificate's NotAfter, not when the wall clock has run the time that
// was left at the handshake.
func TestCloseAtCertificateExpiryFollowsConfigTime(t *testing.T) {
	l := leaf(testcerts.P256)
	clk := newFakeClock(l.Cert.NotAfter.Add(-100 * time.Millisecond))
	cc := haspClientConfig()
	cc.Time, cc.CloseAtCertificateExpiry = clk.Now, true
	cli, srv := haspPair(t, cc, haspServerConfig(testcerts.P256))
	time.Sleep(300 * time.Millisecond)
	roundTrip(t, cli, srv)
	clk.Advance(200 * time.Millisecond)
	expectClosed(t, cli, srv, hasp.ErrCertificateExpiry)
}

// The LRU session cache judges a session's expiry by the client's
// Config.Time. Both clocks here run 50 minutes behind the wall clock and
// tickets last 30 minutes: by the wall clock the ticket has expired when it
// arrives, by the configured clock it has not.
func TestSessionCacheFollowsConfigTime(t *testing.T) {
	var offset atomic.Int64
	offset.Store(int64(-50 * time.Minute))
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	sc := haspServerConfig(testcerts.P256)
	sc.Time, sc.TicketLifetime = clock, 30*time.Minute
	cc := haspClientConfig()
	cc.Time, cc.ClientSessionCache = clock, hasp.NewLRUClientSessionCache(8)
	connect := func() bool {
		t.Helper()
		cli, srv := haspPair(t, cc, sc)
		readTickets(t, cli, srv)
		defer cli.Close()
		defer srv.Close()
		if cr, sr := cli.ConnectionState().DidResume, srv.ConnectionState().DidResume; cr != sr {
			t.Fatalf("client resumed %v, server %v", cr, sr)
		}
		return cli.ConnectionState().DidResume
	}
	if connect() {
		t.Fatal("first connection resumed")
	}
	if !connect() {
		t.Fatal("not resumed: the session was judged expired by the wall clock, not Config.Time")
	}
	// 31 minutes on by the configured clock, the latest ticket has
	// expired.
	offset.Add(int64(31 * time.Minute))
	if connect() {
		t.Fatal("resumed with a ticket past its lifetime by Config.Time")
	}
}
