// Package acme keeps a hasp server's certificates valid without a person:
// it orders them from an ACME CA (RFC 8555) on golang.org/x/crypto/acme,
// proves control of each name with HTTP-01 or TLS-ALPN-01 (RFC 8737,
// answered by hasp's own handshake), renews at two thirds of the
// lifetime with jittered backoff, never drops a certificate in use while
// renewal fails, and staples OCSP responses.
//
// A Manager serves hasp.Config.GetCertificate and an http.Handler for the
// HTTP-01 port; Run keeps everything fresh.
package acme

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	xacme "golang.org/x/crypto/acme"
	"golang.org/x/crypto/ocsp"

	"github.com/hasp-tls/hasp"
)

// LetsEncrypt is Let's Encrypt's production directory.
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// ALPNProto is the ALPN protocol of TLS-ALPN-01 (RFC 8737 section 6.2).
const ALPNProto = "acme-tls/1"

// Challenge types.
const (
	TLSALPN01 = "tls-alpn-01"
	HTTP01    = "http-01"
)

// Manager orders, stores, renews and serves certificates.
type Manager struct {
	// DirectoryURL of the CA (LetsEncrypt when empty).
	DirectoryURL string
	// Email for the account (optional).
	Email string
	// Domains are the names to keep certificates for, and the only ones
	// issued on demand.
	Domains []string
	// Store keeps the account and certificates (required).
	Store Store
	// HTTPClient talks to the CA and OCSP responders (http.DefaultClient
	// when nil).
	HTTPClient *http.Client
	// Challenges to use, in order of preference (TLS-ALPN-01, then
	// HTTP-01, when empty). HTTP-01 needs HTTPHandler on port 80;
	// TLS-ALPN-01 needs GetCertificate and ALPNProto in NextProtos on
	// port 443 (TLSConfig does both).
	Challenges []string
	// Now is the clock (time.Now when nil); renewal follows it.
	Now func() time.Time
	// RetryBase is the first wait after a failed order (1 minute when
	// zero); it doubles up to an hour, with jitter.
	RetryBase time.Duration
	// Logf logs (log.Printf when nil).
	Logf func(format string, args ...any)

	mu      sync.Mutex
	certs   map[string]*entry
	client  *xacme.Client
	tokens  sync.Map // HTTP-01 path -> key authorization
	alpn    sync.Map // name -> *hasp.Certificate for TLS-ALPN-01
	ordered sync.Map // name -> *sync.Mutex: one order per name in this process
}

type entry struct {
	cert     *hasp.Certificate
	ocspNext time.Time
	failures int
	nextTry  time.Time
	warned   bool
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
		return
	}
	log.Printf("acme: "+format, args...)
}

func (m *Manager) httpClient() *http.Client {
	if m.HTTPClient != nil {
		return m.HTTPClient
	}
	return http.DefaultClient
}

func (m *Manager) allowed(name string) bool {
	return slices.Contains(m.Domains, name)
}

// TLSConfig returns a server Config that serves the managed
// certificates and answers TLS-ALPN-01.
func (m *Manager) TLSConfig() *hasp.Config {
	return &hasp.Config{GetCertificate: m.GetCertificate, NextProtos: []string{"h2", "http/1.1", ALPNProto}}
}

// GetCertificate serves a handshake: the TLS-ALPN-01 challenge
// certificate to a validator that offers only acme-tls/1 (RFC 8737
// section 3), else the managed certificate for the name, ordered on
// demand when it is one of Domains.
func (m *Manager) GetCertificate(hello *hasp.ClientHelloInfo) (*hasp.Certificate, error) {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == ALPNProto {
		if c, ok := m.alpn.Load(name); ok {
			return c.(*hasp.Certificate), nil
		}
		return nil, fmt.Errorf("acme: no TLS-ALPN-01 challenge pending for %q", name)
	}
	if name == "" && len(m.Domains) > 0 {
		name = m.Domains[0]
	}
	if !m.allowed(name) {
		return nil, fmt.Errorf("acme: %q is not a managed name", name)
	}
	if c := m.cached(name); c != nil {
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return m.Certificate(ctx, name)
}

func (m *Manager) cached(name string) *hasp.Certificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.certs[name]; e != nil {
		return e.cert
	}
	return nil
}

