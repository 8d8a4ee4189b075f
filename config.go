// Package hasp is TLS written in Go from the record layer up: TLS 1.3
// client and server over any net.Conn, with an API shaped like crypto/tls.
//
// Switching from crypto/tls is mostly a change of import: Config, Conn,
// Dial, Listen, Client and Server work the same way. hasp adds what
// crypto/tls does not give: typed alert errors that say who raised what,
// post-quantum hybrid groups on both sides, and a handshake engine that
// can be driven without a network.
package hasp

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
	"github.com/hasp-tls/hasp/trust"
)

// Protocol versions.
const (
	VersionTLS12 = wire.VersionTLS12
	VersionTLS13 = wire.VersionTLS13
)

// TLS 1.3 cipher suites.
const (
	TLS_AES_128_GCM_SHA256       = wire.TLS_AES_128_GCM_SHA256
	TLS_AES_256_GCM_SHA384       = wire.TLS_AES_256_GCM_SHA384
	TLS_CHACHA20_POLY1305_SHA256 = wire.TLS_CHACHA20_POLY1305_SHA256
)

// TLS 1.2 (and DTLS 1.2) cipher suites hasp implements: ECDHE with an
// AEAD. The AES-CCM ones (RFC 7251; _CCM_8 is the IoT profile of RFC
// 7925) are negotiated only when Config.CipherSuites names them.
const (
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256       = wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384       = wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256         = wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384         = wire.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = wire.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   = wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	TLS_ECDHE_ECDSA_WITH_AES_128_CCM              = wire.TLS_ECDHE_ECDSA_WITH_AES_128_CCM
	TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8            = wire.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8

	// Pre-shared keys (see Config.PSK).
	TLS_PSK_WITH_AES_128_GCM_SHA256             = wire.TLS_PSK_WITH_AES_128_GCM_SHA256
	TLS_PSK_WITH_AES_256_GCM_SHA384             = wire.TLS_PSK_WITH_AES_256_GCM_SHA384
	TLS_PSK_WITH_AES_128_CCM                    = wire.TLS_PSK_WITH_AES_128_CCM
	TLS_PSK_WITH_AES_128_CCM_8                  = wire.TLS_PSK_WITH_AES_128_CCM_8
	TLS_PSK_WITH_CHACHA20_POLY1305_SHA256       = wire.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256
	TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 = wire.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256
	TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256       = wire.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256
	TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256     = wire.TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256
)

// CurveID names a key-exchange group (IANA "TLS Supported Groups").
type CurveID uint16

// Key-exchange groups.
const (
	CurveP256          CurveID = CurveID(wire.GroupSecp256r1)
	CurveP384          CurveID = CurveID(wire.GroupSecp384r1)
	CurveP521          CurveID = CurveID(wire.GroupSecp521r1)
	X25519             CurveID = CurveID(wire.GroupX25519)
	X25519MLKEM768     CurveID = CurveID(wire.GroupX25519MLKEM768)
	SecP256r1MLKEM768  CurveID = CurveID(wire.GroupSecP256r1MLKEM768)
	SecP384r1MLKEM1024 CurveID = CurveID(wire.GroupSecP384r1MLKEM1024)
)

func (c CurveID) String() string { return wire.GroupName(uint16(c)) }

// SignatureScheme is a TLS signature scheme.
type SignatureScheme uint16

func (s SignatureScheme) String() string { return wire.SchemeName(uint16(s)) }

