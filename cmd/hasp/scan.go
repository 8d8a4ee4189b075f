package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/hasp-tls/hasp/scan"
	"github.com/hasp-tls/hasp/starttls"
)

func scanCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print one JSON document (an array of reports) instead of text")
	htmlFile := fs.String("html", "", "also write a self-contained HTML report to this file")
	starttlsProto := fs.String("starttls", "", "upgrade from plaintext first: smtp, submission, lmtp, imap, pop3, xmpp, ldap, ftp, postgres, sieve")
	servername := fs.String("servername", "", "name to send as SNI and check the certificates against (default: the host)")
	cafile := fs.String("cafile", "", "trust the CA certificates in this PEM file instead of the system's")
	timeout := fs.Duration("timeout", 5*time.Second, "bound on each connection")
	conc := fs.Int("concurrency", 8, "connections open at once, per target")
	rate := fs.Float64("rate", 0, "new connections per second, per target (0: no bound but --concurrency)")
	failUnder := fs.String("fail-under", "", "exit 5 when a target grades below this (A+, A, A-, B, C, D, E, F)")
	noHTTP := fs.Bool("no-http", false, "do not send GET / to look for HSTS")
	quiet := fs.Bool("quiet", false, "no progress line")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: hasp scan [flags] HOST[:PORT]...

Grades each server's TLS from A+ to F (T: the certificate is not trusted),
following the SSL Labs rating guide, and explains every point: protocol
versions from SSL 2.0 to TLS 1.3 (old ones by probe only), the suites each
version accepts and whose order decides, groups (ML-KEM hybrids and FFDHE
included), signature schemes, ALPN, the certificates and package trust's
verdict on each, session resumption, renegotiation, compression, fallback
protection, HSTS, and what popular clients would negotiate. The rules are
in docs/scan-grading.md.

Examples:
  hasp scan example.com
  hasp scan --starttls smtp mail.example.com
  hasp scan --json --fail-under A example.com:443 other.example:8443 > report.json
  hasp scan --html report.html --cafile ~/.config/hasp/ca.pem 127.0.0.1:8443

Exit codes: 0 done; 2 usage; 3 a target could not be scanned; 5 a grade
is below --fail-under.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if *failUnder != "" && !scan.Rank(*failUnder, "F") {
		fmt.Fprintf(stderr, "hasp scan: --fail-under %q: want A+, A, A-, B, C, D, E or F\n", *failUnder)
		return exitUsage
	}
	opts := scan.Options{ServerName: *servername, Timeout: *timeout, Concurrency: *conc, Rate: *rate, NoHTTP: *noHTTP}
	if *starttlsProto != "" {
		opts.StartTLS = starttls.Protocol(strings.ToLower(*starttlsProto))
		if opts.StartTLS.DefaultPort() == "" {
			fmt.Fprintf(stderr, "hasp scan: --starttls %q: want one of %v\n", *starttlsProto, starttls.Protocols)
			return exitUsage
		}
	}
	if *cafile != "" {
		pem, err := os.ReadFile(*cafile)
		if err != nil {
			fmt.Fprintf(stderr, "hasp scan: %v\n", err)
			return exitUsage
		}
		opts.Roots = x509.NewCertPool()
		if !opts.Roots.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "hasp scan: no certificates in %s\n", *cafile)
			return exitUsage
		}
	}
	progress := !*quiet && writerIsTerminal(stderr)
	reports := make([]*scan.Report, fs.NArg())
	var mu sync.Mutex
	prog := map[int][2]int{}
	var wg sync.WaitGroup
	for i, target := range fs.Args() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := opts
			if progress {
				o.Progress = func(done, total int) {
					mu.Lock()
					defer mu.Unlock()
					prog[i] = [2]int{done, total}
					d, t := 0, 0
					for _, p := range prog {
						d += p[0]
						t += p[1]
					}
					fmt.Fprintf(stderr, "\rscanning %d target(s): %d/%d steps ", len(reports), d, t)
				}
			}
			reports[i] = scan.Scan(ctx, target, o)
		}()
	}
	wg.Wait()
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	code := exitOK
	for _, r := range reports {
		if r.Error != "" {
			code = exitNetwork
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(reports)
	} else {
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			r.Text(stdout)
		}
	}
	if *htmlFile != "" {
		f, err := os.Create(*htmlFile)
		if err != nil {
			fmt.Fprintf(stderr, "hasp scan: %v\n", err)
			return exitUsage
		}
		err = scan.HTML(f, reports)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "hasp scan: %v\n", err)
			return 1
		}
	}
	if *failUnder != "" {
		for _, r := range reports {
			if r.Error == "" && !scan.Rank(r.Grade.Letter, *failUnder) {
				fmt.Fprintf(stderr, "hasp scan: %s grades %s, below %s\n", r.Target, r.Grade.Letter, *failUnder)
				code = exitGrade
			}
		}
	}
	return code
}

// exitGrade: a target grades below --fail-under.
const exitGrade = 5

func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
