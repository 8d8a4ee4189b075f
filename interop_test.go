package hasp_test

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

var (
	testCA     = testcerts.NewCA("hasp test CA")
	leafMu     sync.Mutex
	leafByType = map[testcerts.KeyType]*testcerts.Leaf{}
)

func leaf(t testcerts.KeyType) *testcerts.Leaf {
	leafMu.Lock()
	defer leafMu.Unlock()
	if l := leafByType[t]; l != nil {
		return l
	}
	l := testCA.Issue(t, "localhost", "127.0.0.1", "::1")
	leafByType[t] = l
	return l
}

func haspCert(l *testcerts.Leaf) hasp.Certificate {
	return hasp.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
}

func stdCert(l *testcerts.Leaf) tls.Certificate {
	return tls.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
}

// pair returns two connected in-memory conns that fail a test that hangs.
func pair(t testing.TB) (net.Conn, net.Conn) {
	a, b := memconn.Pipe()
	dl := time.Now().Add(20 * time.Second)
	a.SetDeadline(dl)
	b.SetDeadline(dl)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// exchange has each side send n bytes and checks what the other got.
func exchange(t *testing.T, client, server net.Conn, n int) {
	t.Helper()
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i * 7)
	}
	want := sha256.Sum256(data)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, dir := range []struct {
		w, r net.Conn
		name string
	}{{client, server, "client->server"}, {server, client, "server->client"}} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := dir.w.Write(data); err != nil {
				errs <- fmt.Errorf("%s write: %v", dir.name, err)
			}
		}()
		go func() {
			defer wg.Done()
			got := make([]byte, n)
			if _, err := io.ReadFull(dir.r, got); err != nil {
				errs <- fmt.Errorf("%s read: %v", dir.name, err)
				return
			}
			if sha256.Sum256(got) != want {
				errs <- fmt.Errorf("%s: checksum mismatch", dir.name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInteropQuick(t *testing.T) {
	l := leaf(testcerts.P256)
	t.Run("hasp client, crypto/tls server", func(t *testing.T) {
		c, s := pair(t)
		srv := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{stdCert(l)}, MinVersion: tls.VersionTLS13})
		cli := hasp.Client(c, &hasp.Config{ServerName: "localhost", RootCAs: testCA.Pool()})
		errc := make(chan error, 1)
		go func() { errc <- srv.Handshake() }()
		if err := cli.Handshake(); err != nil {
			t.Fatalf("client: %v", err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("server: %v", err)
		}
		st := cli.ConnectionState()
		if st.Version != hasp.VersionTLS13 || st.CurveID != hasp.X25519MLKEM768 {
			t.Errorf("negotiated %x %v", st.Version, st.CurveID)
		}
		exchange(t, cli, srv, 1<<20)
	})
	t.Run("crypto/tls client, hasp server", func(t *testing.T) {
		c, s := pair(t)
		srv := hasp.Server(s, &hasp.Config{Certificates: []hasp.Certificate{haspCert(l)}})
		cli := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: testCA.Pool()})
		errc := make(chan error, 1)
		go func() { errc <- srv.Handshake() }()
		if err := cli.Handshake(); err != nil {
			t.Fatalf("client: %v", err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("server: %v", err)
		}
		exchange(t, cli, srv, 1<<20)
	})
}
