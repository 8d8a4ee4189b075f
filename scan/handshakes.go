package scan

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/trust"
)

// Full handshakes, with hasp itself: what only a finished handshake
// shows (TLS 1.3 certificates, ALPN, session resumption, the HTTP
// answer).

type handshakes struct {
	certs     []Certificate
	alpn      []string
	schemes13 []string
	sessions  Sessions
	http      *HTTPInfo
	findings  []Finding
}

// handshake connects with hasp under cfg (verification off: package
// trust judges the chain afterwards).
func (s *Scanner) handshake(ctx context.Context, cfg *hasp.Config) (*hasp.Conn, error) {
	raw, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.ServerName == noSNI {
		cfg.ServerName = ""
	} else {
		cfg.ServerName = s.sni
	}
	cfg.InsecureSkipVerify = true
	c := hasp.Client(raw, cfg)
	hctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	if err := c.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// noSNI asks handshake for a hello without server_name.
const noSNI = "\x00no-sni"

type seenChain struct {
	chain []*x509.Certificate
	ocsp  []byte
	scts  [][]byte
	seen  []string
}

func (s *Scanner) fullHandshakes(ctx context.Context, st *state) handshakes {
	var out handshakes
	var mu sync.Mutex
	chains := map[[32]byte]*seenChain{}
	var order [][32]byte
	addChain := func(how string, certs []*x509.Certificate, ocsp []byte, scts [][]byte) {
		if len(certs) == 0 {
			return
		}
		key := sha256.Sum256(certs[0].Raw)
		mu.Lock()
		defer mu.Unlock()
		c, ok := chains[key]
		if !ok {
			c = &seenChain{chain: certs}
			chains[key] = c
			order = append(order, key)
		}
		if len(ocsp) > 0 {
			c.ocsp = ocsp
		}
		if len(scts) > 0 {
			c.scts = scts
		}
		if !slices.Contains(c.seen, how) {
			c.seen = append(c.seen, how)
		}
	}

	type variant struct {
		name string
		cfg  func() *hasp.Config
	}
	var variants []variant
	if st.supported[0x0304] {
		variants = append(variants,
			variant{"TLS 1.3, ECDSA", func() *hasp.Config {
				return &hasp.Config{MinVersion: hasp.VersionTLS13, SignatureSchemes: []hasp.SignatureScheme{0x0403, 0x0503, 0x0603, 0x0807}}
			}},
			variant{"TLS 1.3, RSA", func() *hasp.Config {
				return &hasp.Config{MinVersion: hasp.VersionTLS13, SignatureSchemes: []hasp.SignatureScheme{0x0804, 0x0805, 0x0806}}
			}})
	}
	if st.supported[0x0303] {
		variants = append(variants,
			variant{"TLS 1.2, ECDSA", func() *hasp.Config {
				return &hasp.Config{MaxVersion: hasp.VersionTLS12, CipherSuites: []uint16{0xc02b, 0xc02c, 0xcca9}}
			}},
			variant{"TLS 1.2, RSA", func() *hasp.Config {
				return &hasp.Config{MaxVersion: hasp.VersionTLS12, CipherSuites: []uint16{0xc02f, 0xc030, 0xcca8}}
			}})
	}
	if s.sni != "" && (st.supported[0x0304] || st.supported[0x0303]) {
		// The certificate a client that sends no name gets.
		variants = append(variants, variant{"no SNI", func() *hasp.Config { return &hasp.Config{ServerName: noSNI} }})
	}
	var fns []func()
	for _, v := range variants {
		fns = append(fns, func() {
			c, err := s.handshake(ctx, v.cfg())
			if err != nil {
				return
			}
			defer c.Close()
			cs := c.ConnectionState()
			addChain(v.name, cs.PeerCertificates, cs.OCSPResponse, cs.SignedCertificateTimestamps)
		})
	}
	// ALPN: what the server picks from a browser's list, then each
	// protocol alone.
	var hasp13 = st.supported[0x0304] || st.supported[0x0303]
	if hasp13 {
		var alpnMu sync.Mutex
		for _, p := range []string{"h2", "http/1.1", "h3", "spdy/3.1", "acme-tls/1", "smtp", "imap", "xmpp-client", "postgresql", "ldap", "ftp"} {
			fns = append(fns, func() {
				c, err := s.handshake(ctx, &hasp.Config{NextProtos: []string{p}})
				if err != nil {
					return
				}
				defer c.Close()
				if c.ConnectionState().NegotiatedProtocol == p {
					alpnMu.Lock()
					out.alpn = append(out.alpn, p)
					alpnMu.Unlock()
				}
			})
		}
	}
	// TLS 1.3 signature schemes, each alone.
	if st.supported[0x0304] {
		var schMu sync.Mutex
		// The schemes hasp can verify (RSA-PSS with a PSS key, ed448 and
		// brainpool are not among them).
		for _, id := range []hasp.SignatureScheme{0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807} {
			fns = append(fns, func() {
				c, err := s.handshake(ctx, &hasp.Config{MinVersion: hasp.VersionTLS13, SignatureSchemes: []hasp.SignatureScheme{id}})
				if err != nil {
					return
				}
				c.Close()
				schMu.Lock()
				out.schemes13 = append(out.schemes13, schemeName(uint16(id)))
				schMu.Unlock()
			})
		}
	}
	// Sessions.
	if st.supported[0x0304] {
		fns = append(fns, func() { out.sessions.TLS13PSK, out.sessions.TicketHint = s.resumes(ctx, hasp.VersionTLS13) })
	} else {
		out.sessions.TLS13PSK = "n/a (no TLS 1.3)"
	}
	if st.supported[0x0303] {
		fns = append(fns, func() {
			var life string
			out.sessions.TLS12Ticket, life = s.resumes(ctx, hasp.VersionTLS12)
			if !st.supported[0x0304] {
				out.sessions.TicketHint = life
			}
		})
	} else {
		out.sessions.TLS12Ticket = "n/a (no TLS 1.2)"
	}
	// HSTS.
	if s.opts.StartTLS == "" && !s.opts.NoHTTP && hasp13 {
		fns = append(fns, func() { out.http = s.httpGet(ctx) })
	}
	s.parallel(fns...)
	slices.Sort(out.alpn)
	if out.sessions.EarlyData == "" {
		out.sessions.EarlyData = "not tested (hasp does not send 0-RTT)"
	}

	// Chains that only probes saw (TLS 1.2 and older send them in the
	// clear): servers hasp cannot finish a handshake with.
	for _, v := range []uint16{0x0303, 0x0302, 0x0301, 0x0300} {
		f := st.first[v]
		if !st.supported[v] || len(f.certs) == 0 {
			continue
		}
		var certs []*x509.Certificate
		for _, der := range f.certs {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				break
			}
			certs = append(certs, c)
		}
		addChain(versionName(v)+" probe", certs, nil, nil)
	}
	if st.first[0x0303].hello != nil && len(st.first[0x0303].hello.sessionID) > 0 {
		out.sessions.TLS12ID = "the server assigns session IDs (resumption by ID not attempted)"
	} else if st.supported[0x0303] {
		out.sessions.TLS12ID = "no session ID assigned"
	}
	for _, key := range order {
		out.certs = append(out.certs, s.certificate(chains[key]))
	}
	return out
}