// Signature schemes.
const (
	ECDSAWithP256AndSHA256 SignatureScheme = SignatureScheme(wire.ECDSAWithP256AndSHA256)
	ECDSAWithP384AndSHA384 SignatureScheme = SignatureScheme(wire.ECDSAWithP384AndSHA384)
	ECDSAWithP521AndSHA512 SignatureScheme = SignatureScheme(wire.ECDSAWithP521AndSHA512)
	PSSWithSHA256          SignatureScheme = SignatureScheme(wire.PSSWithSHA256)
	PSSWithSHA384          SignatureScheme = SignatureScheme(wire.PSSWithSHA384)
	PSSWithSHA512          SignatureScheme = SignatureScheme(wire.PSSWithSHA512)
	Ed25519                SignatureScheme = SignatureScheme(wire.Ed25519)
	// RSA PKCS #1 v1.5: TLS 1.2 handshake signatures and certificates.
	PKCS1WithSHA256 SignatureScheme = SignatureScheme(wire.PKCS1WithSHA256)
	PKCS1WithSHA384 SignatureScheme = SignatureScheme(wire.PKCS1WithSHA384)
	PKCS1WithSHA512 SignatureScheme = SignatureScheme(wire.PKCS1WithSHA512)
	// SHA-1 schemes: hasp neither makes nor accepts them in handshake
	// signatures (RFC 9155); the names exist so code from crypto/tls
	// compiles, and a Config that lists them fails at its first use.
	PKCS1WithSHA1 SignatureScheme = SignatureScheme(wire.PKCS1WithSHA1)
	ECDSAWithSHA1 SignatureScheme = SignatureScheme(wire.ECDSAWithSHA1)
)

// ClientAuthType says whether a server asks for client certificates and
// how it checks them; the values match crypto/tls.
type ClientAuthType int

const (
	NoClientCert ClientAuthType = iota
	RequestClientCert
	RequireAnyClientCert
	VerifyClientCertIfGiven
	RequireAndVerifyClientCert
)

// CipherSuiteName returns the standard name of a cipher suite.
func CipherSuiteName(id uint16) string { return wire.SuiteName(id) }

// VersionName returns "TLS 1.3" and the like.
func VersionName(v uint16) string { return wire.VersionName(v) }

// ClientHelloInfo is what a server knows of the client from its
// ClientHello, for GetConfigForClient and GetCertificate.
type ClientHelloInfo struct {
	ServerName       string
	CipherSuites     []uint16
	SupportedCurves  []CurveID
	SignatureSchemes []SignatureScheme
	SupportedProtos  []string
	// SupportedVersions: the supported_versions extension, or for a
	// client without it the versions up to its legacy version.
	SupportedVersions []uint16
	// SupportedPoints: the ec_point_formats extension (TLS 1.2).
	SupportedPoints []uint8
	// Extensions: the types of the ClientHello's extensions, in order.
	Extensions []uint16
	// Conn is the connection the handshake runs over: set for a Conn
	// accepted from a Listen or NewListener listener; nil for QUIC and,
	// for now, for a Conn made by calling Server directly. Do not read
	// from or write to it.
	Conn net.Conn
	// HelloRetryRequest: this ClientHello answered a HelloRetryRequest.
	HelloRetryRequest bool

	ctx context.Context
}

// CertificateRequestInfo is what a client knows when a server asks for a
// certificate.
type CertificateRequestInfo struct {
	AcceptableCAs    [][]byte
	SignatureSchemes []SignatureScheme
	// Version is the negotiated protocol version.
	Version uint16

	ctx context.Context
}

// Config configures a client or server. A Config may be shared by many
// connections and must not be changed once in use.
type Config struct {
	// Rand is the source of randomness; crypto/rand when nil.
	Rand io.Reader
	// Time returns the current time; time.Now when nil.
	Time func() time.Time

	// Certificates to present. A server picks by SNI among them (the
	// first one is the default); a client sends the first when asked.
	Certificates []Certificate
	// GetCertificate, when set, picks a server's certificate; nil with no
	// error leaves the choice to Certificates. An error ends the
	// handshake with handshake_failure, or the alert of an *AlertError.
	GetCertificate func(*ClientHelloInfo) (*Certificate, error)
	// GetClientCertificate, when set, picks a client's certificate.
	GetClientCertificate func(*CertificateRequestInfo) (*Certificate, error)

	// RootCAs verify servers; the system pool when nil. A chain verified
	// against a pool is remembered for the process (5 minutes at most,
	// never past a certificate's validity), keyed by the certificates, the
	// name and the pool itself: another Config with the same pool (a
	// Clone) does not verify it again, a new pool does. The handshake's
	// signature and the name are checked every time.
	RootCAs *x509.CertPool
	// Trust, when set, decides whether to trust the peer (a server's
	// chain on a client, a client's on a server) with hasp's trust
	// package: a Verdict weighed from the chain, name, validity, pins,
	// known hosts, exceptions, OCSP and SCTs under a policy. It replaces
	// the crypto/x509 verification that RootCAs and ClientCAs drive; the
	// Verdict is in ConnectionState and in the error of a refusal.
	Trust *trust.Verifier
	// ServerName is the name a client asks for (SNI) and verifies.
	ServerName string
	// InsecureSkipVerify turns off the client's verification of the
	// server's chain and name. The handshake signature is still checked.
	InsecureSkipVerify bool
	// VerifyPeerCertificate runs after normal verification with the raw
	// chain and the verified chains (nil when verification is off). An
	// error refuses the peer with bad_certificate, or with the alert of
	// an *AlertError it returns (certificate_unknown, unknown_ca, ...);
	// the same holds for VerifyConnection.
	VerifyPeerCertificate func(rawCerts [][]byte, verifiedChains [][]*x509.Certificate) error
	// VerifyConnection runs after verification with the handshake's state.
	VerifyConnection func(ConnectionState) error

	// ClientAuth says whether a server asks for client certificates.
	ClientAuth ClientAuthType
	// ClientCAs verify client certificates.
	ClientCAs *x509.CertPool

	// NextProtos are the ALPN protocols, in order of preference.
	NextProtos []string

	// MinVersion and MaxVersion bound the versions: TLS 1.2 and TLS 1.3
	// (the default), 1.3 preferred. Older versions are never spoken.
	MinVersion uint16
	MaxVersion uint16
	// CipherSuites in order of preference, TLS 1.3 and TLS 1.2 suites
	// mixed; nil means hasp's defaults. Naming only suites of one version
	// leaves the other's defaults in place.
	CipherSuites []uint16
	// RequireExtendedMasterSecret refuses TLS 1.2 peers without the
	// extended master secret (RFC 7627).
	RequireExtendedMasterSecret bool
	// CurvePreferences: the groups, in order of preference.
	CurvePreferences []CurveID
	// PSK, when set, enables the TLS 1.2 (and DTLS 1.2) pre-shared-key
	// suites named in CipherSuites (TLS_PSK_*, TLS_ECDHE_PSK_*: RFC 4279,
	// RFC 5489; with AES-CCM-8 the IoT profile of RFC 7925): the ends
	// authenticate with a shared key instead of certificates.
	PSK *PSKConfig
	// SignatureSchemes are the schemes accepted in the peer's handshake
	// signatures (CertificateVerify, and a TLS 1.2 ServerKeyExchange), in
	// order of preference, and advertised in signature_algorithms. nil
	// means hasp's default: ECDSA, Ed25519, RSA-PSS and, in TLS 1.2 only,
	// RSA PKCS #1 v1.5 with SHA-2. SHA-1 is never accepted (RFC 9155).
	// What a key signs with is Certificate.SupportedSignatureAlgorithms.
	SignatureSchemes []SignatureScheme
	// KeyShares: the groups a client sends key shares for in its first
	// ClientHello. Default: X25519MLKEM768 and X25519.
	KeyShares []CurveID
	// DisableCompatibilityMode turns off the middlebox compatibility
	// mode (RFC 8446 appendix D.4) on a client.
	DisableCompatibilityMode bool

	// SessionTicketsDisabled stops a server from sending and accepting
	// tickets, and a client from offering them.
	SessionTicketsDisabled bool
	// ClientSessionCache keeps a client's sessions for resumption; nil
	// turns client resumption off. See NewLRUClientSessionCache.
	ClientSessionCache ClientSessionCache
	// SessionIDCacheSize bounds a TLS 1.2 server's cache of sessions kept
	// by session ID for clients that take no tickets (default 1024;
	// negative turns it off).
	SessionIDCacheSize int
	// SessionIDStore, when set, keeps a TLS 1.2 server's sessions by
	// session ID instead of the in-memory cache: a fleet shares it so that
	// a client resumes on any member (package store). The sessions hold
	// master secrets: the store must keep them secret.
	SessionIDStore ServerSessionStore
	// KeepClientHello keeps, on a server, what each client offered for
	// ConnectionState.ClientHello after the handshake (about 300 bytes per
	// connection, which an idle server multiplies by its connections);
	// without it ClientHello is there only while the handshake runs
	// (VerifyConnection sees it). hasp serve's lock panel sets it.
	KeepClientHello bool
	// TicketKeyRotation is how often a server makes a new ticket key
	// (default 24 hours); the previous three keys still open tickets.
	TicketKeyRotation time.Duration
	// PostHandshakeAuth makes a client offer post-handshake
	// authentication (RFC 8446 section 4.6.2): the server may then ask for
	// a certificate at any time (Conn.RequestClientCertificate on a hasp
	// server), answered from Certificates or GetClientCertificate.
	PostHandshakeAuth bool
	// ResumptionWithoutDHE lets a client offer, and a server accept,
	// resumption without a fresh (EC)DHE exchange (psk_ke), which gives
	// up forward secrecy for that connection.
	ResumptionWithoutDHE bool
	// TicketCount is how many tickets a server sends after a handshake
	// (default 2), to a client that can use them (RFC 8446 4.2.9). A TLS
	// 1.3 server that asked for no client certificate, and has no Trust,
	// VerifyPeerCertificate or VerifyConnection that could still refuse
	// the client at its Finished, sends them with its own flight (RFC 8446
	// 4.6.1); otherwise after the client's Finished.
	TicketCount int
	// TicketLifetime bounds ticket lifetimes (at most 7 days, and never
	// past the certificate's NotAfter).
	TicketLifetime time.Duration

	// KeyUpdateRecords: after this many records under one key a sender
	// updates its keys on its own (default 2^24, below the AES-GCM limit
	// of RFC 8446 section 5.5).
	KeyUpdateRecords int
	// IdleTimeout closes a connection (with close_notify) after this long
	// without a Read or Write returning data.
	IdleTimeout time.Duration
	// MaxSessionAge closes a connection this long after its handshake.
	MaxSessionAge time.Duration
	// CloseAtCertificateExpiry closes a connection when the peer's
	// certificate expires.
	CloseAtCertificateExpiry bool

	// HandshakeTrace, when set, is called with each handshake message
	// sent and received (for tools that show the handshake). After the
	// handshake it may be called from Read and Write at once.
	HandshakeTrace func(HandshakeMessage)

	// KeyLogWriter receives secrets in NSS key log format, which
	// Wireshark reads. It compromises security; use for debugging only.
	KeyLogWriter io.Writer

	// GetConfigForClient, when set, is called by a server with the first
	// ClientHello before anything else is decided; the Config it returns
	// (when not nil) runs the rest of the handshake in place of this one.
	// An error ends the handshake with internal_error, or with the alert
	// of an *AlertError it returns.
	GetConfigForClient func(*ClientHelloInfo) (*Config, error)

	// WrapSession, when set, makes a server's session ticket from the
	// session (and the connection's state so far): it must encode the
	// session with SessionState.Bytes and then seal it (EncryptTicket
	// does that with this Config's ticket keys) or store it and return a
	// handle. The result goes to the client in the clear. An error ends
	// the handshake. Setting it (or UnwrapSession) moves tickets to
	// SessionState's encoding; the other hook defaults to
	// EncryptTicket/DecryptTicket.
	WrapSession func(ConnectionState, *SessionState) ([]byte, error)
	// UnwrapSession, when set, turns a ticket the client offers back into
	// a session: decrypt it (DecryptTicket) or look it up, and decode it
	// with ParseSessionState. (nil, nil) passes over the ticket; an error
	// ends the handshake. hasp may still decline to resume the session.
	// identity is valid only during the call (it lies in the received
	// message): copy what is kept.
	UnwrapSession func(identity []byte, cs ConnectionState) (*SessionState, error)

	// Deprecated: NameToCertificate maps a name (which may be a
	// wildcard, "*.example.com") to one of Certificates. When set, and
	// when GetCertificate gives none, a server takes the certificate for
	// the client's server name from it before looking through
	// Certificates. Leave it nil: Certificates is searched for the first
	// certificate the client can take anyway. See BuildNameToCertificate.
	NameToCertificate map[string]*Certificate
	// Deprecated: PreferServerCipherSuites is ignored, as in crypto/tls:
	// a hasp server picks suites by its own order, putting ChaCha20 first
	// for clients that prefer it when there is no AES hardware.
	PreferServerCipherSuites bool
	// Deprecated: SessionTicketKey, when not all zero and no keys were
	// given to SetSessionTicketKeys, is the one key that seals and opens
	// session tickets, with no rotation. Leave it zero to have keys made
	// and rotated on their own (TicketKeyRotation); use
	// SetSessionTicketKeys to share keys among servers.
	SessionTicketKey [32]byte
	// Renegotiation: hasp never renegotiates; only RenegotiateNever (the
	// zero value) is accepted, any other value fails the first handshake.
	Renegotiation RenegotiationSupport
	// DynamicRecordSizingDisabled is accepted and has no effect: hasp
	// writes records as large as the data written (up to 16 KiB) from the
	// start, which is what turning dynamic sizing off asks for.
	DynamicRecordSizingDisabled bool

	// Encrypted Client Hello (RFC 9849) is not implemented yet: these
	// fields exist so code written for crypto/tls compiles, and a Config
	// that sets any of them fails at its first handshake with an error
	// saying so, never silently sending the name in the clear.
	//
	// EncryptedClientHelloConfigList is a client's ECHConfigList.
	EncryptedClientHelloConfigList []byte
	// EncryptedClientHelloRejectionVerify checks a server's rejection of
	// ECH (client).
	EncryptedClientHelloRejectionVerify func(ConnectionState) error
	// GetEncryptedClientHelloKeys returns a server's ECH keys for a
	// ClientHello.
	GetEncryptedClientHelloKeys func(*ClientHelloInfo) ([]EncryptedClientHelloKey, error)
	// EncryptedClientHelloKeys are a server's ECH keys.
	EncryptedClientHelloKeys []EncryptedClientHelloKey

	once    sync.Once
	initErr error
	certs   []*engine.Certificate
	// Derived once by init: the suites per version and both together.
	suites13, suites12List, offered []uint16
	ticketMu                        sync.Mutex
	tickets                         *ticketKeys
	sessions                        *serverSessions
	keyLogMu                        sync.Mutex
}