func (m *Manager) setCert(name string, c *hasp.Certificate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.certs == nil {
		m.certs = map[string]*entry{}
	}
	e := m.certs[name]
	if e == nil {
		e = &entry{}
		m.certs[name] = e
	}
	if e.cert == nil || e.cert.Leaf.SerialNumber.Cmp(c.Leaf.SerialNumber) != 0 {
		e.ocspNext = time.Time{}
		e.warned = false
	}
	e.cert = c
}

// Certificate returns name's certificate: from memory, from the Store
// (another member of a fleet may have ordered it), or ordered now.
func (m *Manager) Certificate(ctx context.Context, name string) (*hasp.Certificate, error) {
	if c := m.cached(name); c != nil {
		return c, nil
	}
	if c, err := m.load(ctx, name); err == nil && m.usable(c) {
		m.setCert(name, c)
		return c, nil
	}
	return m.obtain(ctx, name, nil)
}

// usable: not expired.
func (m *Manager) usable(c *hasp.Certificate) bool {
	return c != nil && m.now().Before(c.Leaf.NotAfter)
}

func certKey(name string) string { return "certs/" + name + ".pem" }

func (m *Manager) load(ctx context.Context, name string) (*hasp.Certificate, error) {
	data, err := m.Store.Get(ctx, certKey(name))
	if err != nil {
		return nil, err
	}
	return parseStored(data)
}

// parseStored reads a stored certificate: its key, then the chain.
func parseStored(data []byte) (*hasp.Certificate, error) {
	var key crypto.Signer
	var chain [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, errors.New("acme: stored key cannot sign")
			}
			key = s
		case "CERTIFICATE":
			chain = append(chain, b.Bytes)
		}
	}
	if key == nil || len(chain) == 0 {
		return nil, errors.New("acme: stored certificate incomplete")
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return nil, errors.New("acme: stored key does not match the certificate")
	}
	return &hasp.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

func marshalStored(key crypto.Signer, chain [][]byte) ([]byte, error) {
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: kd})
	for _, c := range chain {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c})
	}
	return b.Bytes(), nil
}

