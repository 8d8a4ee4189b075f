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
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: hasp get [flags] URL

Fetches an https URL through hasp, HTTP/2 when the server offers it, and
writes the body to stdout (or -o FILE). Redirects are followed.

Exit codes: 0 a 2xx or 3xx answer, 1 TLS failure, 2 usage, 3 network, 5 an HTTP error status.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	url := fs.Arg(0)
	if !strings.HasPrefix(url, "https://") {
		fmt.Fprintln(stderr, "hasp get: only https:// URLs")
		return exitUsage
	}
	cfg := &hasp.Config{InsecureSkipVerify: *insecure}
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
	}
	rctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, m, url, body)
	if err != nil {
		fmt.Fprintf(stderr, "hasp get: %v\n", err)
		return exitUsage
	}
	req.Header.Set("User-Agent", "hasp-get")
	rt := &hasphttp.RoundTripper{Config: cfg}
	if *verbose {
		rt.OnConnect = func(c *hasp.Conn) {
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
		fmt.Fprintf(stderr, "hasp get: %v\n", err)
		var ae *hasp.AlertError
		if errors.As(err, &ae) {
			return exitHandshake
		}
		return exitNetwork
	}
	defer resp.Body.Close()
	if *verbose {
		fmt.Fprintf(stderr, "< %s %s\n", resp.Proto, resp.Status)
		for k, v := range resp.Header {
			fmt.Fprintf(stderr, "< %s: %s\n", k, strings.Join(v, ", "))
		}
	}
	var w io.Writer = stdout
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			fmt.Fprintf(stderr, "hasp get: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
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
