package hasp_test

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// ConnectionState.TLSUnique is RFC 5929's tls-unique: the first Finished
// of the TLS 1.2 handshake (the client's in a full handshake, the
// server's in a resumption), the same value crypto/tls reports on the
// other side; nil in TLS 1.3.
func TestTLSUnique(t *testing.T) {
	hc := haspClientConfig()
	hc.MaxVersion = hasp.VersionTLS12
	hc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
	ss := stdServerConfig(testcerts.P256)
	ss.MinVersion, ss.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	var prev []byte
	for i, wantResume := range []bool{false, true} {
		c, s := pair(t)
		client, server := hasp.Client(c, hc), tls.Server(s, ss)
		if cerr, serr := handshake(client, server); cerr != nil || serr != nil {
			t.Fatalf("connection %d: client %v, server %v", i, cerr, serr)
		}
		hs, ts := client.ConnectionState(), server.ConnectionState()
		if hs.DidResume != wantResume {
			t.Fatalf("connection %d: resumed %v", i, hs.DidResume)
		}
		if len(hs.TLSUnique) != 12 || !bytes.Equal(hs.TLSUnique, ts.TLSUnique) {
			t.Errorf("connection %d: hasp tls-unique %x, crypto/tls %x", i, hs.TLSUnique, ts.TLSUnique)
		}
		if bytes.Equal(hs.TLSUnique, prev) {
			t.Errorf("connection %d: same tls-unique as the one before", i)
		}
		prev = hs.TLSUnique
		client.Close()
		server.Close()
	}

	c, s := pair(t)
	client, server := hasp.Client(c, haspClientConfig()), tls.Server(s, stdServerConfig(testcerts.P256))
	if cerr, serr := handshake(client, server); cerr != nil || serr != nil {
		t.Fatalf("TLS 1.3: client %v, server %v", cerr, serr)
	}
	if u := client.ConnectionState().TLSUnique; u != nil {
		t.Errorf("TLS 1.3 tls-unique %x, want nil", u)
	}
}
