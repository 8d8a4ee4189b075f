package hasp

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"sync/atomic"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/keysched"
	"github.com/hasp-tls/hasp/internal/wire"
	"github.com/hasp-tls/hasp/trust"
)

// handshaker is the layer between a transport and the engine that every
// transport shares: it translates the Config for the engine, picks
// certificates, verifies and trusts the peer, keeps the session cache,
// holds the published state and builds ConnectionState and exporters.
// Conn (TLS over a stream) and QUICConn drive an engine through it; a
// datagram transport will too. It knows no socket: the peer's address, when
// there is one, is a net.Addr of any kind.
type handshaker struct {
	config *Config
	// tune sets the engine options only its transport has (QUIC
	// transport parameters); see variant.
	tune func(*engine.Config)
	// remote is the peer's address, for the session cache key and the
	// trust input (nil when unknown).
	remote net.Addr

	eng           engine.Engine
	st            atomic.Pointer[engine.State] // a snapshot, replaced after each engine call
	scratch       *engine.State                // the snapshot's buffer during the handshake
	handshakeDone atomic.Bool
	isClient      bool
	// variant says which transport drives the engine.
	variant   engine.Variant
	verifyErr atomic.Value // *CertificateVerificationError
	// verdict is the trust decision on the peer, with Config.Trust.
	verdict atomic.Pointer[trust.Verdict]
	// session is the cached session a client offered.
	session *ClientSessionState
	// hello is what the client offered (server side).
	hello atomic.Pointer[ClientHelloInfo]
	// compatState: what crypto/tls's API needs (compat_handshake.go).
	compatState
}

