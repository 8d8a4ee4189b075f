package hasp_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// writeRecorder keeps what is written to a connection, write by write.
type writeRecorder struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, append([]byte(nil), p...))
	w.mu.Unlock()
	return w.Conn.Write(p)
}

// count is how many writes were made.
func (w *writeRecorder) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.writes)
}

// Each flight is one write, as crypto/tls makes it: the client's
// compatibility CCS goes with its Finished, and a server that asks for no
// client certificate sends its tickets with its own flight (RFC 8446
// section 4.6.1). A write more is a wakeup more for the peer, and on TCP
// a segment more.
func TestOneWritePerFlight(t *testing.T) {
	for _, tc := range []struct {
		name              string
		clientAuth        hasp.ClientAuthType
		verifyConnection  bool
		wantClient, wantS int
	}{
		// ClientHello; CCS+Finished. Server: its flight with the tickets.
		{"no client certificate", hasp.NoClientCert, false, 2, 1},
		// The tickets wait for the client's Finished.
		{"certificate requested", hasp.RequestClientCert, false, 2, 2},
		{"VerifyConnection set", hasp.NoClientCert, true, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := memconn.Pipe()
			cw, sw := &writeRecorder{Conn: x}, &writeRecorder{Conn: y}
			cc := haspClientConfig()
			cc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
			sc := haspServerConfig(testcerts.P256)
			sc.ClientAuth = tc.clientAuth
			if tc.verifyConnection {
				sc.VerifyConnection = func(hasp.ConnectionState) error { return nil }
			}
			cli, srv := hasp.Client(cw, cc), hasp.Server(sw, sc)
			if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
				t.Fatalf("client %v, server %v", cerr, serr)
			}
			readTickets(t, cli, srv) // one write more by the server
			if c, s := cw.count(), sw.count()-1; c != tc.wantClient || s != tc.wantS {
				t.Errorf("handshake writes: client %d, server %d; want %d, %d", c, s, tc.wantClient, tc.wantS)
			}
			cli.Close()
			srv.Close()
			// The tickets, wherever they came, resume.
			x, y = memconn.Pipe()
			cli, srv = hasp.Client(x, cc), hasp.Server(y, sc)
			if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
				t.Fatalf("second connection: client %v, server %v", cerr, serr)
			}
			if !cli.ConnectionState().DidResume {
				t.Errorf("second connection did not resume")
			}
			cli.Close()
			srv.Close()
		})
	}
}

// A Write goes out in as few writes as the record buffer allows: two full
// records per write (crypto/tls makes one per record), so a Write of up to
// 32 KiB — io.Copy's buffer — is one write, and a larger one a write per
// 32 KiB, which bounds what a writing connection holds.
func TestWritesPerWrite(t *testing.T) {
	x, y := memconn.Pipe()
	cw := &writeRecorder{Conn: x}
	cli, srv := hasp.Client(cw, haspClientConfig()), hasp.Server(y, haspServerConfig(testcerts.P256))
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	go io.Copy(io.Discard, srv)
	defer cli.Close()
	for _, tc := range []struct{ size, writes int }{
		{1, 1}, {1 << 10, 1}, {16 << 10, 1}, {16<<10 + 1, 1}, {32 << 10, 1},
		{32<<10 + 1, 2}, {64 << 10, 2}, {256 << 10, 8},
	} {
		before := cw.count()
		if _, err := cli.Write(make([]byte, tc.size)); err != nil {
			t.Fatal(err)
		}
		if got := cw.count() - before; got != tc.writes {
			t.Errorf("Write of %d bytes: %d writes underneath, want %d", tc.size, got, tc.writes)
		}
	}
}

// A server check that runs at the client's Finished (VerifyPeerCertificate
// or VerifyConnection, even with no client certificate asked for) keeps the
// tickets until it has passed: a ticket sent with the server's flight would
// let the client resume past a refusal, since a resumed handshake runs
// neither chain check again.
func TestTicketsWaitForServerChecks(t *testing.T) {
	refuse := errors.New("refused by the server's hook")
	for _, tc := range []struct {
		name string
		set  func(*hasp.Config)
	}{
		{"VerifyPeerCertificate", func(c *hasp.Config) {
			c.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error { return refuse }
		}},
		{"VerifyConnection", func(c *hasp.Config) {
			c.VerifyConnection = func(hasp.ConnectionState) error { return refuse }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := haspClientConfig()
			cc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
			sc := haspServerConfig(testcerts.P256)
			tc.set(sc)
			for i := 0; i < 2; i++ {
				x, y := memconn.Pipe()
				cli, srv := hasp.Client(x, cc), hasp.Server(y, sc)
				_, serr := handshake(cli, srv)
				if !errors.Is(serr, refuse) {
					t.Fatalf("connection %d: server %v; want the hook's refusal", i, serr)
				}
				// Whatever the client took in before the alert.
				cli.Read(make([]byte, 1))
				if i == 1 && cli.ConnectionState().DidResume {
					t.Fatal("the second connection resumed past the server's refusal")
				}
				cli.Close()
				srv.Close()
			}
		})
	}
}

// The client's compatibility CCS waits for its second flight, but it still
// precedes every protected record it sends (RFC 8446 appendix D.4): when
// the client refuses the server's certificate, its encrypted alert comes
// right after the CCS, in the write that follows the ClientHello.
func TestCCSBeforeAlert(t *testing.T) {
	x, y := memconn.Pipe()
	rec := &writeRecorder{Conn: x}
	cc := &hasp.Config{ServerName: "localhost", RootCAs: testcerts.NewCA("another CA").Pool()}
	cli, srv := hasp.Client(rec, cc), hasp.Server(y, haspServerConfig(testcerts.P256))
	cerr, _ := handshake(cli, srv)
	if cerr == nil {
		t.Fatal("the client took a certificate from an unknown CA")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.writes) != 2 {
		t.Fatalf("%d writes; want the ClientHello and then the CCS with the alert", len(rec.writes))
	}
	second := rec.writes[1]
	ccs := []byte{20, 3, 3, 0, 1, 1}
	if !bytes.HasPrefix(second, ccs) || len(second) <= len(ccs) || second[len(ccs)] != 23 {
		t.Fatalf("second write % x; want a CCS record then a protected record", second)
	}
}