// resumes connects twice with a session cache and says whether the
// second connection resumed.
func (s *Scanner) resumes(ctx context.Context, v uint16) (resumed, lifetime string) {
	cache := &notingCache{ClientSessionCache: hasp.NewLRUClientSessionCache(4)}
	cfg := &hasp.Config{MinVersion: v, MaxVersion: v, ClientSessionCache: cache}
	c, err := s.handshake(ctx, cfg.Clone())
	if err != nil {
		return "handshake failed: " + err.Error(), ""
	}
	if v == hasp.VersionTLS13 {
		// Tickets come after the handshake: read in short steps until
		// one is in (or a second has passed).
		for end := time.Now().Add(min(s.opts.Timeout, time.Second)); !cache.got.Load() && time.Now().Before(end); {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := c.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
				break
			}
		}
	}
	c.Close()
	if !cache.got.Load() {
		return "no (no session hasp would resume: none issued, or one without extended master secret)", ""
	}
	// The ticket's lifetime (or the certificate's end, if sooner).
	lifetime = time.Duration(cache.lifetime.Load()).Round(time.Minute).String()
	c2, err := s.handshake(ctx, cfg.Clone())
	if err != nil {
		return "second handshake failed: " + err.Error(), lifetime
	}
	defer c2.Close()
	if c2.ConnectionState().DidResume {
		return "yes", lifetime
	}
	return "no", lifetime
}