// hostPort splits an address of any kind into host and port ("" when
// there is none).
func hostPort(a net.Addr) (host, port string) {
	if a == nil {
		return "", ""
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return h, p
}

func (c *handshaker) newEngine() (engine.Engine, error) {
	ec, err := c.engineConfig()
	if err != nil {
		return nil, err
	}
	if c.isClient {
		return engine.NewClient(ec), nil
	}
	return c.wrapServer(engine.NewServer(ec)), nil
}

// engineConfig translates the Config for the engine, for this transport.
func (c *handshaker) engineConfig() (*engine.Config, error) {
	cfg := c.config
	if cfg == nil {
		return nil, errors.New("hasp: nil Config")
	}
	if err := cfg.init(); err != nil {
		return nil, err
	}
	groups := cfg.groups()
	ec := &engine.Config{
		Rand:           cfg.rand(),
		Now:            cfg.Time,
		ServerName:     cfg.ServerName,
		NextProtos:     cfg.NextProtos,
		CipherSuites:   cfg.suites(),
		CipherSuites12: cfg.suites12(),
		OfferedSuites:  cfg.offered,
		MinVersion:     cfg.MinVersion,
		MaxVersion:     cfg.MaxVersion,
		RequireEMS:     cfg.RequireExtendedMasterSecret,
		PreferChaCha:   !hasAESHardware,
		Groups:         groups,
		SigSchemes:     cfg.sigSchemes(),
		NoCompatMode:   cfg.DisableCompatibilityMode,
		VerifyPeer:     c.verifyPeer,
	}
	if cfg.KeyLogWriter != nil {
		ec.KeyLog = cfg.writeKeyLog
	}
	ec.Variant = c.variant
	if cfg.pskOnly() && c.variant == engine.TLS {
		// Pre-shared keys exist in TLS 1.2 only here (TLS 1.3's external
		// PSKs are another mechanism).
		ec.MaxVersion = VersionTLS12
	}
	if p := cfg.PSK; p != nil {
		if c.isClient {
			ec.PSKFor = func(hint []byte) ([]byte, []byte, error) {
				if p.ClientKey != nil {
					return p.ClientKey(hint)
				}
				return p.Identity, p.Key, nil
			}
		} else {
			ec.PSKHint, ec.PSKKey = p.Hint, p.ServerKey
		}
	}
	if c.isClient {
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify && !cfg.pskOnly() {
			return nil, errors.New("hasp: either ServerName or InsecureSkipVerify must be set in the Config")
		}
		ec.KeyShares = cfg.keyShares(groups)
		ec.GetClientCertificate = c.clientCertificate
		ec.PostHandshakeAuth = cfg.PostHandshakeAuth
		if !cfg.SessionTicketsDisabled && cfg.ClientSessionCache != nil {
			// Only the first engine offers a session: one rebuilt for a
			// connected Conn (Conn.thawLocked) is past its hellos.
			if c.eng == nil {
				if cs := c.resumableSession(); cs != nil {
					c.session = cs
					ec.Session = cs.ticket
					if c.onOffer != nil {
						c.onOffer(cs)
					}
				}
			}
			ec.OnTicket = c.storeTicket
			ec.PSKWithoutDHE = cfg.ResumptionWithoutDHE
		}
	} else {
		if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil && !cfg.pskOnly() {
			return nil, errors.New("hasp: a server needs Certificates, GetCertificate or GetConfigForClient")
		}
		ec.GetCertificate = c.serverCertificate
		if cfg.ClientAuth != NoClientCert {
			ec.RequestClientCert = true
			ec.RequireClientCert = cfg.ClientAuth == RequireAnyClientCert || cfg.ClientAuth == RequireAndVerifyClientCert
			if cfg.ClientCAs != nil {
				//lint:ignore SA1019 Subjects lists the DNs of the pool's certificates, which is what certificate_authorities carries.
				ec.ClientCAs = cfg.ClientCAs.Subjects() //nolint:staticcheck
			}
		}
		if !cfg.SessionTicketsDisabled {
			ec.Tickets = cfg.TicketCount
			if ec.Tickets == 0 {
				ec.Tickets = 2
			}
			ec.TicketLifetime = cfg.TicketLifetime
			// Tickets go with the server's flight unless a check at the
			// client's Finished could still refuse the connection: a
			// ticket sent before it would resume past it.
			ec.TicketsInFlight = !cfg.checksAtClientFinished()
			ec.SealTicket = c.sealSession
			ec.OpenTicket = c.openSession
			ec.PSKWithoutDHE = cfg.ResumptionWithoutDHE
		}
		switch {
		case cfg.SessionIDStore != nil && cfg.MinVersion <= VersionTLS12:
			ec.LoadSession, ec.StoreSession = cfg.SessionIDStore.Get, cfg.SessionIDStore.Put
		case cfg.SessionIDCacheSize >= 0 && cfg.MinVersion <= VersionTLS12:
			sc := cfg.sessionCache()
			ec.LoadSession, ec.StoreSession = sc.load, sc.store
		}
	}
	if c.tune != nil {
		// The transport's own settings (QUIC's parameters, ...).
		c.tune(ec)
	}
	return ec, nil
}

// alertError is the error a failed handshake returns for alert a: with
// the chain's verification failure inside when that was the cause.
func (c *handshaker) alertError(a wire.Alert, reason string) *AlertError {
	ae := &AlertError{Alert: a, Reason: reason}
	if ve, ok := c.verifyErr.Load().(*CertificateVerificationError); ok && ve != nil {
		ae.Err = ve
	} else if c.hookErr != nil {
		ae.Err = c.hookErr
	}
	return ae
}

// state is the latest snapshot of what the engine negotiated (nil before
// the handshake starts); see publish for who may read it when.
func (c *handshaker) state() *engine.State { return c.st.Load() }

// publish takes a new snapshot from the engine; call it after each engine
// call, from the goroutine that made it. Until the handshake is done the
// snapshot lives in one buffer of the handshaker's, rewritten in place:
// only the goroutine running the handshake reads it then (Conn holds
// handshakeMu, a QUICConn has one caller), and a handshake makes no
// garbage for it. From the first publication after the handshake on,
// each snapshot is a new value that is never written again, so any
// goroutine may hold it.
func (c *handshaker) publish() {
	if !c.handshakeDone.Load() {
		if c.scratch == nil {
			c.scratch = new(engine.State)
		}
		*c.scratch = c.eng.State()
		c.st.Store(c.scratch)
		return
	}
	c.scratch = nil // a connected handshaker keeps only its last snapshot
	s := c.eng.State()
	// PeerCertificates hold the same bytes; an engine thawed from this
	// snapshot makes the chain again when a ticket needs it.
	s.PeerChain = nil
	c.st.Store(&s)
}

// publishFinal publishes the snapshot of a handshake that has just
// ended, before handshakeDone says so: the scratch buffer, still read by
// this goroutine alone, becomes that snapshot and is never written again
// (publish allocates the later ones), so a connection keeps one snapshot,
// not two.
func (c *handshaker) publishFinal() {
	if c.scratch == nil {
		c.scratch = new(engine.State)
	}
	*c.scratch = c.eng.State()
	// PeerCertificates hold the same bytes; an engine thawed from this
	// snapshot makes the chain again when a ticket needs it.
	c.scratch.PeerChain = nil
	c.st.Store(c.scratch)
	c.scratch = nil
}

// connectionStateOf builds the ConnectionState of a snapshot.
func (c *handshaker) connectionStateOf(st *engine.State) ConnectionState {
	var cs ConnectionState
	if st == nil {
		return cs
	}
	cs.HandshakeComplete = c.handshakeDone.Load()
	cs.Version = st.Version
	if st.Suite != nil {
		cs.CipherSuite = st.Suite.ID
	}
	cs.CurveID = CurveID(st.Group)
	cs.NegotiatedProtocol = st.ALPN
	cs.NegotiatedProtocolIsMutual = true
	cs.ServerName = st.ServerName
	cs.PeerCertificates = st.PeerCertificates
	cs.VerifiedChains = st.VerifiedChains
	cs.SignedCertificateTimestamps = st.SCTs
	cs.OCSPResponse = st.OCSP
	cs.HelloRetryRequest = st.HelloRetry
	cs.DidResume = st.Resumed
	cs.Verdict = c.verdict.Load()
	cs.ClientHello = c.hello.Load()
	cs.SignatureScheme = SignatureScheme(st.SignatureScheme)
	cs.PSKIdentity = slices.Clone(st.X().PSKIdentity)
	if cs.HandshakeComplete && is12(st.Version) {
		cs.TLSUnique = slices.Clone(st.X().TLSUnique12)
	}
	if cs.HandshakeComplete && is12(st.Version) && st.X().MasterSecret12 != nil {
		x := st.X()
		h, master, cr, sr, ems := st.Suite.Hash, x.MasterSecret12, x.ClientRandom, x.ServerRandom, st.EMS
		cs.exporter = func(label string, context []byte, length int) ([]byte, error) {
			if !ems {
				return nil, errors.New("hasp: exporters need the extended master secret in TLS 1.2")
			}
			return keysched.Export12(h, master, cr[:], sr[:], label, context, length), nil
		}
	}
	if cs.HandshakeComplete && st.ExporterSecret != nil {
		h, secret := st.Suite.Hash, st.ExporterSecret
		cs.exporter = func(label string, context []byte, length int) ([]byte, error) {
			if length < 0 || length > 255*h.Size() {
				return nil, errors.New("hasp: exporter length out of range")
			}
			return keysched.Export(h, secret, label, context, length), nil
		}
	}
	return cs
}

// clientCertificate picks the client's certificate for a
// CertificateRequest.
func (c *handshaker) clientCertificate(info *engine.CertRequestInfo) (*engine.Certificate, error) {
	cfg := c.config
	if cfg.GetClientCertificate != nil {
		ri := &CertificateRequestInfo{AcceptableCAs: info.AcceptableCAs, Version: VersionTLS13, ctx: c.ctx}
		if info.TLS12 {
			ri.Version = VersionTLS12
		}
		for _, s := range info.SignatureSchemes {
			ri.SignatureSchemes = append(ri.SignatureSchemes, SignatureScheme(s))
		}
		cert, err := cfg.GetClientCertificate(ri)
		if err != nil || cert == nil || len(cert.Certificate) == 0 {
			return nil, err
		}
		return cert.engineCert()
	}
	return chooseClientCertificate(cfg.certs, cfg.Certificates, info), nil
}

// serverCertificate picks the server's certificate for a ClientHello.
func (c *handshaker) serverCertificate(h *engine.HelloInfo) (*engine.Certificate, error) {
	cfg := c.config
	info := c.clientHelloInfo(h)
	c.hello.Store(info)
	if cfg.GetCertificate != nil {
		cert, err := cfg.GetCertificate(info)
		if err != nil {
			var ae *AlertError
			if errors.As(err, &ae) {
				return nil, hookError(err)
			}
			return nil, err
		}
		if cert != nil {
			return cert.engineCert()
		}
	}
	if cert := cfg.nameToCertificate(h.ServerName); cert != nil {
		return cert.engineCert()
	}
	return pickCertificate(cfg.certs, cfg.Certificates, h), nil
}

// verifyPeer checks the peer's chain as the Config asks, then runs the
// VerifyPeerCertificate and VerifyConnection hooks, and returns the
// verified chains for the engine to record. st is the engine's snapshot
// with the candidate chain; the hooks see it, not the published state.
func (c *handshaker) verifyPeer(st engine.State) ([][]*x509.Certificate, error) {
	err := c.verifyPeerState(&st)
	return st.VerifiedChains, err
}

func (c *handshaker) verifyPeerState(st *engine.State) error {
	cfg := c.config
	if st.Resumed && !st.PostHandshakeAuthInProgress {
		// The PSK authenticates the peer; its chain was checked when the
		// session was made (and, on the client, its validity and name
		// before the session was offered). Only VerifyConnection runs.
		if c.isClient && c.session != nil {
			// A copy: the cached session is shared with other
			// connections and their published states.
			st.VerifiedChains = slices.Clone(c.session.verifiedChains)
			if cfg.Trust != nil {
				// The session was trusted again before it was offered.
				if err := c.trustPeer(st); err != nil {
					return err
				}
			}
		}
		if cfg.VerifyConnection != nil {
			if err := cfg.VerifyConnection(c.connectionStateOf(st)); err != nil {
				return c.hookFailed(err)
			}
		}
		return nil
	}
	certs := st.PeerCertificates
	if cfg.Trust != nil && len(certs) > 0 {
		if err := c.trustPeer(st); err != nil {
			return err
		}
		return c.verifyHooks(st)
	}
	// A server verifies client chains when ClientAuth says so, and in a
	// post-handshake authentication whenever it has ClientCAs.
	verify := c.isClient && !cfg.InsecureSkipVerify ||
		!c.isClient && (cfg.ClientAuth == VerifyClientCertIfGiven || cfg.ClientAuth == RequireAndVerifyClientCert ||
			st.PostHandshakeAuthInProgress && cfg.ClientCAs != nil)
	if verify && len(certs) > 0 {
		now := cfg.now()
		name := ""
		if c.isClient {
			name = cfg.ServerName
		}
		roots := cfg.RootCAs
		if !c.isClient {
			roots = cfg.ClientCAs
		}
		key := verifyKey(certs, name, c.isClient, roots)
		if chains, ok := verified.get(key, now); ok {
			// A copy: the cached chains are the whole process's, and
			// hooks and ConnectionState hand them to callers.
			st.VerifiedChains = cloneChains(chains)
			return c.verifyHooks(st)
		}
		opts := x509.VerifyOptions{
			CurrentTime:   cfg.now(),
			Intermediates: x509.NewCertPool(),
		}
		for _, ic := range certs[1:] {
			opts.Intermediates.AddCert(ic)
		}
		if c.isClient {
			opts.Roots = cfg.RootCAs
			opts.DNSName = cfg.ServerName
			opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		} else {
			opts.Roots = cfg.ClientCAs
			opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		chainVerifications.Add(1)
		chains, err := certs[0].Verify(opts)
		if err != nil {
			ve := &CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
			c.verifyErr.Store(ve)
			return &wire.Error{Alert: alertForVerify(err), Reason: ve.Error()}
		}
		verified.put(key, chains, now)
		st.VerifiedChains = chains
	}
	return c.verifyHooks(st)
}

// checksAtClientFinished reports whether a server with this Config may
// still refuse a connection when the client's Finished arrives, though it
// asked for no certificate: verifyPeerState runs Trust and verifyHooks
// then. Keep it in step with them.
func (cfg *Config) checksAtClientFinished() bool {
	return cfg.Trust != nil || cfg.VerifyPeerCertificate != nil || cfg.VerifyConnection != nil
}

// verifyHooks runs VerifyPeerCertificate and VerifyConnection.
func (c *handshaker) verifyHooks(st *engine.State) error {
	cfg := c.config
	if cfg.VerifyPeerCertificate != nil {
		if err := cfg.VerifyPeerCertificate(st.PeerChain, st.VerifiedChains); err != nil {
			return c.hookFailed(err)
		}
	}
	if cfg.VerifyConnection != nil {
		if err := cfg.VerifyConnection(c.connectionStateOf(st)); err != nil {
			return c.hookFailed(err)
		}
	}
	return nil
}

// hookError is the alert for an error from VerifyPeerCertificate or
// VerifyConnection: bad_certificate, unless the hook returned an
// *AlertError naming another.
func hookError(err error) *wire.Error {
	var ae *AlertError
	if errors.As(err, &ae) && !ae.Remote && ae.Alert != 0 {
		reason := ae.Reason
		if reason == "" {
			reason = "refused by the application"
		}
		return &wire.Error{Alert: ae.Alert, Reason: reason}
	}
	return &wire.Error{Alert: wire.AlertBadCertificate, Reason: err.Error()}
}

// sessionKey names the server for the session cache: the name asked for
// (or the address) and the port.
func (c *handshaker) sessionKey() string {
	name := c.config.ServerName
	host, port := hostPort(c.remote)
	if name == "" {
		name = host
	}
	return net.JoinHostPort(name, port)
}

// resumableSession returns the cached session to offer, if it may be
// used: within its lifetime, the server certificate still valid and (when
// verifying) still valid for the name asked for. Sessions never outlive
// the certificate that authenticated them.
func (c *handshaker) resumableSession() *ClientSessionState {
	cfg := c.config
	if cfg.ClientSessionCache == nil {
		return nil
	}
	key := c.sessionKey()
	now := cfg.now()
	var cs *ClientSessionState
	var ok bool
	if cc, clocked := cfg.ClientSessionCache.(clockedSessionCache); clocked {
		cs, ok = cc.getAt(key, now)
	} else {
		cs, ok = cfg.ClientSessionCache.Get(key)
	}
	if !ok || cs == nil || cs.ticket == nil {
		return nil
	}
	if !now.Before(cs.Expires()) || len(cs.peerCerts) == 0 && cfg.PSK == nil {
		cfg.ClientSessionCache.Put(key, nil)
		return nil
	}
	if len(cs.peerCerts) == 0 {
		// A session a pre-shared key authenticated (hasp takes no
		// anonymous one): the key vouches for it again.
		return cs
	}
	if cfg.Trust != nil {
		// Ask again: exceptions end, known hosts change, pins move.
		in := trust.Input{Chain: cs.peerCerts, Host: cfg.ServerName, Time: now}
		_, in.Port = hostPort(c.remote)
		if v := cfg.Trust.Verify(context.Background(), in); !v.Trusted || cs.ticket.ServerName != cfg.ServerName {
			cfg.ClientSessionCache.Put(key, nil)
			return nil
		}
		return cs
	}
	if !cfg.InsecureSkipVerify {
		if cs.ticket.ServerName != cfg.ServerName || cs.peerCerts[0].VerifyHostname(cfg.ServerName) != nil {
			return nil
		}
		if cs.verifiedChains == nil {
			// Loaded from storage: verify the chain again.
			opts := x509.VerifyOptions{Roots: cfg.RootCAs, CurrentTime: now, DNSName: cfg.ServerName,
				Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			for _, ic := range cs.peerCerts[1:] {
				opts.Intermediates.AddCert(ic)
			}
			chains, err := cs.peerCerts[0].Verify(opts)
			if err != nil {
				cfg.ClientSessionCache.Put(key, nil)
				return nil
			}
			// The cached entry is shared: give this connection its own
			// copy with the chains rather than writing into it.
			cp := *cs
			cp.verifiedChains = chains
			cs = &cp
		}
	}
	return cs
}

// storeTicket puts a ticket the server sent into the cache.
func (c *handshaker) storeTicket(t *engine.Ticket) {
	cfg := c.config
	// Called from inside the engine call: ask the engine for its state
	// now (a TLS 1.2 ticket arrives before the handshake's last message,
	// later than the last published snapshot).
	st := c.eng.State()
	if cfg.ClientSessionCache == nil || len(st.PeerCertificates) == 0 && st.X().PSKIdentity == nil {
		return
	}
	cp := *t
	cs := &ClientSessionState{ticket: &cp, peerCerts: st.PeerCertificates, verifiedChains: st.VerifiedChains}
	if v := c.verdict.Load(); v != nil && v.ViaException {
		// Trust came from an exception: the session ends with it.
		cs.until = v.Until
	}
	if c.onStore != nil {
		c.onStore(cs)
		return
	}
	cfg.ClientSessionCache.Put(c.sessionKey(), cs)
}

// trustPeer asks Config.Trust about the peer's chain. An untrusted
// verdict is refused with the alert that names its main failure, and the
// error carries the Verdict (*trust.Error).
func (c *handshaker) trustPeer(st *engine.State) error {
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
		var host string
		host, in.Port = hostPort(c.remote)
		if in.Host == "" {
			in.Host = host
		}
	} else {
		in.Usage = trust.ClientAuth
	}
	v := cfg.Trust.Verify(context.Background(), in)
	c.verdict.Store(v)
	if v.Trusted {
		if len(v.Chain) > 0 {
			st.VerifiedChains = [][]*x509.Certificate{v.Chain}
		}
		return nil
	}
	te := &trust.Error{Verdict: v}
	c.verifyErr.Store(&CertificateVerificationError{UnverifiedCertificates: st.PeerCertificates, Err: te})
	return &wire.Error{Alert: alertForVerdict(v), Reason: te.Error()}
}

// cloneChains copies chains and each chain (not the certificates).
func cloneChains(chains [][]*x509.Certificate) [][]*x509.Certificate {
	out := make([][]*x509.Certificate, len(chains))
	for i, ch := range chains {
		out[i] = slices.Clone(ch)
	}
	return out
}
