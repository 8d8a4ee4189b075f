package hasp

import (
	"context"
	"net"
	"strconv"
	"strings"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
	"github.com/hasp-tls/hasp/trust"
)

// trustPeer asks Config.Trust about the peer's chain. An untrusted
// verdict is refused with the alert that names its main failure, and the
// error carries the Verdict (*trust.Error).
func (c *Conn) trustPeer(st *engine.State) error {
	cfg := c.config
	in := trust.Input{
		Chain: st.PeerCertificates,
		Time:  cfg.now(),
		OCSP:  st.OCSP,
		SCTs:  st.SCTs,
		Usage: trust.ServerAuth,
	}
	if c.isClient {
		in.Host = cfg.ServerName
		if a, ok := c.conn.RemoteAddr().(*net.TCPAddr); ok {
			in.Port = strconv.Itoa(a.Port)
			if in.Host == "" {
				in.Host = a.IP.String()
			}
		}
	} else {
		in.Usage = trust.ClientAuth
	}
	v := cfg.Trust.Verify(context.Background(), in)
	c.verdict.Store(v)
	if v.Trusted {
		if len(v.Chain) > 0 {
			st.VerifiedChains = append(st.VerifiedChains[:0], v.Chain)
		}
		return nil
	}
	te := &trust.Error{Verdict: v}
	c.verifyErr.Store(&CertificateVerificationError{UnverifiedCertificates: st.PeerCertificates, Err: te})
	return &wire.Error{Alert: alertForVerdict(v), Reason: te.Error()}
}

// alertForVerdict maps the main failure of a verdict to the alert RFC
// 8446 section 6.2 names for it.
func alertForVerdict(v *trust.Verdict) wire.Alert {
	failed := v.Failed()
	has := func(n string) bool {
		for _, f := range failed {
			if f == n {
				return true
			}
		}
		return false
	}
	ocsp, _ := v.Check(trust.CheckOCSP)
	switch {
	case has(trust.CheckOCSP) && strings.Contains(ocsp.Reason, "revoked"):
		return wire.AlertCertificateRevoked
	case has(trust.CheckValidity):
		return wire.AlertCertificateExpired
	case has(trust.CheckKey), has(trust.CheckSignature):
		return wire.AlertUnsupportedCertificate
	case has(trust.CheckChain) && !has(trust.CheckKnownHost) && !has(trust.CheckPin):
		return wire.AlertUnknownCA
	}
	return wire.AlertBadCertificate
}
