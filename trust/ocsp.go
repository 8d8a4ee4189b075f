package trust

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"
)

// checkOCSP judges a stapled OCSP response for leaf.
func checkOCSP(raw []byte, leaf, issuer *x509.Certificate, now time.Time) (Outcome, string) {
	if len(raw) == 0 {
		return NotApplicable, "no OCSP response stapled"
	}
	if issuer == nil {
		return Warn, "OCSP response stapled, but the issuer is unknown, so it cannot be checked"
	}
	resp, err := ocsp.ParseResponseForCert(raw, leaf, issuer)
	if err != nil {
		// A responder that is the issuer itself may still put its own
		// certificate in the response (OpenSSL's does); x/crypto/ocsp
		// takes it for a delegated responder, which the issuer must
		// have signed, and refuses. Check that case by hand: the
		// embedded certificate is the issuer, and the issuer signed.
		if r, err2 := ocsp.ParseResponseForCert(raw, leaf, nil); err2 == nil && r.Certificate != nil &&
			r.Certificate.Equal(issuer) && r.CheckSignatureFrom(issuer) == nil {
			resp, err = r, nil
		}
	}
	if err != nil {
		return Fail, fmt.Sprintf("OCSP response does not verify (wrong responder or malformed): %v", err)
	}
	if now.Before(resp.ThisUpdate.Add(-5 * time.Minute)) {
		return Fail, "OCSP response is from the future"
	}
	if !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate) {
		return Fail, fmt.Sprintf("OCSP response is stale (next update was %s)", resp.NextUpdate.Format(time.RFC3339))
	}
	switch resp.Status {
	case ocsp.Good:
		return Pass, fmt.Sprintf("OCSP: good (produced %s)", resp.ProducedAt.Format(time.RFC3339))
	case ocsp.Revoked:
		return Fail, fmt.Sprintf("OCSP: revoked on %s", resp.RevokedAt.Format(time.RFC3339))
	}
	return Warn, "OCSP: status unknown"
}

// oidMustStaple is the TLS Feature extension (RFC 7633).
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// mustStaple reports whether the certificate asks for status_request
// (feature 5) in its TLS Feature extension.
func mustStaple(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if _, err := asn1.Unmarshal(e.Value, &features); err != nil {
			return false
		}
		for _, f := range features {
			if f == 5 {
				return true
			}
		}
	}
	return false
}
