package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
)

func connect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate (DANGEROUS)")
	cafile := fs.String("cafile", "", "trust the CA certificates in this PEM file instead of the system's")
	servername := fs.String("servername", "", "name to ask for (SNI) and verify; default: the host")
	alpn := fs.String("alpn", "", "comma-separated ALPN protocols to offer")
	timeout := fs.Duration("timeout", 10*time.Second, "bound on connecting and the handshake")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hasp connect [flags] HOST[:PORT]\n\nConnects with TLS 1.3, prints what was negotiated and the server's chain,\nthen copies stdin to the connection and the connection to stdout.\n\nExit codes: 0 done, 1 handshake or verification failed, 2 usage, 3 network error.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	addr := fs.Arg(0)
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "443")
	}
	host, _, _ := net.SplitHostPort(addr)
	cfg := &hasp.Config{ServerName: host, InsecureSkipVerify: *insecure}
	if *servername != "" {
		cfg.ServerName = *servername
	}
	if *alpn != "" {
		cfg.NextProtos = strings.Split(*alpn, ",")
	}
	if *cafile != "" {
		pem, err := os.ReadFile(*cafile)
		if err != nil {
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
			return 2
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "hasp connect: no certificates in %s\n", *cafile)
			return 2
		}
		cfg.RootCAs = pool
	}
	if *insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: the server's certificate is NOT verified; anyone on the path can read and change this connection.")
	}
	hctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(hctx, "tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "hasp connect: %v\n", err)
		return 3
	}
	conn := hasp.Client(raw, cfg)
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		fmt.Fprintf(stderr, "hasp connect: handshake with %s failed: %v\n", addr, err)
		var ae *hasp.AlertError
		if errors.As(err, &ae) {
			return 1
		}
		return 3
	}
	defer conn.Close()
	printState(stderr, addr, conn.ConnectionState(), *insecure)

	done := make(chan struct{})
	go func() {
		io.Copy(conn, stdin)
		conn.CloseWrite()
		close(done)
	}()
	if _, err := io.Copy(stdout, conn); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "hasp connect: %v\n", err)
		return 3
	}
	return 0
}

func printState(w io.Writer, addr string, st hasp.ConnectionState, insecure bool) {
	fmt.Fprintf(w, "Connected to %s\n", addr)
	fmt.Fprintf(w, "  Protocol      %s\n", hasp.VersionName(st.Version))
	fmt.Fprintf(w, "  Cipher suite  %s\n", hasp.CipherSuiteName(st.CipherSuite))
	fmt.Fprintf(w, "  Key exchange  %s", st.CurveID)
	if st.HelloRetryRequest {
		fmt.Fprint(w, " (after HelloRetryRequest)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Signature     %s\n", st.SignatureScheme)
	if st.NegotiatedProtocol != "" {
		fmt.Fprintf(w, "  ALPN          %s\n", st.NegotiatedProtocol)
	}
	fmt.Fprintln(w, "Server chain:")
	for i, c := range st.PeerCertificates {
		fp := sha256.Sum256(c.Raw)
		fmt.Fprintf(w, "  %d subject  %s\n", i, c.Subject)
		fmt.Fprintf(w, "    issuer   %s\n", c.Issuer)
		if len(c.DNSNames)+len(c.IPAddresses) > 0 {
			names := append([]string(nil), c.DNSNames...)
			for _, ip := range c.IPAddresses {
				names = append(names, ip.String())
			}
			fmt.Fprintf(w, "    names    %s\n", strings.Join(names, ", "))
		}
		left := time.Until(c.NotAfter).Round(time.Hour)
		fmt.Fprintf(w, "    valid    %s to %s (%s left)\n", c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), left)
		fmt.Fprintf(w, "    sha256   %X\n", fp[:])
	}
	switch {
	case insecure:
		fmt.Fprintln(w, "Verification: SKIPPED (--insecure)")
	case len(st.VerifiedChains) > 0:
		root := st.VerifiedChains[0][len(st.VerifiedChains[0])-1]
		fmt.Fprintf(w, "Verification: OK (chain to %s)\n", root.Subject)
	}
	fmt.Fprintln(w, "---")
}
