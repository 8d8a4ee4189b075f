// Package wire turns bytes into typed TLS values and back: record headers,
// handshake messages, extensions, alerts, and the IANA registries they use.
//
// Parsers never panic on peer input: every failure is an Alert (which
// implements error) naming what RFC 8446 section 6 asks the receiver to send.
package wire

import "fmt"

// Protocol versions (RFC 8446 section 4.2.1, RFC 5246, RFC 6101).
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// VersionName returns a readable name for a protocol version.
func VersionName(v uint16) string {
	switch v {
	case 0x0002:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	case 0xfeff:
		return "DTLS 1.0"
	case 0xfefd:
		return "DTLS 1.2"
	case 0xfefc:
		return "DTLS 1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// ContentType is a record's content type (RFC 8446 section 5.1).
type ContentType uint8

const (
	TypeChangeCipherSpec ContentType = 20
	TypeAlert            ContentType = 21
	TypeHandshake        ContentType = 22
	TypeApplicationData  ContentType = 23
)

func (t ContentType) String() string {
	switch t {
	case TypeChangeCipherSpec:
		return "change_cipher_spec"
	case TypeAlert:
		return "alert"
	case TypeHandshake:
		return "handshake"
	case TypeApplicationData:
		return "application_data"
	}
	return fmt.Sprintf("content_type(%d)", uint8(t))
}

// Handshake message types (RFC 8446 section 4).
const (
	TypeHelloRequest        uint8 = 0
	TypeClientHello         uint8 = 1
	TypeServerHello         uint8 = 2
	TypeHelloVerifyRequest  uint8 = 3 // DTLS 1.2 (RFC 6347 section 4.2.1)
	TypeNewSessionTicket    uint8 = 4
	TypeEndOfEarlyData      uint8 = 5
	TypeEncryptedExtensions uint8 = 8
	TypeCertificate         uint8 = 11
	TypeServerKeyExchange   uint8 = 12
	TypeCertificateRequest  uint8 = 13
	TypeServerHelloDone     uint8 = 14
	TypeCertificateVerify   uint8 = 15
	TypeClientKeyExchange   uint8 = 16
	TypeFinished            uint8 = 20
	TypeCertificateStatus   uint8 = 22
	TypeKeyUpdate           uint8 = 24
	TypeMessageHash         uint8 = 254
)

// HandshakeName names a handshake message type.
func HandshakeName(t uint8) string {
	switch t {
	case TypeHelloRequest:
		return "HelloRequest"
	case TypeClientHello:
		return "ClientHello"
	case TypeServerHello:
		return "ServerHello"
	case TypeHelloVerifyRequest:
		return "HelloVerifyRequest"
	case TypeNewSessionTicket:
		return "NewSessionTicket"
	case TypeEndOfEarlyData:
		return "EndOfEarlyData"
	case TypeEncryptedExtensions:
		return "EncryptedExtensions"
	case TypeCertificate:
		return "Certificate"
	case TypeServerKeyExchange:
		return "ServerKeyExchange"
	case TypeCertificateRequest:
		return "CertificateRequest"
	case TypeServerHelloDone:
		return "ServerHelloDone"
	case TypeCertificateVerify:
		return "CertificateVerify"
	case TypeClientKeyExchange:
		return "ClientKeyExchange"
	case TypeFinished:
		return "Finished"
	case TypeCertificateStatus:
		return "CertificateStatus"
	case TypeKeyUpdate:
		return "KeyUpdate"
	case TypeMessageHash:
		return "message_hash"
	}
	return fmt.Sprintf("handshake(%d)", t)
}

// Extension types (IANA "TLS ExtensionType Values").
const (
	ExtServerName              uint16 = 0
	ExtMaxFragmentLength       uint16 = 1
	ExtStatusRequest           uint16 = 5
	ExtSupportedGroups         uint16 = 10
	ExtECPointFormats          uint16 = 11
	ExtSignatureAlgorithms     uint16 = 13
	ExtUseSRTP                 uint16 = 14
	ExtHeartbeat               uint16 = 15
	ExtALPN                    uint16 = 16
	ExtSCT                     uint16 = 18
	ExtClientCertType          uint16 = 19
	ExtServerCertType          uint16 = 20
	ExtPadding                 uint16 = 21
	ExtExtendedMasterSecret    uint16 = 23
	ExtCompressCertificate     uint16 = 27
	ExtRecordSizeLimit         uint16 = 28
	ExtSessionTicket           uint16 = 35
	ExtPreSharedKey            uint16 = 41
	ExtEarlyData               uint16 = 42
	ExtSupportedVersions       uint16 = 43
	ExtCookie                  uint16 = 44
	ExtPSKModes                uint16 = 45
	ExtCertAuthorities         uint16 = 47
	ExtOIDFilters              uint16 = 48
	ExtPostHandshakeAuth       uint16 = 49
	ExtSignatureAlgsCert       uint16 = 50
	ExtKeyShare                uint16 = 51
	ExtConnectionID            uint16 = 54 // RFC 9146 (DTLS)
	ExtQUICTransportParameters uint16 = 57 // RFC 9001 section 8.2
	ExtRenegotiationInfo       uint16 = 0xff01
)

// Cipher suites (TLS 1.3 and the TLS 1.2 ECDHE AEAD suites).
const (
	TLS_AES_128_GCM_SHA256       uint16 = 0x1301
	TLS_AES_256_GCM_SHA384       uint16 = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 uint16 = 0x1303

	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256       uint16 = 0xc02b
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384       uint16 = 0xc02c
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256         uint16 = 0xc02f
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384         uint16 = 0xc030
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   uint16 = 0xcca8
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 uint16 = 0xcca9
	// AES-CCM with ECDHE-ECDSA (RFC 7251); _CCM_8 is RFC 7925's IoT
	// profile suite.
	TLS_ECDHE_ECDSA_WITH_AES_128_CCM   uint16 = 0xc0ac
	TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 uint16 = 0xc0ae
	// Pre-shared keys (RFC 4279, RFC 5487, RFC 6655, RFC 7905, RFC 8442).
	TLS_PSK_WITH_AES_128_GCM_SHA256             uint16 = 0x00a8
	TLS_PSK_WITH_AES_256_GCM_SHA384             uint16 = 0x00a9
	TLS_PSK_WITH_AES_128_CCM                    uint16 = 0xc0a4
	TLS_PSK_WITH_AES_128_CCM_8                  uint16 = 0xc0a8
	TLS_PSK_WITH_CHACHA20_POLY1305_SHA256       uint16 = 0xccab
	TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 uint16 = 0xccac
	TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256       uint16 = 0xd001
	TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256     uint16 = 0xd003

	TLS_EMPTY_RENEGOTIATION_INFO_SCSV uint16 = 0x00ff
	TLS_FALLBACK_SCSV                 uint16 = 0x5600
)

// SuiteName names a cipher suite.
func SuiteName(id uint16) string {
	switch id {
	case TLS_AES_128_GCM_SHA256:
		return "TLS_AES_128_GCM_SHA256"
	case TLS_AES_256_GCM_SHA384:
		return "TLS_AES_256_GCM_SHA384"
	case TLS_CHACHA20_POLY1305_SHA256:
		return "TLS_CHACHA20_POLY1305_SHA256"
	case TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
		return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
	case TLS_ECDHE_ECDSA_WITH_AES_128_CCM:
		return "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"
	case TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8:
		return "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"
	case TLS_PSK_WITH_AES_128_GCM_SHA256:
		return "TLS_PSK_WITH_AES_128_GCM_SHA256"
	case TLS_PSK_WITH_AES_256_GCM_SHA384:
		return "TLS_PSK_WITH_AES_256_GCM_SHA384"
	case TLS_PSK_WITH_AES_128_CCM:
		return "TLS_PSK_WITH_AES_128_CCM"
	case TLS_PSK_WITH_AES_128_CCM_8:
		return "TLS_PSK_WITH_AES_128_CCM_8"
	case TLS_PSK_WITH_CHACHA20_POLY1305_SHA256:
		return "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"
	case TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256:
		return "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"
	case TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256:
		return "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"
	case TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256:
		return "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"
	case TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
		return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	case TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
		return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	case TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
	case TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
	case TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
		return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
	case TLS_EMPTY_RENEGOTIATION_INFO_SCSV:
		return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
	case TLS_FALLBACK_SCSV:
		return "TLS_FALLBACK_SCSV"
	}
	if n, ok := legacySuites[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", id)
}

// legacySuites names suites hasp never negotiates, so that errors and
// traces can say what a peer offered.
var legacySuites = map[uint16]string{
	0x0004: "TLS_RSA_WITH_RC4_128_MD5",
	0x0005: "TLS_RSA_WITH_RC4_128_SHA",
	0x000a: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
	0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
	0x003c: "TLS_RSA_WITH_AES_128_CBC_SHA256",
	0x009c: "TLS_RSA_WITH_AES_128_GCM_SHA256",
	0x009d: "TLS_RSA_WITH_AES_256_GCM_SHA384",
	0xc007: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
	0xc009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	0xc00a: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	0xc011: "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
	0xc012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
	0xc013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	0xc014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	0xc023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	0xc027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
}

// Named groups (IANA "TLS Supported Groups").
const (
	GroupSecp256r1          uint16 = 23
	GroupSecp384r1          uint16 = 24
	GroupSecp521r1          uint16 = 25
	GroupX25519             uint16 = 29
	GroupSecP256r1MLKEM768  uint16 = 4587
	GroupX25519MLKEM768     uint16 = 4588
	GroupSecP384r1MLKEM1024 uint16 = 4589
)

// GroupName names a key-exchange group.
func GroupName(g uint16) string {
	switch g {
	case GroupSecp256r1:
		return "secp256r1"
	case GroupSecp384r1:
		return "secp384r1"
	case GroupSecp521r1:
		return "secp521r1"
	case GroupX25519:
		return "x25519"
	case GroupSecP256r1MLKEM768:
		return "SecP256r1MLKEM768"
	case GroupX25519MLKEM768:
		return "X25519MLKEM768"
	case GroupSecP384r1MLKEM1024:
		return "SecP384r1MLKEM1024"
	}
	return fmt.Sprintf("group(0x%04x)", g)
}

// Signature schemes (RFC 8446 section 4.2.3).
const (
	PKCS1WithSHA256        uint16 = 0x0401
	PKCS1WithSHA384        uint16 = 0x0501
	PKCS1WithSHA512        uint16 = 0x0601
	PKCS1WithSHA1          uint16 = 0x0201
	ECDSAWithSHA1          uint16 = 0x0203
	ECDSAWithP256AndSHA256 uint16 = 0x0403
	ECDSAWithP384AndSHA384 uint16 = 0x0503
	ECDSAWithP521AndSHA512 uint16 = 0x0603
	PSSWithSHA256          uint16 = 0x0804
	PSSWithSHA384          uint16 = 0x0805
	PSSWithSHA512          uint16 = 0x0806
	Ed25519                uint16 = 0x0807
	PSSPSSWithSHA256       uint16 = 0x0809
	PSSPSSWithSHA384       uint16 = 0x080a
	PSSPSSWithSHA512       uint16 = 0x080b
)

// SchemeName names a signature scheme.
func SchemeName(s uint16) string {
	switch s {
	case PKCS1WithSHA256:
		return "rsa_pkcs1_sha256"
	case PKCS1WithSHA384:
		return "rsa_pkcs1_sha384"
	case PKCS1WithSHA512:
		return "rsa_pkcs1_sha512"
	case PKCS1WithSHA1:
		return "rsa_pkcs1_sha1"
	case ECDSAWithSHA1:
		return "ecdsa_sha1"
	case ECDSAWithP256AndSHA256:
		return "ecdsa_secp256r1_sha256"
	case ECDSAWithP384AndSHA384:
		return "ecdsa_secp384r1_sha384"
	case ECDSAWithP521AndSHA512:
		return "ecdsa_secp521r1_sha512"
	case PSSWithSHA256:
		return "rsa_pss_rsae_sha256"
	case PSSWithSHA384:
		return "rsa_pss_rsae_sha384"
	case PSSWithSHA512:
		return "rsa_pss_rsae_sha512"
	case Ed25519:
		return "ed25519"
	case PSSPSSWithSHA256:
		return "rsa_pss_pss_sha256"
	case PSSPSSWithSHA384:
		return "rsa_pss_pss_sha384"
	case PSSPSSWithSHA512:
		return "rsa_pss_pss_sha512"
	}
	return fmt.Sprintf("scheme(0x%04x)", s)
}

// PSK key exchange modes (RFC 8446 section 4.2.9).
const (
	PSKModeKE    uint8 = 0
	PSKModeDHEKE uint8 = 1
)

// KeyUpdate request values (RFC 8446 section 4.6.3).
const (
	KeyUpdateNotRequested uint8 = 0
	KeyUpdateRequested    uint8 = 1
)

// Certificate status type for status_request (RFC 6066 section 8).
const StatusTypeOCSP uint8 = 1

// HelloRetryRequestRandom is the special ServerHello.random that marks a
// HelloRetryRequest (RFC 8446 section 4.1.3).
var HelloRetryRequestRandom = [32]byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// Downgrade sentinels placed in the last 8 bytes of ServerHello.random by a
// TLS 1.3 server that negotiates an older version (RFC 8446 section 4.1.3).
var (
	DowngradeTLS12 = [8]byte{0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01}
	DowngradeTLS11 = [8]byte{0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00}
)
