// Package lockpanel is the page hasp serve answers with: what the very
// connection a request came on negotiated (protocol, suite, key exchange,
// signature, ALPN, SNI, resumption, HelloRetryRequest, client
// certificate, the server's chain), in HTML and as JSON. It is a package
// of its own so that bench/ can load the same handler that hasp serve
// runs.
package lockpanel

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/hasphttp"
)

// Handler serves the lock panel at /.well-known/hasp (and its JSON at
// /.well-known/hasp.json); "/" is the panel too, or the files of dir.
func Handler(dir string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/hasp.json", lockJSON)
	mux.HandleFunc("/.well-known/hasp", page)
	if dir != "" {
		mux.Handle("/", http.FileServer(http.Dir(dir)))
	} else {
		// The panel for the page, not for what browsers ask of every
		// site on their own.
		mux.HandleFunc("/favicon.ico", http.NotFound)
		mux.HandleFunc("/robots.txt", http.NotFound)
		mux.HandleFunc("/", page)
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
}

// CertInfo describes one certificate.
type CertInfo struct {
	Subject  string   `json:"subject"`
	Issuer   string   `json:"issuer"`
	Names    []string `json:"names,omitempty"`
	NotAfter string   `json:"not_after"`
	DaysLeft int      `json:"days_left"`
	SHA256   string   `json:"sha256"`

	notAfter time.Time
}

func describe(c *x509.Certificate) *CertInfo {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	fp := sha256.Sum256(c.Raw)
	return &CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Names: names,
		NotAfter: c.NotAfter.UTC().Format(time.RFC3339), DaysLeft: daysLeft(c.NotAfter),
		SHA256: fmt.Sprintf("%X", fp), notAfter: c.NotAfter}
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

func page(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return
	}
	p, ok := For(r)
	if !ok {
		http.Error(w, "not a TLS connection", http.StatusInternalServerError)
		return
	}
	rows := [][2]string{
		{"Protocol", p.Protocol},
		{"HTTP", p.HTTP},
		{"Cipher suite", p.CipherSuite},
		{"Key exchange", p.KeyExchange},
		{"Signature", p.Signature},
		{"ALPN", orNone(p.ALPN)},
		{"SNI", orNone(p.SNI)},
		{"HelloRetryRequest", fmt.Sprint(p.HelloRetryRequest)},
		{"Resumed", fmt.Sprint(p.Resumed)},
	}
	if p.ClientCertificate != nil {
		rows = append(rows, [2]string{"Client certificate", p.ClientCertificate.Subject})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=utf-8><title>hasp: this connection</title></head><body>\n<h1>This connection</h1>\n<table>\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><th align=left>%s</th><td>%s</td></tr>\n", html.EscapeString(r[0]), html.EscapeString(r[1]))
	}
	b.WriteString("</table>\n<h2>Server certificate chain</h2>\n<ol>\n")
	for _, c := range p.ServerChain {
		names := ""
		if len(c.Names) > 0 {
			names = "names: " + html.EscapeString(strings.Join(c.Names, ", ")) + "<br>"
		}
		fmt.Fprintf(&b, "<li>%s<br>issued by %s<br>%svalid until %s (%d days left)</li>\n",
			html.EscapeString(c.Subject), html.EscapeString(c.Issuer), names, html.EscapeString(c.NotAfter), c.DaysLeft)
	}
	b.WriteString("</ol>\n<p><a href=\"/.well-known/hasp.json\">as JSON</a></p>\n</body></html>\n")
	io.WriteString(w, b.String())
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
