package hasp

import (
	"strings"

	"github.com/hasp-tls/hasp/internal/wire"
	"github.com/hasp-tls/hasp/trust"
)

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
