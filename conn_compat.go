package hasp

import (
	"errors"
	"slices"
)

// OCSPResponse returns the OCSP response the server stapled to its
// certificate (client side; nil when there was none or before the
// handshake).
func (c *Conn) OCSPResponse() []byte {
	st := c.ConnectionState()
	return slices.Clone(st.OCSPResponse)
}

// VerifyHostname checks that the server's certificate, whose chain the
// handshake verified, is valid for host (client side only).
func (c *Conn) VerifyHostname(host string) error {
	if !c.isClient {
		return errors.New("hasp: VerifyHostname called on a server connection")
	}
	st := c.ConnectionState()
	if !st.HandshakeComplete {
		return errors.New("hasp: VerifyHostname before the handshake completed")
	}
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return errors.New("hasp: the handshake did not verify the server's chain (InsecureSkipVerify?)")
	}
	return st.PeerCertificates[0].VerifyHostname(host)
}
