// Package lockpanel is the page hasp serve answers with: what the very
// connection a request came on negotiated (protocol, suite, key exchange,
// signature, ALPN, SNI, resumption, HelloRetryRequest, client
// certificate, the server's chain), in HTML and as JSON. It is a package
// of its own so that bench/ can load the same handler that hasp serve
// runs.
package lockpanel

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/hasphttp"
	"github.com/hasp-tls/hasp/trust"
)

// Handler serves the lock panel at /.well-known/hasp (and its JSON at
// /.well-known/hasp.json); "/" is the panel too, or the files of dir.
func Handler(dir string) http.Handler { return HandlerWith(dir, Facts{}) }

// Facts are the server's settings that end sessions, for the panel's
// session section.
type Facts struct {
	// TicketLifetime: how long a ticket resumes (0: hasp's default).
	TicketLifetime time.Duration
	// IdleTimeout: an idle HTTP connection is closed after it.
	IdleTimeout time.Duration
	// MaxSessionAge: a connection is closed this long after its
	// handshake (0: never).
	MaxSessionAge time.Duration
}

// HandlerWith is Handler, telling the panel what ends sessions.
func HandlerWith(dir string, f Facts) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/hasp.json", lockJSON)
	mux.HandleFunc("/.well-known/hasp", func(w http.ResponseWriter, r *http.Request) { page(w, r, f) })
	if dir != "" {
		mux.Handle("/", http.FileServer(http.Dir(dir)))
	} else {
		// The panel for the page, not for what browsers ask of every
		// site on their own.
		mux.HandleFunc("/favicon.ico", http.NotFound)
		mux.HandleFunc("/robots.txt", http.NotFound)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { page(w, r, f) })
	}
	return mux
}

// AccessLog writes one line per request with the connection's TLS
// parameters.
func AccessLog(l *log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rw, r)
		tlsInfo := "-"
		if c := hasphttp.Conn(r); c != nil {
			st := c.ConnectionState()
			tlsInfo = hasp.VersionName(st.Version) + " " + hasp.CipherSuiteName(st.CipherSuite) + " " + st.CurveID.String()
			if st.DidResume {
				tlsInfo += " resumed"
			}
		} else if r.TLS != nil {
			tlsInfo = tls.VersionName(r.TLS.Version) + " " + tls.CipherSuiteName(r.TLS.CipherSuite) + " " + r.TLS.CurveID.String()
		}
		l.Printf("%s %q %d %d %s", r.RemoteAddr, r.Method+" "+r.URL.RequestURI()+" "+r.Proto, rw.status, rw.n, tlsInfo)
	})
}

// countingWriter notes the status and the body's size for the log.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (w *countingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Panel is what a connection negotiated, for the page and the JSON.
type Panel struct {
	Protocol          string      `json:"protocol"`
	HTTP              string      `json:"http"`
	CipherSuite       string      `json:"cipher_suite"`
	KeyExchange       string      `json:"key_exchange"`
	Signature         string      `json:"signature"`
	ALPN              string      `json:"alpn"`
	SNI               string      `json:"sni"`
	Resumed           bool        `json:"resumed"`
	HelloRetryRequest bool        `json:"hello_retry_request"`
	ClientCertificate *CertInfo   `json:"client_certificate,omitempty"`
	ServerChain       []*CertInfo `json:"server_chain"`
	// Offered is what the client's hello offered (nil when the server
	// did not see it: a resumption that chose no certificate).
	Offered *Offered `json:"client_offered,omitempty"`
	// Verdict is package trust's verdict on the server's chain for the
	// name asked for, as a browser with the system's roots would judge.
	Verdict *trust.Verdict `json:"verdict,omitempty"`
	// ForwardSecret, PostQuantum: what the key exchange gives.
	ForwardSecret bool `json:"forward_secret"`
	PostQuantum   bool `json:"post_quantum"`
}

// Offered is the client's side of the negotiation.
type Offered struct {
	Versions   []string `json:"versions"`
	Suites     []string `json:"cipher_suites"`
	Groups     []string `json:"groups"`
	Signatures []string `json:"signature_schemes"`
	ALPN       []string `json:"alpn"`
}

// CertInfo describes one certificate.
type CertInfo struct {
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	Names     []string `json:"names,omitempty"`
	NotBefore string   `json:"not_before"`
	NotAfter  string   `json:"not_after"`
	DaysLeft  int      `json:"days_left"`
	Key       string   `json:"key"`
	SHA256    string   `json:"sha256"`
	SPKI      string   `json:"spki_sha256"`
	// Elapsed: how far through its validity the certificate is, 0-100.
	Elapsed int `json:"elapsed_percent"`

	notBefore, notAfter time.Time
	cert                *x509.Certificate
}

