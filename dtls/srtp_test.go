package dtls_test

import (
	"bytes"
	"crypto/tls"
	"testing"

	piondtls "github.com/pion/dtls/v3"

	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// DTLS-SRTP (RFC 5764) as WebRTC keys its media: the profile agreed on
// and the exported keys are the same on both ends, hasp-hasp and against
// pion in both roles.
func TestSRTP(t *testing.T) {
	t.Run("hasp-hasp", func(t *testing.T) {
		a, b := udpPair(t)
		c, _ := dtls.Client(a, b.LocalAddr(), clientConfig(), dtls.WithSRTP(dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80))
		s, _ := dtls.Server(b, a.LocalAddr(), serverConfig(testcerts.P256), dtls.WithSRTP(dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.SRTP_AEAD_AES_256_GCM))
		defer c.Close()
		defer s.Close()
		if cerr, serr := handshakeBoth(c, s); cerr != nil || serr != nil {
			t.Fatalf("client %v, server %v", cerr, serr)
		}
		// The server's preference decides.
		if c.SRTPProtectionProfile() != dtls.SRTP_AES128_CM_HMAC_SHA1_80 || s.SRTPProtectionProfile() != dtls.SRTP_AES128_CM_HMAC_SHA1_80 {
			t.Fatalf("profiles %04x %04x", c.SRTPProtectionProfile(), s.SRTPProtectionProfile())
		}
		ck, err1 := c.SRTPKeyingMaterial()
		sk, err2 := s.SRTPKeyingMaterial()
		if err1 != nil || err2 != nil || len(ck) != 60 || !bytes.Equal(ck, sk) {
			t.Fatalf("keys %x / %x (%v, %v)", ck, sk, err1, err2)
		}
	})
	t.Run("pion client", func(t *testing.T) {
		a, b := udpPair(t)
		s, _ := dtls.Server(b, a.LocalAddr(), serverConfig(testcerts.P256), dtls.WithSRTP(dtls.SRTP_AEAD_AES_128_GCM))
		defer s.Close()
		pc, err := piondtls.Client(a, b.LocalAddr(), &piondtls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: verifyTestChain,
			SRTPProtectionProfiles: []piondtls.SRTPProtectionProfile{piondtls.SRTP_AES128_CM_HMAC_SHA1_80, piondtls.SRTP_AEAD_AES_128_GCM}})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		done := make(chan error, 1)
		go func() { done <- s.Handshake() }()
		if err := pc.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(done); err != nil {
			t.Fatal(err)
		}
		pp, _ := pc.SelectedSRTPProtectionProfile()
		if s.SRTPProtectionProfile() != dtls.SRTP_AEAD_AES_128_GCM || pp != piondtls.SRTP_AEAD_AES_128_GCM {
			t.Fatalf("profiles hasp %04x pion %04x", s.SRTPProtectionProfile(), pp)
		}
		state, _ := pc.ConnectionState()
		pk, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 56)
		hk, err2 := s.SRTPKeyingMaterial()
		if err != nil || err2 != nil || !bytes.Equal(pk, hk) {
			t.Fatalf("keys pion %x hasp %x (%v, %v)", pk, hk, err, err2)
		}
	})
	t.Run("pion server", func(t *testing.T) {
		a, b := udpPair(t)
		ps, err := piondtls.Server(b, a.LocalAddr(), &piondtls.Config{Certificates: []tls.Certificate{pionCert(testcerts.P256)},
			SRTPProtectionProfiles: []piondtls.SRTPProtectionProfile{piondtls.SRTP_AES128_CM_HMAC_SHA1_80}})
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		c, _ := dtls.Client(a, b.LocalAddr(), clientConfig(), dtls.WithSRTP(dtls.SRTP_AES128_CM_HMAC_SHA1_80))
		defer c.Close()
		done := make(chan error, 1)
		go func() { done <- ps.Handshake() }()
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(done); err != nil {
			t.Fatal(err)
		}
		state, _ := ps.ConnectionState()
		pk, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 60)
		hk, err2 := c.SRTPKeyingMaterial()
		if err != nil || err2 != nil || !bytes.Equal(pk, hk) || c.SRTPProtectionProfile() != dtls.SRTP_AES128_CM_HMAC_SHA1_80 {
			t.Fatalf("keys pion %x hasp %x (%v, %v)", pk, hk, err, err2)
		}
	})
}
