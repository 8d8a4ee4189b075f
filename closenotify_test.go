package hasp_test

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// CloseNotifyReceived tells a clean end (close_notify, then EOF) from a
// transport closed without one: Read returns io.EOF in both cases, as
// crypto/tls's does (RFC 8446 section 6.1 leaves truncation to the
// application).
func TestCloseNotifyReceived(t *testing.T) {
	cli, srv := haspPair(t, haspClientConfig(), haspServerConfig(testcerts.P256))
	srv.Close()
	if _, err := io.ReadAll(cli); err != nil {
		t.Fatal(err)
	}
	if !cli.CloseNotifyReceived() {
		t.Error("close_notify not noted")
	}

	cli, srv = haspPair(t, haspClientConfig(), haspServerConfig(testcerts.P256))
	srv.NetConn().Close() // no close_notify
	if _, err := io.ReadAll(cli); err != nil {
		t.Fatal(err)
	}
	if cli.CloseNotifyReceived() {
		t.Error("close_notify noted on a bare transport close")
	}
}

// recordingConn notes what is written through it.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	out []byte
}

func (r *recordingConn) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.out = append(r.out, b...)
	r.mu.Unlock()
	return r.Conn.Write(b)
}

// A TLS 1.3 server packs EncryptedExtensions, Certificate,
// CertificateVerify and Finished into full records: one protected record
// here, not four.
func TestHandshakeMessagesPacked(t *testing.T) {
	c, s := pair(t)
	rec := &recordingConn{Conn: s}
	sc := haspServerConfig(testcerts.P256)
	sc.SessionTicketsDisabled = true
	client, server := tls.Client(c, stdClientConfig()), hasp.Server(rec, sc)
	if cerr, serr := handshake(client, server); cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	rec.mu.Lock()
	out := rec.out
	rec.mu.Unlock()
	var types []byte
	for len(out) >= 5 {
		n := int(out[3])<<8 | int(out[4])
		types = append(types, out[0])
		out = out[min(len(out), 5+n):]
	}
	protected := 0
	for _, typ := range types {
		if typ == 23 {
			protected++
		}
	}
	if protected != 1 {
		t.Errorf("server flight in %d protected records (record types %v), want 1", protected, types)
	}
}

// decompression_failure (30) has its name, though only TLS 1.2 and older
// peers send it.
func TestDecompressionFailureName(t *testing.T) {
	if s := hasp.Alert(30).String(); s != "decompression_failure" {
		t.Errorf("alert 30 is %q", s)
	}
}