// acmeClient loads or makes the account.
func (m *Manager) acmeClient(ctx context.Context) (*xacme.Client, error) {
	m.mu.Lock()
	c := m.client
	m.mu.Unlock()
	if c != nil {
		return c, nil
	}
	unlock, err := m.Store.Lock(ctx, "account")
	if err != nil {
		return nil, err
	}
	defer unlock()
	var key crypto.Signer
	data, err := m.Store.Get(ctx, "account.key")
	switch {
	case err == nil:
		b, _ := pem.Decode(data)
		if b == nil {
			return nil, errors.New("acme: stored account key is not PEM")
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("acme: stored account key: %w", err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("acme: stored account key is a %T, which cannot sign", k)
		}
		key = s
	case errors.Is(err, ErrNotFound):
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		kd, _ := x509.MarshalPKCS8PrivateKey(k)
		if err := m.Store.Put(ctx, "account.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})); err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, err
	}
	dir := m.DirectoryURL
	if dir == "" {
		dir = LetsEncrypt
	}
	c = &xacme.Client{Key: key, DirectoryURL: dir, HTTPClient: capBodies(m.httpClient()), UserAgent: "hasp"}
	acct := &xacme.Account{}
	if m.Email != "" {
		acct.Contact = []string{"mailto:" + m.Email}
	}
	if _, err := c.Register(ctx, acct, xacme.AcceptTOS); err != nil && !errors.Is(err, xacme.ErrAccountAlreadyExists) {
		return nil, fmt.Errorf("acme: registering the account: %w", err)
	}
	m.mu.Lock()
	m.client = c
	m.mu.Unlock()
	return c, nil
}

// obtain orders a certificate for name under the fleet's lock for the
// name; a member that waited for the lock finds the other's certificate
// in the Store and orders nothing. old is the certificate being renewed.
func (m *Manager) obtain(ctx context.Context, name string, old *hasp.Certificate) (*hasp.Certificate, error) {
	mu, _ := m.ordered.LoadOrStore(name, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	unlock, err := m.Store.Lock(ctx, "cert-"+name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c, err := m.load(ctx, name); err == nil && m.usable(c) && (old == nil || c.Leaf.SerialNumber.Cmp(old.Leaf.SerialNumber) != 0) && !m.dueForRenewal(c) {
		m.setCert(name, c)
		return c, nil
	}
	c, err := m.order(ctx, name)
	if err != nil {
		return nil, err
	}
	data, err := marshalStored(c.PrivateKey.(crypto.Signer), c.Certificate)
	if err != nil {
		return nil, err
	}
	if err := m.Store.Put(ctx, certKey(name), data); err != nil {
		return nil, err
	}
	m.setCert(name, c)
	m.logf("certificate for %s issued, valid until %s", name, c.Leaf.NotAfter.Format(time.RFC3339))
	return c, nil
}

// Bounds on talking to a CA or an OCSP responder that stalls or never
// finishes: Run's context has no deadline, and x/crypto/acme polls a
// pending order or authorization until its context ends and decodes
// JSON answers whole, however long.
var (
	orderTimeout = 10 * time.Minute
	ocspTimeout  = time.Minute
)

// maxCABody bounds one answer from the CA (a certificate chain, which
// x/crypto/acme itself caps near 5.2 MB, is the largest).
const maxCABody = 8 << 20

// capBodies returns hc with every response body cut off, with an error,
// after maxCABody bytes.
func capBodies(hc *http.Client) *http.Client {
	c := *hc
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = cappedTransport{rt}
	return &c
}

type cappedTransport struct{ rt http.RoundTripper }

func (t cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil {
		resp.Body = http.MaxBytesReader(nil, resp.Body, maxCABody)
	}
	return resp, err
}

// order runs one ACME order for name.
func (m *Manager) order(ctx context.Context, name string) (*hasp.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, orderTimeout)
	defer cancel()
	client, err := m.acmeClient(ctx)
	if err != nil {
		return nil, err
	}
	ids := xacme.DomainIDs(name)
	o, err := client.AuthorizeOrder(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("acme: new order for %s: %w", name, err)
	}
	if err := checkOrder(o, ids); err != nil {
		return nil, fmt.Errorf("acme: new order for %s: %w", name, err)
	}
	// Every authorization is fetched and checked before any challenge
	// is answered: one for a name we did not ask for refuses the order.
	zs := make([]*xacme.Authorization, 0, len(o.AuthzURLs))
	for _, zurl := range o.AuthzURLs {
		z, err := client.GetAuthorization(ctx, zurl)
		if err != nil {
			return nil, fmt.Errorf("acme: order for %s: %w", name, err)
		}
		if err := checkAuthorization(z, ids); err != nil {
			return nil, fmt.Errorf("acme: order for %s: %w", name, err)
		}
		zs = append(zs, z)
	}
	for _, z := range zs {
		if err := m.authorize(ctx, client, z); err != nil {
			return nil, err
		}
	}
	finalize := o.FinalizeURL
	o, err = client.WaitOrder(ctx, o.URI)
	if err == nil {
		err = checkIdentifiers(o.Identifiers, ids)
	}
	if err != nil {
		return nil, fmt.Errorf("acme: order for %s: %w", name, err)
	}
	if o.FinalizeURL == "" {
		o.FinalizeURL = finalize
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}}, key)
	if err != nil {
		return nil, err
	}
	orderURI := o.URI
	chain, _, err := client.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	if err != nil {
		// A CA that leaves the Location header out of its finalize
		// answer (Pebble does) leaves x/crypto/acme without the order
		// to wait on; the order's own URL still says when the
		// certificate is ready.
		if o2, err2 := client.WaitOrder(ctx, orderURI); err2 == nil && o2.CertURL != "" {
			chain, err = client.FetchCert(ctx, o2.CertURL, true)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("acme: finalizing %s: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, err
	}
	if err := leaf.VerifyHostname(name); err != nil || !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return nil, fmt.Errorf("acme: the CA issued a certificate that is not for %s and our key", name)
	}
	return &hasp.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

func (m *Manager) challenges() []string {
	if len(m.Challenges) > 0 {
		return m.Challenges
	}
	return []string{TLSALPN01, HTTP01}
}

// identifierName is the name an identifier stands for, lower case; a
// wildcard authorization carries the base domain and "wildcard": true
// (RFC 8555 section 7.1.4), which stands for "*." and the base domain.
func identifierName(id xacme.AuthzID, wildcard bool) string {
	n := strings.ToLower(id.Value)
	if wildcard {
		n = "*." + n
	}
	return n
}

func requested(id xacme.AuthzID, wildcard bool, ids []xacme.AuthzID) bool {
	if id.Type != "dns" {
		return false
	}
	n := identifierName(id, wildcard)
	for _, r := range ids {
		if r.Type == id.Type && strings.ToLower(r.Value) == n {
			return true
		}
	}
	return false
}

// checkOrder refuses an order that does not echo the identifiers asked
// for or lists more authorizations than names (RFC 8555 section 7.1.3:
// one per identifier), before any of them is fetched.
func checkOrder(o *xacme.Order, ids []xacme.AuthzID) error {
	if len(o.AuthzURLs) > len(ids) {
		return fmt.Errorf("the CA lists %d authorizations for an order of %d names", len(o.AuthzURLs), len(ids))
	}
	return checkIdentifiers(o.Identifiers, ids)
}

// checkIdentifiers: an order's identifiers, when the CA gives them, are
// the ones asked for.
func checkIdentifiers(got, ids []xacme.AuthzID) error {
	if len(got) == 0 {
		return nil
	}
	for _, id := range got {
		if !requested(id, false, ids) {
			return fmt.Errorf("the CA's order is for %s %q, which we did not ask for", id.Type, id.Value)
		}
	}
	for _, r := range ids {
		if !requested(r, false, got) {
			return fmt.Errorf("the CA's order leaves out %s %q", r.Type, r.Value)
		}
	}
	return nil
}

// checkAuthorization: an authorization is for one of the identifiers
// asked for; no challenge is answered for any other (RFC 8555 section
// 7.5).
func checkAuthorization(z *xacme.Authorization, ids []xacme.AuthzID) error {
	if !requested(z.Identifier, z.Wildcard, ids) {
		w := ""
		if z.Wildcard {
			w = " (wildcard)"
		}
		return fmt.Errorf("the CA sent an authorization for %s %q%s, which we did not ask for", z.Identifier.Type, z.Identifier.Value, w)
	}
	return nil
}

// Challenge tokens (RFC 8555 sections 8.1, 8.3, 8.4): base64url without
// padding, at least 128 bits of entropy (22 characters); the upper
// bound is ours (real CAs send 43).
const (
	minTokenLen = 22
	maxTokenLen = 256
)

func validToken(tok string) bool {
	if len(tok) < minTokenLen || len(tok) > maxTokenLen {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// authorize answers one authorization, already checked to be for a name
// we asked for, with the first challenge type the CA offers in our order
// of preference.
func (m *Manager) authorize(ctx context.Context, client *xacme.Client, z *xacme.Authorization) error {
	if z.Status == xacme.StatusValid {
		return nil
	}
	// GetCertificate looks challenge certificates up by the lower-case
	// SNI name.
	name := strings.ToLower(z.Identifier.Value)
	var chal *xacme.Challenge
	for _, want := range m.challenges() {
		for _, c := range z.Challenges {
			if c.Type == want {
				chal = c
				break
			}
		}
		if chal != nil {
			break
		}
	}
	if chal == nil {
		return fmt.Errorf("acme: the CA offers no challenge we answer for %s", name)
	}
	if !validToken(chal.Token) {
		return fmt.Errorf("acme: the CA's %s token for %s is not base64url of at least %d characters: %.64q", chal.Type, name, minTokenLen, chal.Token)
	}
	switch chal.Type {
	case HTTP01:
		resp, err := client.HTTP01ChallengeResponse(chal.Token)
		if err != nil {
			return err
		}
		path := client.HTTP01ChallengePath(chal.Token)
		m.tokens.Store(path, resp)
		defer m.tokens.Delete(path)
	case TLSALPN01:
		tc, err := client.TLSALPN01ChallengeCert(chal.Token, name)
		if err != nil {
			return err
		}
		leaf, _ := x509.ParseCertificate(tc.Certificate[0])
		m.alpn.Store(name, &hasp.Certificate{Certificate: tc.Certificate, PrivateKey: tc.PrivateKey, Leaf: leaf})
		defer m.alpn.Delete(name)
	}
	if _, err := client.Accept(ctx, chal); err != nil {
		return fmt.Errorf("acme: %s for %s: %w", chal.Type, name, err)
	}
	if _, err := client.WaitAuthorization(ctx, z.URI); err != nil {
		return fmt.Errorf("acme: %s for %s not validated: %w", chal.Type, name, err)
	}
	return nil
}

// HTTPHandler answers HTTP-01 challenges on the HTTP port and passes
// everything else to fallback (a redirect to https when nil).
func (m *Manager) HTTPHandler(fallback http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			if v, ok := m.tokens.Load(r.URL.Path); ok {
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, v.(string))
				return
			}
			http.NotFound(w, r)
			return
		}
		if fallback != nil {
			fallback.ServeHTTP(w, r)
			return
		}
		host := r.Host
		if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.HasSuffix(host, "]") {
			host = host[:i]
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// renewAt is two thirds into a certificate's lifetime.
func renewAt(leaf *x509.Certificate) time.Time {
	return leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) * 2 / 3)
}

func (m *Manager) dueForRenewal(c *hasp.Certificate) bool {
	return !m.now().Before(renewAt(c.Leaf))
}

func (m *Manager) backoff(failures int) time.Duration {
	base := m.RetryBase
	if base <= 0 {
		base = time.Minute
	}
	d := base << min(failures-1, 10)
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	// Jitter: 75% to 125%, so a fleet does not retry in step.
	return time.Duration(float64(d) * (0.75 + 0.5*mrand.Float64()))
}

// Maintain makes one pass over the managed names: certificates that are
// missing are ordered, those two thirds through their life renewed
// (failures wait a growing, jittered time, and the current certificate
// stays in use until it expires), OCSP staples fetched at half their
// validity, revoked certificates replaced. Run calls it every minute.
func (m *Manager) Maintain(ctx context.Context) {
	for _, name := range m.Domains {
		m.maintain(ctx, name)
	}
}

func (m *Manager) maintain(ctx context.Context, name string) {
	now := m.now()
	m.mu.Lock()
	if m.certs == nil {
		m.certs = map[string]*entry{}
	}
	e := m.certs[name]
	if e == nil {
		e = &entry{}
		m.certs[name] = e
	}
	cur, nextTry := e.cert, e.nextTry
	m.mu.Unlock()
	if cur == nil {
		if c, err := m.load(ctx, name); err == nil && m.usable(c) {
			m.setCert(name, c)
			cur = c
		}
	}
	if cur != nil && !cur.Leaf.NotAfter.After(now.Add(7*24*time.Hour)) && m.dueForRenewal(cur) {
		m.mu.Lock()
		warn := !e.warned
		e.warned = true
		m.mu.Unlock()
		if warn {
			m.logf("WARNING: the certificate for %s expires %s and is not renewed yet", name, cur.Leaf.NotAfter.Format(time.RFC3339))
		}
	}
	revoked := false
	if cur != nil {
		revoked = m.refreshOCSP(ctx, name, cur)
	}
	if cur != nil && !m.dueForRenewal(cur) && !revoked {
		return
	}
	if now.Before(nextTry) {
		return
	}
	if _, err := m.obtain(ctx, name, cur); err != nil {
		m.mu.Lock()
		e.failures++
		wait := m.backoff(e.failures)
		e.nextTry = now.Add(wait)
		m.mu.Unlock()
		state := "no certificate yet"
		if cur != nil {
			state = "keeping the current one, valid until " + cur.Leaf.NotAfter.Format(time.RFC3339)
		}
		m.logf("ordering a certificate for %s failed (%d in a row; next try in %s; %s): %v", name, e.failures, wait.Round(time.Second), state, err)
		return
	}
	m.mu.Lock()
	e.failures, e.nextTry = 0, time.Time{}
	m.mu.Unlock()
}

// refreshOCSP fetches a staple when the certificate names a responder
// and the last one is half through its validity; it reports whether the
// responder says the certificate is revoked.
func (m *Manager) refreshOCSP(ctx context.Context, name string, c *hasp.Certificate) (revoked bool) {
	if len(c.Leaf.OCSPServer) == 0 || len(c.Certificate) < 2 {
		return false
	}
	m.mu.Lock()
	e := m.certs[name]
	due := e != nil && !m.now().Before(e.ocspNext)
	m.mu.Unlock()
	if !due {
		return false
	}
	issuer, err := x509.ParseCertificate(c.Certificate[1])
	if err != nil {
		return false
	}
	octx, cancel := context.WithTimeout(ctx, ocspTimeout)
	defer cancel()
	raw, resp, err := FetchOCSP(octx, m.httpClient(), c.Leaf, issuer)
	if err != nil {
		m.logf("OCSP for %s: %v", name, err)
		m.mu.Lock()
		e.ocspNext = m.now().Add(10 * time.Minute)
		m.mu.Unlock()
		return false
	}
	if resp.Status == ocsp.Revoked {
		m.logf("the certificate for %s is REVOKED (since %s): replacing it", name, resp.RevokedAt.Format(time.RFC3339))
		return true
	}
	next := resp.ThisUpdate.Add(resp.NextUpdate.Sub(resp.ThisUpdate) / 2)
	if resp.NextUpdate.IsZero() {
		next = m.now().Add(12 * time.Hour)
	}
	stapled := *c
	stapled.OCSPStaple = raw
	m.mu.Lock()
	if e.cert == c {
		e.cert = &stapled
	}
	e.ocspNext = next
	m.mu.Unlock()
	return false
}

// FetchOCSP asks leaf's OCSP responder about it (RFC 6960, POST) and
// checks the answer: signed by issuer (or a responder it delegated to),
// for this certificate.
func FetchOCSP(ctx context.Context, hc *http.Client, leaf, issuer *x509.Certificate) ([]byte, *ocsp.Response, error) {
	req, err := ocsp.CreateRequest(leaf, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, nil, err
	}
	var lastErr error
	for _, url := range leaf.OCSPServer {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
		if err != nil {
			lastErr = err
			continue
		}
		hr.Header.Set("Content-Type", "application/ocsp-request")
		resp, err := hc.Do(hr)
		if err != nil {
			lastErr = err
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("%s: %s", url, resp.Status)
			continue
		}
		r, err := ocsp.ParseResponseForCert(raw, leaf, issuer)
		if err != nil {
			// The issuer answering itself, with its own certificate
			// embedded (OpenSSL's responder): check by hand.
			if r2, err2 := ocsp.ParseResponseForCert(raw, leaf, nil); err2 == nil && r2.Certificate != nil &&
				r2.Certificate.Equal(issuer) && r2.CheckSignatureFrom(issuer) == nil {
				r, err = r2, nil
			}
		}
		if err != nil {
			lastErr = fmt.Errorf("%s: %v", url, err)
			continue
		}
		if r.SerialNumber == nil || r.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			lastErr = fmt.Errorf("%s: answer for another certificate", url)
			continue
		}
		return raw, r, nil
	}
	return nil, nil, lastErr
}

// Run orders what is missing and keeps everything fresh until ctx ends.
func (m *Manager) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m.Maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
