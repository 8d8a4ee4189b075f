package hasp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// KeyUpdate exists only in TLS 1.3 (RFC 8446 section 4.6.3; RFC 5246 has
// no such message): on a TLS 1.2 connection it is an error that sends
// nothing, and the connection goes on. Tickets after the handshake and
// post-handshake authentication are TLS 1.3 only too.
func TestTLS12LacksTLS13Capabilities(t *testing.T) {
	hc, hs := haspClientConfig(), haspServerConfig(testcerts.P256)
	hc.MaxVersion = hasp.VersionTLS12
	hc.PostHandshakeAuth = true
	cli, srv := haspPair(t, hc, hs)
	if v := cli.ConnectionState().Version; v != hasp.VersionTLS12 {
		t.Fatalf("negotiated %x", v)
	}
	for _, c := range []*hasp.Conn{cli, srv} {
		if err := c.KeyUpdate(true); !errors.Is(err, hasp.ErrNotInThisVersion) {
			t.Errorf("KeyUpdate on TLS 1.2: %v, want ErrNotInThisVersion", err)
		}
	}
	if err := srv.SendSessionTicket(); !errors.Is(err, hasp.ErrNotInThisVersion) {
		t.Errorf("SendSessionTicket on TLS 1.2: %v", err)
	}
	if _, err := srv.RequestClientCertificate(context.Background()); !errors.Is(err, hasp.ErrNoPostHandshakeAuth) {
		t.Errorf("RequestClientCertificate on TLS 1.2: %v", err)
	}
	exchange(t, cli, srv, 64<<10)
}

// Automatic rekeying never fires on TLS 1.2: with a limit of two records
// a hasp client writes many records to crypto/tls, which would end the
// connection with unexpected_message at a TLS 1.3 KeyUpdate.
func TestNoAutomaticRekeyOnTLS12(t *testing.T) {
	c, s := pair(t)
	hc := haspClientConfig()
	hc.MaxVersion = hasp.VersionTLS12
	hc.KeyUpdateRecords = 2
	sc := stdServerConfig(testcerts.P256)
	sc.MinVersion = tls.VersionTLS12
	cli, srv := hasp.Client(c, hc), tls.Server(s, sc)
	if cerr, serr := handshake(cli, srv); cerr != nil || serr != nil {
		t.Fatalf("handshake: %v, %v", cerr, serr)
	}
	exchange(t, cli, srv, 256<<10) // 16 records or more each way
}

// ConnectionState may be read at any time from any goroutine, also while
// a post-handshake authentication replaces the peer's chain: the engine
// hands out snapshots (go test -race checks this).
func TestConnectionStateDuringPostHandshakeAuth(t *testing.T) {
	cli, srv := phaPair(t)
	go io.Copy(io.Discard, cli) // answers the requests
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			st := srv.ConnectionState()
			if len(st.PeerCertificates) > 0 && st.PeerCertificates[0].Subject.CommonName != "late-client" {
				t.Errorf("peer %q", st.PeerCertificates[0].Subject.CommonName)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		if _, err := srv.RequestClientCertificate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if st := srv.ConnectionState(); len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
		t.Fatalf("after authentication: %d certificates, %d verified chains", len(st.PeerCertificates), len(st.VerifiedChains))
	}
}
