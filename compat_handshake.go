package hasp

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/sig"
	"github.com/hasp-tls/hasp/internal/wire"
)

// compatState is what a handshaker keeps for the parts of crypto/tls's
// API that reach into the handshake: GetConfigForClient, the rest of
// ClientHelloInfo, the errors of UnwrapSession and QUIC's session events.
type compatState struct {
	// netConn and ctx are the connection and the context of the
	// handshake, for ClientHelloInfo and CertificateRequestInfo (nil when
	// unknown).
	netConn net.Conn
	ctx     context.Context
	// sessionErr is an error of Config.UnwrapSession, raised once the
	// engine call that asked for it returns (the engine passes over a
	// ticket that does not open).
	sessionErr error
	// hookErr is the error VerifyPeerCertificate or VerifyConnection
	// refused the peer with, for the AlertError to wrap (errors.Is finds
	// it, as it finds crypto/tls's).
	hookErr error
	// onResume, when set, is told of the session a server resumes from a
	// ticket (QUIC's QUICResumeSession); onStore, when set, takes a
	// client's new session instead of the ClientSessionCache (QUIC's
	// QUICStoreSession); onOffer is told of the session a client offers.
	onResume func(*SessionState)
	onStore  func(*ClientSessionState)
	onOffer  func(*ClientSessionState)
}

// hookFailed keeps the error a verification hook returned and gives the
// alert to send for it.
func (c *handshaker) hookFailed(err error) error {
	c.hookErr = err
	return hookError(err)
}

// clientHelloInfo is crypto/tls's view of a ClientHello the engine
// parsed, with the connection and context of this handshake. The slices
// are the ClientHelloInfo's own.
func (c *handshaker) clientHelloInfo(h *engine.HelloInfo) *ClientHelloInfo {
	info := &ClientHelloInfo{
		ServerName: h.ServerName, CipherSuites: slices.Clone(h.CipherSuites), SupportedProtos: slices.Clone(h.ALPN),
		SupportedVersions: slices.Clone(h.SupportedVersions), Extensions: h.Extensions,
		SupportedPoints: h.PointFormats, HelloRetryRequest: h.Retry,
		Conn: c.netConn, ctx: c.ctx,
	}
	for _, g := range h.SupportedGroups {
		info.SupportedCurves = append(info.SupportedCurves, CurveID(g))
	}
	for _, s := range h.SignatureSchemes {
		info.SignatureSchemes = append(info.SignatureSchemes, SignatureScheme(s))
	}
	return info
}

// wrapServer puts a server engine of a TLS or QUIC transport behind
// serverEngine, which sees each ClientHello first. Package dtls drives
// its *engine.Server itself, so a DTLS engine is left as it is.
func (c *handshaker) wrapServer(s *engine.Server) engine.Engine {
	if c.variant == engine.DTLS {
		return s
	}
	return &serverEngine{Engine: s, h: c}
}

// serverEngine is a server engine during the handshake: it reads each
// ClientHello before the engine does, for GetConfigForClient (which may
// swap the Config, and so the engine, before the engine has seen
// anything) and for the parts of ClientHelloInfo the engine does not
// report, and raises UnwrapSession's errors. Once the handshake is done
// the transport holds the engine itself again.
type serverEngine struct {
	engine.Engine
	h      *handshaker
	hellos int
}

func (e *serverEngine) Handle(level engine.Level, msg []byte) ([]engine.Action, error) {
	if len(msg) > 0 && msg[0] == wire.TypeClientHello && e.hellos < 2 {
		e.hellos++
		if err := e.clientHello(msg); err != nil {
			return nil, err
		}
	}
	acts, err := e.Engine.Handle(level, msg)
	if err == nil && e.h.sessionErr != nil {
		err = wire.Errorf(wire.AlertInternalError, "Config.UnwrapSession: %v", e.h.sessionErr)
	}
	if err == nil && e.Engine.Done() && e.h.eng == engine.Engine(e) {
		// Nothing more to see: the transport calls the engine itself
		// from now on (and may freeze it while idle).
		e.h.eng = e.Engine
	}
	return acts, err
}

// clientHello calls GetConfigForClient for the first ClientHello, which
// it decodes for that (the engine decodes it again, for the Config it
// then has). A ClientHello that does not parse is left to the engine,
// which answers it with the right alert.
func (e *serverEngine) clientHello(msg []byte) error {
	c := e.h
	cfg := c.config
	if e.hellos != 1 || cfg == nil || cfg.GetConfigForClient == nil {
		return nil
	}
	var ch wire.ClientHello
	if ch.Unmarshal(msg) != nil {
		return nil
	}
	versions := ch.SupportedVersions
	if len(versions) == 0 {
		// No supported_versions: the legacy version and those below it
		// (as far down as TLS 1.0).
		for v := min(ch.Vers, VersionTLS12); v >= VersionTLS10; v-- {
			versions = append(versions, v)
		}
	}
	info := c.clientHelloInfo(engine.HelloInfoOf(&ch, versions, false))
	next, err := cfg.GetConfigForClient(info)
	if err != nil {
		var ae *AlertError
		if errors.As(err, &ae) && !ae.Remote && ae.Alert != 0 {
			return hookError(err)
		}
		return wire.Errorf(wire.AlertInternalError, "Config.GetConfigForClient: %v", err)
	}
	if next == nil {
		return nil
	}
	c.config = next
	ec, err := c.engineConfig()
	if err != nil {
		return wire.Errorf(wire.AlertInternalError, "the Config from GetConfigForClient: %v", err)
	}
	s := engine.NewServer(ec)
	acts, err := s.Start()
	if err != nil {
		return err
	}
	if len(acts) > 0 {
		return wire.Errorf(wire.AlertInternalError, "a server engine acted before the ClientHello")
	}
	e.Engine = s
	return nil
}

// Context returns the context of the handshake: the one given to
// HandshakeContext (or Dial's, or QUICConn.Start's) where hasp knows it,
// context.Background otherwise.
func (c *ClientHelloInfo) Context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// SupportsCertificate returns nil if the client that sent the ClientHello
// can take cert: a signature scheme it offers for the key, and in TLS 1.2
// a suite for the key's type and, for ECDSA, its curve among the client's
// groups. It does not look at the server name.
func (c *ClientHelloInfo) SupportsCertificate(cert *Certificate) error {
	if cert == nil {
		return errors.New("hasp: nil Certificate")
	}
	ec, err := cert.engineCert()
	if err != nil {
		return err
	}
	h := &engine.HelloInfo{
		ServerName:        c.ServerName,
		CipherSuites:      c.CipherSuites,
		SupportedVersions: c.SupportedVersions,
		ALPN:              c.SupportedProtos,
	}
	for _, g := range c.SupportedCurves {
		h.SupportedGroups = append(h.SupportedGroups, uint16(g))
	}
	for _, s := range c.SignatureSchemes {
		h.SignatureSchemes = append(h.SignatureSchemes, uint16(s))
	}
	if !fitsHello(ec, h) {
		return fmt.Errorf("hasp: the client cannot take a certificate with a %s key: no signature scheme, suite or curve for it among those it offered", keyKind(ec))
	}
	return nil
}

// keyKind names a certificate's key type for errors.
func keyKind(ec *engine.Certificate) string {
	switch {
	case sig.IsRSA(ec.Signer.Public()):
		return "RSA"
	default:
		if _, ok := sig.CurveGroup(ec.Signer.Public()); ok {
			return "ECDSA"
		}
		return fmt.Sprintf("%T", ec.Signer.Public())
	}
}

// Context returns the context of the handshake, as ClientHelloInfo's.
func (c *CertificateRequestInfo) Context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// SupportsCertificate returns nil if cert fits the server's request: its
// key can sign with one of the schemes the server accepts (in Version's
// rules) and, when the server named certificate authorities, its chain
// comes from one of them.
func (c *CertificateRequestInfo) SupportsCertificate(cert *Certificate) error {
	if cert == nil {
		return errors.New("hasp: nil Certificate")
	}
	ec, err := cert.engineCert()
	if err != nil {
		return err
	}
	schemes := make([]uint16, len(c.SignatureSchemes))
	for i, s := range c.SignatureSchemes {
		schemes[i] = uint16(s)
	}
	pick := engine.Pick13
	if c.Version != 0 && c.Version <= VersionTLS12 {
		pick = engine.Pick12
	}
	if _, err := pick(ec, schemes); err != nil {
		return fmt.Errorf("hasp: the server accepts no signature scheme a %s key makes", keyKind(ec))
	}
	if len(c.AcceptableCAs) > 0 && !issuedBy(*cert, c.AcceptableCAs) {
		return errors.New("hasp: the certificate is not from a CA the server named")
	}
	return nil
}

// BuildNameToCertificate fills NameToCertificate from the leaves of
// Certificates: each DNS name, or the common name of a leaf with none.
//
// Deprecated: leave NameToCertificate nil; Certificates is searched for
// the certificate that fits each client.
func (c *Config) BuildNameToCertificate() {
	c.NameToCertificate = make(map[string]*Certificate)
	for i := range c.Certificates {
		cert := &c.Certificates[i]
		leaf := cert.Leaf
		if leaf == nil && len(cert.Certificate) > 0 {
			var err error
			if leaf, err = parseLeaf(cert.Certificate[0]); err != nil {
				continue
			}
		}
		if leaf == nil {
			continue
		}
		if leaf.Subject.CommonName != "" && len(leaf.DNSNames) == 0 {
			c.NameToCertificate[leaf.Subject.CommonName] = cert
		}
		for _, name := range leaf.DNSNames {
			c.NameToCertificate[name] = cert
		}
	}
}

// nameToCertificate looks the server name up in NameToCertificate: the
// name itself, then the wildcard of its parent. As in crypto/tls, a
// Config with a single certificate always uses that one.
func (c *Config) nameToCertificate(name string) *Certificate {
	if c.NameToCertificate == nil || len(c.Certificates) == 1 || name == "" {
		return nil
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if cert, ok := c.NameToCertificate[name]; ok {
		return cert
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if cert, ok := c.NameToCertificate["*"+name[i:]]; ok {
			return cert
		}
	}
	return nil
}

// parseLeaf parses a leaf certificate.
func parseLeaf(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }
