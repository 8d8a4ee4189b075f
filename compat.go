package hasp

import (
	"fmt"
	"net"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// Names crypto/tls exports for what hasp leaves out on purpose: SSL 3.0,
// TLS 1.0 and 1.1, CBC, RC4 and 3DES suites, RSA key exchange and
// renegotiation. They exist so that code written for crypto/tls compiles;
// a Config that asks for any of them fails at its first handshake (and in
// Listen) with an error that says what to use instead. docs/MIGRATING.md
// lists every difference.

// Protocol versions hasp does not speak.
const (
	// Deprecated: SSL 3.0 is broken (RFC 7568); hasp speaks TLS 1.2 and
	// TLS 1.3 only.
	VersionSSL30 = wire.VersionSSL30
	// Deprecated: TLS 1.0 is obsolete (RFC 8996); hasp speaks TLS 1.2 and
	// TLS 1.3 only.
	VersionTLS10 = wire.VersionTLS10
	// Deprecated: TLS 1.1 is obsolete (RFC 8996); hasp speaks TLS 1.2 and
	// TLS 1.3 only.
	VersionTLS11 = wire.VersionTLS11
)

// Cipher suites hasp does not implement: CBC (Lucky13-prone MAC-then-
// encrypt), RC4 (RFC 7465), 3DES (Sweet32) and RSA key exchange (no
// forward secrecy, Bleichenbacher oracles). Naming one in
// Config.CipherSuites fails the handshake with the AEAD suite to use.
const (
	TLS_RSA_WITH_RC4_128_SHA                uint16 = 0x0005
	TLS_RSA_WITH_3DES_EDE_CBC_SHA           uint16 = 0x000a
	TLS_RSA_WITH_AES_128_CBC_SHA            uint16 = 0x002f
	TLS_RSA_WITH_AES_256_CBC_SHA            uint16 = 0x0035
	TLS_RSA_WITH_AES_128_CBC_SHA256         uint16 = 0x003c
	TLS_RSA_WITH_AES_128_GCM_SHA256         uint16 = 0x009c
	TLS_RSA_WITH_AES_256_GCM_SHA384         uint16 = 0x009d
	TLS_ECDHE_ECDSA_WITH_RC4_128_SHA        uint16 = 0xc007
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA    uint16 = 0xc009
	TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA    uint16 = 0xc00a
	TLS_ECDHE_RSA_WITH_RC4_128_SHA          uint16 = 0xc011
	TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA     uint16 = 0xc012
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA      uint16 = 0xc013
	TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA      uint16 = 0xc014
	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 uint16 = 0xc023
	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256   uint16 = 0xc027

	// TLS_FALLBACK_SCSV (RFC 7507) is a signal in a ClientHello, not a
	// suite: hasp never falls back, so it never sends it, and a server
	// never needs it (it speaks no version below TLS 1.2 to downgrade to).
	TLS_FALLBACK_SCSV uint16 = wire.TLS_FALLBACK_SCSV

	// The names of the ChaCha20-Poly1305 suites without their hash, as
	// crypto/tls kept them.
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305   = TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305 = TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
)

// insteadOf names the suite to use instead of one hasp leaves out: the
// ECDHE AEAD suite with the same authentication and AES key size.
func insteadOf(id uint16) (instead uint16, why string, ok bool) {
	switch id {
	case TLS_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA,
		TLS_RSA_WITH_AES_128_CBC_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256:
		return TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "RSA key exchange has no forward secrecy", true
	case TLS_RSA_WITH_AES_256_CBC_SHA, TLS_RSA_WITH_AES_256_GCM_SHA384:
		return TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "RSA key exchange has no forward secrecy", true
	case TLS_ECDHE_ECDSA_WITH_RC4_128_SHA:
		return TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "RC4 is prohibited (RFC 7465)", true
	case TLS_ECDHE_RSA_WITH_RC4_128_SHA:
		return TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "RC4 is prohibited (RFC 7465)", true
	case TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:
		return TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "3DES has 64-bit blocks (Sweet32)", true
	case TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:
		return TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "CBC suites authenticate before encrypting (Lucky13)", true
	case TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:
		return TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "CBC suites authenticate before encrypting (Lucky13)", true
	case TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:
		return TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "CBC suites authenticate before encrypting (Lucky13)", true
	case TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:
		return TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "CBC suites authenticate before encrypting (Lucky13)", true
	}
	return 0, "", false
}

// errLeftOutSuite is the error for a suite hasp does not implement.
func errLeftOutSuite(id uint16) error {
	if instead, why, ok := insteadOf(id); ok {
		return fmt.Errorf("hasp: cipher suite %s is not implemented (%s); use %s, or leave Config.CipherSuites nil for hasp's defaults",
			CipherSuiteName(id), why, CipherSuiteName(instead))
	}
	if id == TLS_FALLBACK_SCSV {
		return fmt.Errorf("hasp: TLS_FALLBACK_SCSV is a signal, not a cipher suite: take it out of Config.CipherSuites")
	}
	return fmt.Errorf("hasp: cipher suite %s is not one hasp implements (ECDHE with AES-GCM, ChaCha20-Poly1305 or AES-CCM, PSK suites with Config.PSK, and the TLS 1.3 suites); leave Config.CipherSuites nil for hasp's defaults",
		CipherSuiteName(id))
}

// errLeftOutVersion is the error for version bounds below TLS 1.2.
func errLeftOutVersion(field string, v uint16) error {
	return fmt.Errorf("hasp: Config.%s is %s, which hasp does not implement (it speaks TLS 1.2 and TLS 1.3 only; RFC 8996 retired TLS 1.0 and 1.1); set %s to VersionTLS12 or leave it 0",
		field, VersionName(v), field)
}

// RenegotiationSupport says whether a client accepts a server's request
// to renegotiate (TLS 1.2 and older). hasp never renegotiates: only
// RenegotiateNever, the zero value, is accepted in a Config.
type RenegotiationSupport int

const (
	// RenegotiateNever: renegotiation is refused (with a
	// no_renegotiation warning, as RFC 5746 allows).
	RenegotiateNever RenegotiationSupport = iota
	// Deprecated: hasp does not implement renegotiation; a Config that
	// sets it fails at its first handshake. Use TLS 1.3 with
	// post-handshake authentication (Config.PostHandshakeAuth) or
	// KeyUpdate instead.
	RenegotiateOnceAsClient
	// Deprecated: as RenegotiateOnceAsClient.
	RenegotiateFreelyAsClient
)

// CipherSuite describes a cipher suite. Most of the API takes and gives
// suite IDs; CipherSuites and InsecureCipherSuites list these.
type CipherSuite struct {
	ID   uint16
	Name string
	// SupportedVersions are the protocol versions that can negotiate the
	// suite.
	SupportedVersions []uint16
	// Insecure marks suites with known weaknesses in their primitives or
	// construction.
	Insecure bool
}

// CipherSuites returns the cipher suites hasp implements and that a
// certificate-authenticated Config can name: the TLS 1.3 suites and the
// TLS 1.2 ECDHE suites with an AEAD (AES-GCM, ChaCha20-Poly1305, AES-CCM).
// The pre-shared-key suites are left out, as a Config naming them needs
// Config.PSK. Each call returns new values the caller may change.
func CipherSuites() []*CipherSuite {
	ids := []uint16{
		TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256,
		TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		TLS_ECDHE_ECDSA_WITH_AES_128_CCM, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
	}
	out := make([]*CipherSuite, 0, len(ids))
	for _, id := range ids {
		s := suite.ByID(id)
		if s == nil {
			continue // not built in: say nothing of it
		}
		cs := &CipherSuite{ID: id, Name: CipherSuiteName(id), SupportedVersions: []uint16{VersionTLS12}}
		if s.TLS13 {
			cs.SupportedVersions = []uint16{VersionTLS13}
		}
		out = append(out, cs)
	}
	return out
}

// InsecureCipherSuites returns the cipher suites with known weaknesses
// that hasp implements: none. crypto/tls lists its CBC, RC4, 3DES and RSA
// key-exchange suites here; hasp implements none of them (see
// docs/MIGRATING.md), so the list is empty and not nil.
func InsecureCipherSuites() []*CipherSuite { return []*CipherSuite{} }

// String returns the constant's name ("RequireAndVerifyClientCert").
func (i ClientAuthType) String() string {
	switch i {
	case NoClientCert:
		return "NoClientCert"
	case RequestClientCert:
		return "RequestClientCert"
	case RequireAnyClientCert:
		return "RequireAnyClientCert"
	case VerifyClientCertIfGiven:
		return "VerifyClientCertIfGiven"
	case RequireAndVerifyClientCert:
		return "RequireAndVerifyClientCert"
	}
	return fmt.Sprintf("ClientAuthType(%d)", int(i))
}

// EncryptedClientHelloKey is a server's Encrypted Client Hello key: the
// ECHConfig a client was given and the HPKE private key for it. hasp does
// not implement ECH yet: a Config that sets EncryptedClientHelloKeys or
// GetEncryptedClientHelloKeys fails at its first handshake.
type EncryptedClientHelloKey struct {
	// Config is the marshalled ECHConfig, byte for byte as clients have it.
	Config []byte
	// PrivateKey is the HPKE private key of Config's KEM, serialised as
	// RFC 9180's SerializePrivateKey does.
	PrivateKey []byte
	// SendAsRetry: offer Config in the retry configs of a rejection.
	SendAsRetry bool
}

// ECHRejectionError is the error a client gets when a server rejects
// Encrypted Client Hello; RetryConfigList holds the configs the server
// offered for another attempt (empty when it offered none).
type ECHRejectionError struct {
	RetryConfigList []byte
}

func (e *ECHRejectionError) Error() string {
	return "hasp: server rejected Encrypted Client Hello"
}

// errNoECH is the error of a Config that asks for Encrypted Client Hello.
func errNoECH(field string) error {
	return fmt.Errorf("hasp: Config.%s is set, but hasp does not implement Encrypted Client Hello yet; leave it unset (the ClientHello, and the server name in it, then go in the clear)", field)
}

// errNoRenegotiation is the error of a Config that allows renegotiation.
func errNoRenegotiation(r RenegotiationSupport) error {
	return fmt.Errorf("hasp: Config.Renegotiation is %s, but hasp does not implement renegotiation (RFC 5746); use RenegotiateNever, and TLS 1.3 post-handshake authentication (Config.PostHandshakeAuth) or KeyUpdate for what renegotiation was used for", r)
}

// String returns the constant's name.
func (r RenegotiationSupport) String() string {
	switch r {
	case RenegotiateNever:
		return "RenegotiateNever"
	case RenegotiateOnceAsClient:
		return "RenegotiateOnceAsClient"
	case RenegotiateFreelyAsClient:
		return "RenegotiateFreelyAsClient"
	}
	return fmt.Sprintf("RenegotiationSupport(%d)", int(r))
}

// RecordHeaderError is a first record whose header is not TLS: the peer
// speaks another protocol on this port (plain HTTP, most often).
type RecordHeaderError struct {
	// Msg says what was wrong.
	Msg string
	// RecordHeader holds the first five bytes the peer sent.
	RecordHeader [5]byte
	// Conn is the underlying connection when nothing was written to it
	// yet, so a server may answer in the peer's protocol. hasp has
	// already sent an alert and closed the connection by the time the
	// error is returned, so Conn is nil.
	Conn net.Conn
}

func (e RecordHeaderError) Error() string { return "hasp: " + e.Msg }

// recordHeaderError is the RecordHeaderError of an alert the record layer
// raised for a peer that does not speak TLS.
func recordHeaderError(e *AlertError) (RecordHeaderError, bool) {
	if e.Remote || len(e.notTLS) != len(RecordHeaderError{}.RecordHeader) {
		return RecordHeaderError{}, false
	}
	rhe := RecordHeaderError{Msg: "first record does not look like a TLS handshake"}
	copy(rhe.RecordHeader[:], e.notTLS)
	if string(e.notTLS) == "HTTP/" {
		rhe.Msg = "the peer speaks plain HTTP, not TLS"
	}
	return rhe, true
}

// checkLeftOut fails a Config that asks for what hasp leaves out:
// versions below TLS 1.2, renegotiation, Encrypted Client Hello.
func (c *Config) checkLeftOut() error {
	switch {
	case c.MinVersion != 0 && c.MinVersion < VersionTLS12:
		return errLeftOutVersion("MinVersion", c.MinVersion)
	case c.MaxVersion != 0 && c.MaxVersion < VersionTLS12:
		return errLeftOutVersion("MaxVersion", c.MaxVersion)
	case c.Renegotiation != RenegotiateNever:
		return errNoRenegotiation(c.Renegotiation)
	case c.EncryptedClientHelloConfigList != nil:
		return errNoECH("EncryptedClientHelloConfigList")
	case c.EncryptedClientHelloRejectionVerify != nil:
		return errNoECH("EncryptedClientHelloRejectionVerify")
	case c.GetEncryptedClientHelloKeys != nil:
		return errNoECH("GetEncryptedClientHelloKeys")
	case c.EncryptedClientHelloKeys != nil:
		return errNoECH("EncryptedClientHelloKeys")
	}
	return nil
}
