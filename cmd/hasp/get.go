package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/hasphttp"
	"github.com/hasp-tls/hasp/trust"
)

func get(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	method := fs.String("X", "", "request method (default GET, or POST with -d)")
	data := fs.String("d", "", "request body (@FILE reads a file)")
	outFile := fs.String("o", "", "write the body to this file instead of stdout")
	verbose := fs.Bool("v", false, "show the TLS summary and the response headers")
	cacert := fs.String("cacert", "", "trust the CA certificates in this PEM file instead of the system's")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate (DANGEROUS)")
	maxRedirects := fs.Int("max-redirects", 10, "redirects to follow")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole request")
	head := fs.Bool("I", false, "HEAD: print the answer's status and headers, no body")
	certFile := fs.String("cert", "", "client certificate chain (PEM), sent when the server asks")
	keyFile := fs.String("key", "", "private key (PEM) for --cert")
	var headers multiFlag
	fs.Var(&headers, "H", "a request header, \"Name: value\"; may repeat")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: hasp get [flags] URL

Fetches an https URL through hasp, HTTP/2 when the server offers it, and
writes the body to stdout (or -o FILE). Redirects are followed.

http:// URLs are fetched too, in the clear (and said so).

Exit codes: 0 a 2xx or 3xx answer, 1 TLS failure, 2 usage, 3 network, 4 the server
is not trusted, 5 an HTTP error status.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "get", "one URL, got %d arguments", fs.NArg())
	}
	url := fs.Arg(0)
	plain := strings.HasPrefix(url, "http://")
	if !strings.HasPrefix(url, "https://") && !plain {
		return usageError(stderr, "get", "%q: want an https:// (or http://) URL", url)
	}
	if plain {
		fmt.Fprintln(stderr, "hasp get: WARNING: http:// is not encrypted; anyone on the path reads and changes it")
	}
	// The output file first: a path we cannot write is a usage error,
	// found before any request.
	var outF *os.File
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			return usageError(stderr, "get", "-o: %v", err)
		}
		defer f.Close()
		outF = f
	}
	cfg := &hasp.Config{InsecureSkipVerify: *insecure}
	if (*certFile == "") != (*keyFile == "") {
		return usageError(stderr, "get", "--cert and --key go together")
	}
	if *certFile != "" {
		c, err := hasp.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return usageError(stderr, "get", "%v", err)
		}
		cfg.Certificates = []hasp.Certificate{c}
	}
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			fmt.Fprintf(stderr, "hasp get: %v\n", err)
			return exitUsage
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "hasp get: no certificates in %s\n", *cacert)
			return exitUsage
		}
	}
	var body io.Reader
	m := *method
	if *data != "" {
		if strings.HasPrefix(*data, "@") {
			f, err := os.Open((*data)[1:])
			if err != nil {
				fmt.Fprintf(stderr, "hasp get: %v\n", err)
				return exitUsage
			}
			defer f.Close()
			body = f
		} else {
			body = strings.NewReader(*data)
		}
		if m == "" {
			m = http.MethodPost
		}
	}
	if m == "" {
		m = http.MethodGet
		if *head {
			m = http.MethodHead
		}
	}
	if !*insecure {
		// The same judge as hasp connect: an untrusted server gets a
		// verdict and exit 4, not an x509 string.
		cfg.Trust = &trust.Verifier{Roots: cfg.RootCAs, Policy: trust.Browser}
	}
	rctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, m, url, body)
	if err != nil {
		fmt.Fprintf(stderr, "hasp get: %v\n", err)
		return exitUsage
	}
	req.Header.Set("User-Agent", "hasp-get")
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return usageError(stderr, "get", "-H %q: want \"Name: value\"", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if *verbose {
		fmt.Fprintf(stderr, "> %s %s\n", m, req.URL.RequestURI())
		fmt.Fprintf(stderr, "> Host: %s\n", req.URL.Host)
		for k, v := range req.Header {
			fmt.Fprintf(stderr, "> %s: %s\n", k, strings.Join(v, ", "))
		}
	}
	// Connections are kept: a redirect to the same host reuses one.
	var rt http.RoundTripper = &hasphttp.PooledTransport{Config: cfg}
	if plain {
		rt = http.DefaultTransport
	}
	if hrt, ok := rt.(*hasphttp.PooledTransport); ok && *verbose {
		hrt.OnConnect = func(c *hasp.Conn) {
			st := c.ConnectionState()
			fmt.Fprintf(stderr, "* %s %s %s %s, ALPN %s\n", c.RemoteAddr(), hasp.VersionName(st.Version),
				hasp.CipherSuiteName(st.CipherSuite), st.CurveID, orNone(st.NegotiatedProtocol))
			if len(st.PeerCertificates) > 0 {
				fmt.Fprintf(stderr, "* certificate %s, issued by %s, until %s\n", st.PeerCertificates[0].Subject,
					st.PeerCertificates[0].Issuer, st.PeerCertificates[0].NotAfter.Format(time.DateOnly))
			}
		}
	}
	client := &http.Client{Transport: rt, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if len(via) > *maxRedirects {
			return fmt.Errorf("more than %d redirects", *maxRedirects)
		}
		if *verbose {
			fmt.Fprintf(stderr, "* redirected to %s\n", r.URL)
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		var te *trust.Error
		if errors.As(err, &te) {
			fmt.Fprint(stderr, te.Verdict.String())
			fmt.Fprintf(stderr, "hasp get: %s is not trusted (%s); --cacert FILE names the CA to trust\n", req.URL.Host, te.Verdict.Summary)
			return exitUntrusted
		}
		fmt.Fprintf(stderr, "hasp get: %v\n", err)
		var ae *hasp.AlertError
		if errors.As(err, &ae) {
			return exitHandshake
		}
		return exitNetwork
	}
	defer resp.Body.Close()
	if *head {
		fmt.Fprintf(stdout, "%s %s\n", resp.Proto, resp.Status)
		resp.Header.Write(stdout)
		if resp.StatusCode >= 400 {
			return 5
		}
		return exitOK
	}
	if *verbose {
		fmt.Fprintf(stderr, "< %s %s\n", resp.Proto, resp.Status)
		for k, v := range resp.Header {
			fmt.Fprintf(stderr, "< %s: %s\n", k, strings.Join(v, ", "))
		}
	}
	var w io.Writer = stdout
	if outF != nil {
		w = outF
	}
	var src io.Reader = resp.Body
	if *outFile != "" && isTerminal(os.Stderr) {
		src = &progress{r: resp.Body, total: resp.ContentLength, w: stderr, start: time.Now()}
	}
	if _, err := io.Copy(w, src); err != nil {
		fmt.Fprintf(stderr, "hasp get: %v\n", err)
		return exitNetwork
	}
	if p, ok := src.(*progress); ok {
		p.done()
	}
	if resp.StatusCode >= 400 {
		fmt.Fprintf(stderr, "hasp get: %s\n", resp.Status)
		return 5
	}
	return exitOK
}

// progress prints a progress line for large downloads on a terminal.
type progress struct {
	r     io.Reader
	w     io.Writer
	total int64
	n     int64
	start time.Time
	last  time.Time
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if time.Since(p.last) > 200*time.Millisecond {
		p.last = time.Now()
		p.print()
	}
	return n, err
}

func (p *progress) print() {
	rate := float64(p.n) / time.Since(p.start).Seconds() / (1 << 20)
	if p.total > 0 {
		fmt.Fprintf(p.w, "\r%6.1f%%  %d / %d bytes  %.1f MiB/s", 100*float64(p.n)/float64(p.total), p.n, p.total, rate)
	} else {
		fmt.Fprintf(p.w, "\r%d bytes  %.1f MiB/s", p.n, rate)
	}
}

func (p *progress) done() {
	p.print()
	fmt.Fprintln(p.w)
}