// sharedTicketKeys lets a clone seal and open with the same keys.
func (c *Config) sharedTicketKeys() *ticketKeys {
	c.ticketMu.Lock()
	defer c.ticketMu.Unlock()
	if c.tickets == nil {
		c.tickets = &ticketKeys{}
	}
	return c.tickets
}

// Clone returns a shallow copy of c that can be changed: every exported
// field is copied (slices, maps and pointers are shared, as crypto/tls's
// Clone does), and the clone seals and opens tickets with c's ticket keys.
// What init derives, the locks and the TLS 1.2 session-ID cache are not
// copied: the clone derives and makes its own. config_clone_test.go fails
// when a field is added here without being handled.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	return &Config{
		Rand:                        c.Rand,
		Time:                        c.Time,
		Certificates:                c.Certificates,
		GetCertificate:              c.GetCertificate,
		GetClientCertificate:        c.GetClientCertificate,
		RootCAs:                     c.RootCAs,
		Trust:                       c.Trust,
		ServerName:                  c.ServerName,
		InsecureSkipVerify:          c.InsecureSkipVerify,
		VerifyPeerCertificate:       c.VerifyPeerCertificate,
		VerifyConnection:            c.VerifyConnection,
		ClientAuth:                  c.ClientAuth,
		ClientCAs:                   c.ClientCAs,
		NextProtos:                  c.NextProtos,
		MinVersion:                  c.MinVersion,
		MaxVersion:                  c.MaxVersion,
		CipherSuites:                c.CipherSuites,
		RequireExtendedMasterSecret: c.RequireExtendedMasterSecret,
		CurvePreferences:            c.CurvePreferences,
		SignatureSchemes:            c.SignatureSchemes,
		PSK:                         c.PSK,
		KeyShares:                   c.KeyShares,
		DisableCompatibilityMode:    c.DisableCompatibilityMode,
		SessionTicketsDisabled:      c.SessionTicketsDisabled,
		ClientSessionCache:          c.ClientSessionCache,
		SessionIDCacheSize:          c.SessionIDCacheSize,
		KeepClientHello:             c.KeepClientHello,
		SessionIDStore:              c.SessionIDStore,
		TicketKeyRotation:           c.TicketKeyRotation,
		PostHandshakeAuth:           c.PostHandshakeAuth,
		ResumptionWithoutDHE:        c.ResumptionWithoutDHE,
		TicketCount:                 c.TicketCount,
		TicketLifetime:              c.TicketLifetime,
		KeyUpdateRecords:            c.KeyUpdateRecords,
		IdleTimeout:                 c.IdleTimeout,
		MaxSessionAge:               c.MaxSessionAge,
		CloseAtCertificateExpiry:    c.CloseAtCertificateExpiry,
		HandshakeTrace:              c.HandshakeTrace,
		KeyLogWriter:                c.KeyLogWriter,
		GetConfigForClient:          c.GetConfigForClient,
		WrapSession:                 c.WrapSession,
		UnwrapSession:               c.UnwrapSession,
		NameToCertificate:           c.NameToCertificate,
		PreferServerCipherSuites:    c.PreferServerCipherSuites,
		SessionTicketKey:            c.SessionTicketKey,
		Renegotiation:               c.Renegotiation,
		DynamicRecordSizingDisabled: c.DynamicRecordSizingDisabled,

		EncryptedClientHelloConfigList:      c.EncryptedClientHelloConfigList,
		EncryptedClientHelloRejectionVerify: c.EncryptedClientHelloRejectionVerify,
		GetEncryptedClientHelloKeys:         c.GetEncryptedClientHelloKeys,
		EncryptedClientHelloKeys:            c.EncryptedClientHelloKeys,
		tickets:                             c.sharedTicketKeys(),
	}
}