func describe(c *x509.Certificate) *CertInfo {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	fp := sha256.Sum256(c.Raw)
	return &CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Names: names,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		DaysLeft: daysLeft(c.NotAfter), Key: keyDesc(c), SHA256: fmt.Sprintf("%X", fp), SPKI: trust.SPKIHash(c),
		Elapsed: elapsed(c.NotBefore, c.NotAfter), notBefore: c.NotBefore, notAfter: c.NotAfter, cert: c}
}

func elapsed(from, to time.Time) int {
	total := to.Sub(from)
	if total <= 0 {
		return 100
	}
	return max(0, min(100, int(time.Since(from)*100/total)))
}

func keyDesc(c *x509.Certificate) string {
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

func daysLeft(t time.Time) int { return int(time.Until(t).Hours() / 24) }

// chains caches the description of the server's own chains: parsing
// them again for every request would cost more than the request. A
// server has few chains; the cache is bounded all the same.
var chains struct {
	sync.Mutex
	m map[string][]*CertInfo
}

const maxCachedChains = 64

func serverChain(chain [][]byte) []*CertInfo {
	if len(chain) == 0 {
		return nil
	}
	chains.Lock()
	cached, ok := chains.m[string(chain[0])]
	chains.Unlock()
	if !ok {
		for _, d := range chain {
			if x, err := x509.ParseCertificate(d); err == nil {
				cached = append(cached, describe(x))
			}
		}
		chains.Lock()
		if chains.m == nil || len(chains.m) >= maxCachedChains {
			chains.m = map[string][]*CertInfo{}
		}
		chains.m[string(chain[0])] = cached
		chains.Unlock()
	}
	out := make([]*CertInfo, len(cached))
	for i, c := range cached {
		cp := *c
		cp.DaysLeft = daysLeft(c.notAfter)
		cp.Elapsed = elapsed(c.notBefore, c.notAfter)
		out[i] = &cp
	}
	return out
}

// For returns the panel of the connection r came on: a hasp connection,
// or (for comparison) a crypto/tls one.
func For(r *http.Request) (*Panel, bool) {
	if c := hasphttp.Conn(r); c != nil {
		st := c.ConnectionState()
		p := &Panel{
			Protocol: hasp.VersionName(st.Version), CipherSuite: hasp.CipherSuiteName(st.CipherSuite),
			KeyExchange: st.CurveID.String(), Signature: st.SignatureScheme.String(), ALPN: st.NegotiatedProtocol,
			SNI: st.ServerName, Resumed: st.DidResume, HelloRetryRequest: st.HelloRetryRequest, HTTP: r.Proto,
		}
		if len(st.PeerCertificates) > 0 {
			p.ClientCertificate = describe(st.PeerCertificates[0])
		}
		p.ServerChain = serverChain(c.LocalCertificateChain())
		if h := st.ClientHello; h != nil {
			// GREASE values (RFC 8701) are left out: they are there to
			// be ignored.
			o := &Offered{ALPN: h.SupportedProtos}
			for _, v := range h.SupportedVersions {
				if !grease(v) {
					o.Versions = append(o.Versions, hasp.VersionName(v))
				}
			}
			for _, id := range h.CipherSuites {
				if !grease(id) {
					o.Suites = append(o.Suites, hasp.CipherSuiteName(id))
				}
			}
			for _, g := range h.SupportedCurves {
				if !grease(uint16(g)) {
					o.Groups = append(o.Groups, g.String())
				}
			}
			for _, s := range h.SignatureSchemes {
				if !grease(uint16(s)) {
					o.Signatures = append(o.Signatures, s.String())
				}
			}
			p.Offered = o
		}
		p.ForwardSecret = st.Version == hasp.VersionTLS13 || st.CurveID != 0
		p.PostQuantum = strings.Contains(st.CurveID.String(), "MLKEM")
		if len(p.ServerChain) > 0 {
			var chain []*x509.Certificate
			for _, ci := range p.ServerChain {
				chain = append(chain, ci.cert)
			}
			host := st.ServerName
			if host == "" {
				host, _, _ = net.SplitHostPort(r.Host)
				if host == "" {
					host = r.Host
				}
			}
			p.Verdict = (&trust.Verifier{Policy: trust.Browser}).Verify(r.Context(), trust.Input{Chain: chain, Host: host})
		}
		return p, true
	}
	if st := r.TLS; st != nil {
		p := &Panel{
			Protocol: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite),
			KeyExchange: st.CurveID.String(), ALPN: st.NegotiatedProtocol,
			SNI: st.ServerName, Resumed: st.DidResume, HelloRetryRequest: st.HelloRetryRequest, HTTP: r.Proto,
		}
		if len(st.PeerCertificates) > 0 {
			p.ClientCertificate = describe(st.PeerCertificates[0])
		}
		return p, true
	}
	return nil, false
}

func lockJSON(w http.ResponseWriter, r *http.Request) {
	p, ok := For(r)
	if !ok {
		http.Error(w, "not a TLS connection", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(p)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// grease: a GREASE value (RFC 8701 section 2: 0x?A?A with both bytes
// equal).
func grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }
