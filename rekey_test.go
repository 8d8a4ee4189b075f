package hasp_test

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// KeyUpdate in both directions during a 10 MiB transfer each way with
// crypto/tls: hasp rekeys on its own every 64 records, and asks crypto/tls
// to rekey too.
func TestKeyUpdateDuringTransfer(t *testing.T) {
	for _, haspClient := range []bool{true, false} {
		t.Run(fmt.Sprintf("haspClient=%v", haspClient), func(t *testing.T) {
			hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
			hc.KeyUpdateRecords, hs.KeyUpdateRecords = 64, 64
			c, s := pair(t)
			var h *hasp.Conn
			var other interface {
				Read([]byte) (int, error)
				Write([]byte) (int, error)
				Handshake() error
				Close() error
			}
			if haspClient {
				cli, srv := hasp.Client(c, hc), tlsServer(s)
				h, other = cli, srv
				if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
					t.Fatal(cerr, serr)
				}
			} else {
				cli, srv := tlsClient(c), hasp.Server(s, hs)
				h, other = srv, cli
				if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
					t.Fatal(cerr, serr)
				}
			}
			done := make(chan error, 1)
			go func() {
				// Ask for the peer's update a few times along the way.
				for i := 0; i < 4; i++ {
					time.Sleep(5 * time.Millisecond)
					if err := h.KeyUpdate(true); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			exchange(t, h, netConn{other}, 10<<20)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A connection idle past IdleTimeout closes with close_notify: the peer
// reads EOF, and our Read says why.
func TestIdleTimeout(t *testing.T) {
	sc := haspServerConfig(testcerts.P256)
	// Ten times the gap between the exchanges below, so that a loaded
	// machine's late wakeup does not look like idleness.
	sc.IdleTimeout = 600 * time.Millisecond
	cli, srv := haspPair(t, haspClientConfig(), sc)
	// Activity keeps it open.
	for i := 0; i < 4; i++ {
		time.Sleep(60 * time.Millisecond)
		io.WriteString(cli, "x")
		if _, err := io.ReadFull(srv, make([]byte, 1)); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	start := time.Now()
	if _, err := cli.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client read: %v; want io.EOF from close_notify", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("idle close took %v", d)
	}
	if _, err := srv.Read(make([]byte, 1)); !errors.Is(err, hasp.ErrIdleTimeout) {
		t.Fatalf("server read: %v; want ErrIdleTimeout", err)
	}
}

func TestMaxSessionAge(t *testing.T) {
	cc := haspClientConfig()
	cc.MaxSessionAge = 100 * time.Millisecond
	cli, srv := haspPair(t, cc, haspServerConfig(testcerts.P256))
	if _, err := srv.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("server read: %v; want io.EOF", err)
	}
	if _, err := cli.Write([]byte("late")); !errors.Is(err, hasp.ErrSessionTooOld) {
		t.Fatalf("client write: %v; want ErrSessionTooOld", err)
	}
}

// "Traffic continues until the certificate expiration time occurs."
func TestCloseAtCertificateExpiry(t *testing.T) {
	start := time.Now()
	notAfter := start.Add(time.Hour).Truncate(time.Second)
	soon := testCA.IssueWith(testcerts.P256, testcerts.Options{NotAfter: notAfter}, "localhost")
	cc := haspClientConfig()
	cc.CloseAtCertificateExpiry = true
	// The client's clock says the certificate has 300 ms left.
	skew := notAfter.Sub(start) - 300*time.Millisecond
	cc.Time = func() time.Time { return time.Now().Add(skew) }
	cli, srv := haspPair(t, cc, &hasp.Config{Certificates: []hasp.Certificate{haspCert(soon)}})
	io.WriteString(srv, "still valid")
	if _, err := io.ReadFull(cli, make([]byte, 11)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("server read: %v; want io.EOF", err)
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Fatalf("closed before the certificate expired")
	}
	if _, err := cli.Read(make([]byte, 1)); !errors.Is(err, hasp.ErrCertificateExpiry) {
		t.Fatalf("client read: %v", err)
	}
}
