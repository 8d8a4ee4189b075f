package hasp

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Alert is a TLS alert description; String gives its RFC name.
type Alert = wire.Alert

// Alerts a program may want to test for.
const (
	AlertCloseNotify           = wire.AlertCloseNotify
	AlertUnexpectedMessage     = wire.AlertUnexpectedMessage
	AlertBadRecordMAC          = wire.AlertBadRecordMAC
	AlertRecordOverflow        = wire.AlertRecordOverflow
	AlertHandshakeFailure      = wire.AlertHandshakeFailure
	AlertBadCertificate        = wire.AlertBadCertificate
	AlertCertificateExpired    = wire.AlertCertificateExpired
	AlertIllegalParameter      = wire.AlertIllegalParameter
	AlertUnknownCA             = wire.AlertUnknownCA
	AlertDecodeError           = wire.AlertDecodeError
	AlertDecryptError          = wire.AlertDecryptError
	AlertProtocolVersion       = wire.AlertProtocolVersion
	AlertInternalError         = wire.AlertInternalError
	AlertMissingExtension      = wire.AlertMissingExtension
	AlertUnsupportedExtension  = wire.AlertUnsupportedExtension
	AlertCertificateRequired   = wire.AlertCertificateRequired
	AlertNoApplicationProtocol = wire.AlertNoApplicationProtocol

	AlertUnsupportedCertificate       = wire.AlertUnsupportedCertificate
	AlertCertificateRevoked           = wire.AlertCertificateRevoked
	AlertCertificateUnknown           = wire.AlertCertificateUnknown
	AlertAccessDenied                 = wire.AlertAccessDenied
	AlertInsufficientSecurity         = wire.AlertInsufficientSecurity
	AlertInappropriateFallback        = wire.AlertInappropriateFallback
	AlertUserCanceled                 = wire.AlertUserCanceled
	AlertNoRenegotiation              = wire.AlertNoRenegotiation
	AlertUnrecognizedName             = wire.AlertUnrecognizedName
	AlertBadCertificateStatusResponse = wire.AlertBadCertificateStatusResponse
	AlertUnknownPSKIdentity           = wire.AlertUnknownPSKIdentity
)

// AlertError is a failure that ended the connection with an alert: either
// one we sent (Remote false) or one the peer sent (Remote true).
type AlertError struct {
	Alert  Alert
	Remote bool
	// Reason says why, for alerts we raised.
	Reason string
	// Err is the underlying cause, when there is one (for example a
	// *CertificateVerificationError).
	Err error
	// notTLS is the first record header of a peer that does not speak
	// TLS (RecordHeaderError), nil otherwise.
	notTLS []byte
}

func (e *AlertError) Error() string {
	if e.Remote {
		return "hasp: peer sent alert " + e.Alert.String()
	}
	if e.Reason != "" {
		return fmt.Sprintf("hasp: %s (sent alert %s)", e.Reason, e.Alert)
	}
	return "hasp: sent alert " + e.Alert.String()
}

func (e *AlertError) Unwrap() error { return e.Err }

// As lets errors.As find a RecordHeaderError in the alert hasp sent to a
// peer that does not speak TLS (plain HTTP on a TLS port), as crypto/tls
// returns one.
//
// It also lets errors.As find the Alert itself, the value crypto/tls's
// AlertError type holds: code that did
//
//	var a tls.AlertError
//	errors.As(err, &a)
//
// does the same with a hasp.Alert.
func (e *AlertError) As(target any) bool {
	switch t := target.(type) {
	case *RecordHeaderError:
		if rhe, ok := recordHeaderError(e); ok {
			*t = rhe
			return true
		}
	case *Alert:
		*t = e.Alert
		return true
	}
	return false
}

// CertificateVerificationError says why the peer's chain was refused.
type CertificateVerificationError struct {
	UnverifiedCertificates []*x509.Certificate
	Err                    error
}

func (e *CertificateVerificationError) Error() string {
	return "certificate not trusted: " + e.Err.Error()
}

func (e *CertificateVerificationError) Unwrap() error { return e.Err }

// alertForVerify maps a crypto/x509 verification error to the alert RFC
// 8446 section 6.2 names for it.
func alertForVerify(err error) Alert {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	switch {
	case errors.As(err, &ua):
		return wire.AlertUnknownCA
	case errors.As(err, &ci):
		if ci.Reason == x509.Expired {
			return wire.AlertCertificateExpired
		}
		return wire.AlertBadCertificate
	case errors.As(err, &he):
		return wire.AlertBadCertificate
	}
	return wire.AlertBadCertificate
}

// ErrHandshakeIncomplete is returned for a ConnectionState-dependent call
// before the handshake completed.
var ErrHandshakeIncomplete = errors.New("hasp: handshake not complete")

// ErrNotInThisVersion: the negotiated protocol version lacks the
// capability asked for (KeyUpdate, tickets or post-handshake
// authentication after a TLS 1.2 handshake).
var ErrNotInThisVersion = engine.ErrNotInThisVersion