func (c *Config) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

// hasAESHardware: without it, ChaCha20 is faster and constant-time.
var hasAESHardware = (cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ) || (cpu.ARM64.HasAES && cpu.ARM64.HasPMULL) ||
	runtime.GOARCH == "s390x" || runtime.GOARCH == "ppc64" || runtime.GOARCH == "ppc64le"

// DefaultCurves is the default group preference.
var defaultCurves = []uint16{
	wire.GroupX25519MLKEM768, wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1,
	wire.GroupSecp521r1, wire.GroupSecP256r1MLKEM768, wire.GroupSecP384r1MLKEM1024,
}

var defaultKeyShares = []uint16{wire.GroupX25519MLKEM768, wire.GroupX25519}

func (c *Config) init() error {
	c.once.Do(func() {
		for i := range c.Certificates {
			ec, err := c.Certificates[i].engineCert()
			if err != nil {
				c.initErr = fmt.Errorf("hasp: certificate %d: %w", i, err)
				return
			}
			c.certs = append(c.certs, ec)
		}
		if err := c.checkLeftOut(); err != nil {
			c.initErr = err
			return
		}
		if c.MinVersion > VersionTLS13 || c.MaxVersion != 0 && c.MinVersion > c.MaxVersion {
			c.initErr = fmt.Errorf("hasp: versions %s to %s: hasp speaks TLS 1.2 and TLS 1.3 only",
				VersionName(c.MinVersion), VersionName(c.MaxVersion))
			return
		}
		for _, id := range c.CipherSuites {
			if s := suite.ByID(id); s == nil {
				c.initErr = errLeftOutSuite(id)
				return
			}
		}
		for _, s := range c.SignatureSchemes {
			if !slices.Contains(sig.TLS12Schemes(), uint16(s)) {
				c.initErr = fmt.Errorf("hasp: signature scheme %s is not one hasp accepts (ECDSA, Ed25519, RSA-PSS, RSA PKCS #1 v1.5 with SHA-2)", s)
				return
			}
		}
		if c.PSK == nil {
			for _, id := range c.CipherSuites {
				if s := suite.ByID(id); s != nil && s.PSK {
					c.initErr = fmt.Errorf("hasp: cipher suite %s needs Config.PSK", CipherSuiteName(id))
					return
				}
			}
		}
		c.suites13, c.suites12List = c.computeSuites(), c.computeSuites12()
		c.offered = append(append([]uint16(nil), c.suites13...), c.suites12List...)
		for _, g := range append(append([]CurveID(nil), c.CurvePreferences...), c.KeyShares...) {
			if !kex.Supported(uint16(g)) {
				c.initErr = fmt.Errorf("hasp: group %s is not supported", g)
				return
			}
		}
	})
	return c.initErr
}

