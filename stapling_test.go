package hasp_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

// A resumed connection reports the OCSP staple and SCTs of the handshake
// that made the session, as it reports that handshake's chain (and as
// crypto/tls does).
func TestResumptionKeepsOCSPAndSCTs(t *testing.T) {
	ocsp := []byte{1, 2, 3, 4}
	scts := [][]byte{{5, 6, 7, 8}, {9}}
	for _, v := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
		hc := haspClientConfig()
		hc.MaxVersion = v
		hc.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
		ss := stdServerConfig(testcerts.P256)
		ss.MinVersion = tls.VersionTLS12
		ss.Certificates[0].OCSPStaple = ocsp
		ss.Certificates[0].SignedCertificateTimestamps = scts
		for i := range 2 {
			c, s := pair(t)
			client, server := hasp.Client(c, hc), tls.Server(s, ss)
			if cerr, serr := handshake(client, server); cerr != nil || serr != nil {
				t.Fatalf("%s connection %d: client %v, server %v", hasp.VersionName(v), i, cerr, serr)
			}
			if i == 0 {
				readTickets(t, client, server)
			}
			st := client.ConnectionState()
			if st.DidResume != (i == 1) {
				t.Fatalf("%s connection %d: resumed %v", hasp.VersionName(v), i, st.DidResume)
			}
			if !bytes.Equal(st.OCSPResponse, ocsp) || len(st.SignedCertificateTimestamps) != 2 ||
				!bytes.Equal(st.SignedCertificateTimestamps[1], scts[1]) {
				t.Errorf("%s connection %d: OCSP %x, SCTs %x", hasp.VersionName(v), i, st.OCSPResponse, st.SignedCertificateTimestamps)
			}
			client.Close()
			server.Close()
		}
	}
}

// RFC 6962 section 3.3: an SCT is 1 to 65535 bytes; a Certificate with an
// empty one is refused before it is sent.
func TestEmptySCTRefused(t *testing.T) {
	sc := haspServerConfig(testcerts.P256)
	sc.Certificates[0].SignedCertificateTimestamps = [][]byte{{1}, {}}
	c, s := pair(t)
	defer c.Close()
	if err := hasp.Server(s, sc).Handshake(); err == nil || !strings.Contains(err.Error(), "RFC 6962") {
		t.Errorf("server with an empty SCT: %v", err)
	}
}

// A verification hook refuses with bad_certificate, or with the alert of
// the *AlertError it returns.
func TestVerifyHookAlert(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want hasp.Alert
		std  string // how crypto/tls names the alert it got
	}{
		{errors.New("no"), hasp.AlertBadCertificate, "bad certificate"},
		{&hasp.AlertError{Alert: hasp.AlertCertificateUnknown, Reason: "not this one"}, hasp.AlertCertificateUnknown, "unknown certificate"},
		{&hasp.AlertError{Alert: hasp.AlertAccessDenied}, hasp.AlertAccessDenied, "access denied"},
	} {
		hc := haspClientConfig()
		hc.VerifyConnection = func(hasp.ConnectionState) error { return tc.err }
		c, s := pair(t)
		client, server := hasp.Client(c, hc), tls.Server(s, stdServerConfig(testcerts.P256))
		cerr, serr := handshake(client, server)
		var ae *hasp.AlertError
		if !errors.As(cerr, &ae) || ae.Remote || ae.Alert != tc.want {
			t.Errorf("hook error %v: client %v, want alert %s", tc.err, cerr, tc.want)
		}
		if serr == nil || !strings.Contains(serr.Error(), tc.std) {
			t.Errorf("hook error %v: crypto/tls server saw %v", tc.err, serr)
		}
	}
}

// RFC 6066 section 3: a TLS 1.2 server that gets server_name answers with
// an empty one in a full handshake (crypto/tls as client checks nothing,
// so the ServerHello is looked at through HandshakeTrace).
func TestServerNameAck12(t *testing.T) {
	sc := haspServerConfig(testcerts.P256)
	sc.MaxVersion = hasp.VersionTLS12
	var sh []byte
	sc.HandshakeTrace = func(m hasp.HandshakeMessage) {
		if m.Sent && m.Type == 2 {
			sh = append([]byte(nil), m.Raw...)
		}
	}
	c, s := pair(t)
	cc := stdClientConfig()
	cc.MinVersion = tls.VersionTLS12
	client, server := tls.Client(c, cc), hasp.Server(s, sc)
	if cerr, serr := handshake(client, server); cerr != nil || serr != nil {
		t.Fatalf("client %v, server %v", cerr, serr)
	}
	var m wire.ServerHello
	if err := m.Unmarshal(sh); err != nil || !m.ServerNameAck {
		t.Errorf("ServerHello without an empty server_name (%v): %x", err, sh)
	}
}