// notingCache notes that a session was stored.
type notingCache struct {
	hasp.ClientSessionCache
	got      atomic.Bool
	lifetime atomic.Int64 // of the last session, from its arrival
}

func (c *notingCache) Put(key string, cs *hasp.ClientSessionState) {
	if cs != nil {
		c.lifetime.Store(int64(time.Until(cs.Expires())))
		c.got.Store(true)
	}
	c.ClientSessionCache.Put(key, cs)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *Scanner) httpGet(ctx context.Context) *HTTPInfo {
	c, err := s.handshake(ctx, &hasp.Config{NextProtos: []string{"http/1.1"}})
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(s.opts.Timeout))
	host := s.sni
	if host == "" {
		host = s.host
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: hasp-scan\r\nAccept: */*\r\nConnection: close\r\n\r\n", host)
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(c, 64<<10)), nil)
	if err != nil {
		return &HTTPInfo{Status: "no HTTP answer: " + err.Error()}
	}
	resp.Body.Close()
	return &HTTPInfo{Status: resp.Status, HSTS: resp.Header.Get("Strict-Transport-Security"), Server: resp.Header.Get("Server")}
}

func keyType(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// keyBits is a key's strength in RSA-equivalent bits (for the key
// exchange score: ECDSA P-256 counts as RSA 3072, per NIST SP 800-57).
func keyBits(c *x509.Certificate) int {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 256:
			return 3072
		case 384:
			return 7680
		case 521:
			return 15360
		}
		return 1024
	case ed25519.PublicKey:
		return 3072
	}
	return 0
}

func (s *Scanner) certificate(sc *seenChain) Certificate {
	leaf := sc.chain[0]
	now := s.opts.Now
	c := Certificate{
		KeyType: keyType(leaf), Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
		Names: leaf.DNSNames, NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(),
		DaysLeft: int(leaf.NotAfter.Sub(now).Hours() / 24), Signature: leaf.SignatureAlgorithm.String(),
		SPKI: trust.SPKIHash(leaf), Seen: sc.seen, OCSPStapled: len(sc.ocsp) > 0, SCTs: len(sc.scts),
	}
	for _, ip := range leaf.IPAddresses {
		c.Names = append(c.Names, ip.String())
	}
	for _, x := range sc.chain {
		c.Chain = append(c.Chain, x.Subject.String())
	}
	host := s.sni
	if host == "" {
		host = s.host
	}
	vf := &trust.Verifier{Roots: s.opts.Roots, Policy: trust.Browser, ExpiryWarning: 30 * 24 * time.Hour}
	c.Verdict = vf.Verify(context.Background(), trust.Input{Chain: sc.chain, Host: host, Time: now, OCSP: sc.ocsp, SCTs: sc.scts})
	c.ChainProblem = chainProblem(sc.chain, c.Verdict)
	return c
}

// chainProblem says what is wrong with the chain as sent: the issuer's
// certificate missing, certificates that are not on the path, or the
// root sent along (harmless, but bytes for nothing).
func chainProblem(sent []*x509.Certificate, v *trust.Verdict) string {
	leaf := sent[0]
	var out []string
	if ch, _ := v.Check(trust.CheckChain); ch.Outcome == trust.Fail && !isSelfSigned(leaf) {
		found := false
		for _, c := range sent[1:] {
			if c.CheckSignatureFrom(leaf) != nil && leaf.CheckSignatureFrom(c) == nil {
				found = true
			}
		}
		if !found {
			out = append(out, "the server does not send the certificate of its issuer ("+leaf.Issuer.CommonName+")")
		}
	}
	if v.Chain != nil {
		onPath := map[string]bool{}
		for _, c := range v.Chain {
			onPath[string(c.Raw)] = true
		}
		var extra []string
		for _, c := range sent[1:] {
			if !onPath[string(c.Raw)] {
				extra = append(extra, c.Subject.CommonName)
			}
		}
		if len(extra) > 0 {
			out = append(out, "sends certificates that are not on the path: "+strings.Join(extra, ", "))
		}
		if root := v.Chain[len(v.Chain)-1]; len(sent) > 1 && string(sent[len(sent)-1].Raw) == string(root.Raw) {
			out = append(out, "sends the root ("+root.Subject.CommonName+"), which clients have already")
		}
	}
	return strings.Join(out, "; ")
}

func isSelfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignatureFrom(c) == nil
}