func (c *Config) suites12() []uint16 { return c.suites12List }
func (c *Config) suites() []uint16   { return c.suites13 }

// PSKConfig holds pre-shared keys (TLS 1.2 and DTLS 1.2).
type PSKConfig struct {
	// A client sends Identity and uses Key; or, when ClientKey is set, the
	// identity and key it returns for the server's hint (which may be
	// empty).
	Identity, Key []byte
	ClientKey     func(hint []byte) (identity, key []byte, err error)
	// A server sends Hint (RFC 4279 5.2; may be empty) and looks up the
	// key of the identity a client names with ServerKey: a nil key or an
	// error is an unknown identity (unknown_psk_identity). The identity
	// passed to ServerKey and the hint passed to ClientKey are valid only
	// during the call (they lie in the received message).
	Hint      []byte
	ServerKey func(identity []byte) (key []byte, err error)
}

// computeSuites12 returns the TLS 1.2 suites in order of preference.
func (c *Config) computeSuites12() []uint16 {
	if len(c.CipherSuites) > 0 {
		var out []uint16
		for _, id := range c.CipherSuites {
			if s := suite.ByID(id); s != nil && !s.TLS13 && (!s.PSK || c.PSK != nil) {
				out = append(out, id)
			}
		}
		if out != nil || c.has13Suites() {
			return out
		}
	}
	aes := []uint16{
		wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, wire.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	}
	chacha := []uint16{wire.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
	if hasAESHardware {
		return append(aes, chacha...)
	}
	return append(chacha, aes...)
}

func (c *Config) has13Suites() bool {
	for _, id := range c.CipherSuites {
		if s := suite.ByID(id); s != nil && s.TLS13 {
			return true
		}
	}
	return false
}

func (c *Config) computeSuites() []uint16 {
	if c.has13Suites() {
		var out []uint16
		for _, id := range c.CipherSuites {
			if s := suite.ByID(id); s != nil && s.TLS13 {
				out = append(out, id)
			}
		}
		return out
	}
	if hasAESHardware {
		return suite.TLS13IDs()
	}
	return []uint16{TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384}
}

func (c *Config) groups() []uint16 {
	if len(c.CurvePreferences) == 0 {
		return defaultCurves
	}
	out := make([]uint16, len(c.CurvePreferences))
	for i, g := range c.CurvePreferences {
		out[i] = uint16(g)
	}
	return out
}

// keyShares returns the groups a client sends shares for: the configured
// ones that are among its groups, or the defaults that are, or the first
// group.
func (c *Config) keyShares(groups []uint16) []uint16 {
	var out []uint16
	want := defaultKeyShares
	if len(c.KeyShares) > 0 {
		want = make([]uint16, len(c.KeyShares))
		for i, g := range c.KeyShares {
			want[i] = uint16(g)
		}
	}
	for _, g := range want {
		for _, h := range groups {
			if g == h {
				out = append(out, g)
			}
		}
	}
	if len(out) == 0 && len(groups) > 0 {
		out = groups[:1]
	}
	return out
}

func (c *Config) writeKeyLog(label string, clientRandom, secret []byte) {
	if c.KeyLogWriter == nil {
		return
	}
	line := fmt.Sprintf("%s %x %x\n", label, clientRandom, secret)
	c.keyLogMu.Lock()
	defer c.keyLogMu.Unlock()
	io.WriteString(c.KeyLogWriter, line)
}

// defaultSigSchemes is what hasp accepts and advertises: RSA PKCS #1
// v1.5 last, for TLS 1.2 servers whose keys make nothing else (the engine
// leaves it out of everything TLS 1.3).
var defaultSigSchemes = sig.TLS12Schemes()

// sigSchemes is what this Config accepts and advertises.
func (c *Config) sigSchemes() []uint16 {
	if c.SignatureSchemes == nil {
		return defaultSigSchemes
	}
	out := make([]uint16, len(c.SignatureSchemes))
	for i, s := range c.SignatureSchemes {
		out[i] = uint16(s)
	}
	return out
}

// pskOnly reports whether the Config authenticates only with pre-shared
// keys: PSK set and every suite it names a PSK one (no certificate is
// then needed, nor a server name to check one against).
func (c *Config) pskOnly() bool {
	if c.PSK == nil || len(c.CipherSuites) == 0 {
		return false
	}
	for _, id := range c.CipherSuites {
		if s := suite.ByID(id); s == nil || !s.PSK {
			return false
		}
	}
	return true
}
