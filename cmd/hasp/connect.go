package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/starttls"
	"github.com/hasp-tls/hasp/trust"
	"golang.org/x/term"
)

// Exit codes of hasp connect.
const (
	exitOK        = 0
	exitHandshake = 1
	exitUsage     = 2
	exitNetwork   = 3
	exitUntrusted = 4
)

// isTerminal reports whether r is a terminal (a variable for tests).
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	// A character device is not enough: /dev/null is one, and a prompt
	// read from it would silently answer No. Ask the terminal driver.
	return term.IsTerminal(int(f.Fd()))
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func connect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate (DANGEROUS)")
	cafile := fs.String("cafile", "", "trust the CA certificates in this PEM file instead of the system's")
	servername := fs.String("servername", "", "name to ask for (SNI) and verify; default: the host")
	alpn := fs.String("alpn", "", "comma-separated ALPN protocols to offer")
	timeout := fs.Duration("timeout", 10*time.Second, "bound on connecting and the handshake")
	policyName := fs.String("policy", "browser", "trust policy: browser, strict, pinned, tofu; for mail: opportunistic, mta-sts, dane")
	mailDomain := fs.String("mail-domain", "", "with --policy mta-sts|dane: the recipient domain whose MTA-STS policy applies (default: the host without its first label)")
	resolver := fs.String("resolver", "", "DNS resolver (host:port) for MTA-STS and DANE lookups; for DANE it must validate DNSSEC (default: the system's)")
	knownHosts := fs.String("known-hosts", defaultStorePath("known_hosts"), "known-hosts file (trust on first use)")
	acceptAlways := fs.Bool("accept-always", false, "if the server is not trusted, remember its key in the known-hosts file and go on")
	quiet := fs.Bool("quiet", false, "do not print the handshake trace, chain and verdict")
	jsonOut := fs.Bool("json", false, "print one JSON document with the handshake, chain and verdict on stdout (no text)")
	only12 := fs.Bool("tls1.2", false, "TLS 1.2 only")
	only13 := fs.Bool("tls1.3", false, "TLS 1.3 only")
	groups := fs.String("groups", "", "comma-separated groups to offer, e.g. X25519MLKEM768,x25519,secp256r1")
	ciphers := fs.String("ciphers", "", "comma-separated cipher suites to offer, by IANA name")
	certFile := fs.String("cert", "", "client certificate chain (PEM), sent when the server asks")
	keyFile := fs.String("key", "", "private key (PEM) for --cert")
	keylog := fs.String("keylog", "", "append TLS secrets to this file (NSS key log format)")
	dtlsMode := fs.Bool("dtls", false, "DTLS 1.2 over UDP: each line of input is one datagram")
	starttlsProto := fs.String("starttls", "", "upgrade from plaintext first: smtp, submission, lmtp, imap, pop3, xmpp, ldap, ftp, postgres, sieve (the port defaults to the protocol's)")
	mtu := fs.Int("mtu", dtls.DefaultMTU, "with --dtls: the largest datagram to send")
	var pins multiFlag
	fs.Var(&pins, "pin", "trust a key by its SPKI SHA-256 (sha256/BASE64); may repeat")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: hasp connect [flags] HOST[:PORT]

Connects (TLS 1.3, or 1.2 when the server wants it), prints what was
negotiated, the server's chain and the trust verdict, then copies stdin to
the connection and the connection to stdout. When the server is not trusted
and stdin is a terminal, it asks whether to accept the certificate once,
always (remembered in the known-hosts file), or not.

Examples:
  hasp connect example.com                    port 443, system roots
  hasp connect --cafile ~/.config/hasp/ca.pem 127.0.0.1:8443
  hasp connect --tls1.2 --ciphers TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 host:443
  hasp connect --json --quiet host:443 < /dev/null
  hasp connect --dtls --cafile ~/.config/hasp/ca.pem 127.0.0.1:8443
  hasp connect --starttls smtp mail.example.com   port 25, EHLO, STARTTLS, EHLO again
  hasp connect --starttls smtp --policy dane --resolver 127.0.0.1:53 mx.example.com
                                              TLSA records (DNSSEC-validated) decide,
                                              then the domain's MTA-STS policy

Mail policies (RFC 7435, 8461, 7672): opportunistic encrypts whatever the
server offers and reports the verdict without failing on it; mta-sts
fetches the recipient domain's policy (https://mta-sts.DOMAIN/) and, in
enforce mode, requires a listed MX host with a certificate that verifies;
dane looks up _PORT._tcp.HOST TLSA records and, when the resolver validated
them, lets them decide (DANE-EE: the key; DANE-TA: the issuing CA and the
name), else falls back to mta-sts, then opportunistic.

Exit codes:
  0  trusted and done
  1  the handshake failed (an alert, sent or received)
  2  usage
  3  network error
  4  the server is not trusted

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		if fs.NArg() == 0 {
			return usageError(stderr, "connect", "which server? give HOST[:PORT]")
		}
		return usageError(stderr, "connect", "one server at a time, got %d arguments: %s", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	for _, p := range pins {
		if err := checkPin(p); err != nil {
			return usageError(stderr, "connect", "--pin %q: %v", p, err)
		}
	}
	addr := fs.Arg(0)
	var proto starttls.Protocol
	if *starttlsProto != "" {
		proto = starttls.Protocol(strings.ToLower(*starttlsProto))
		if proto.DefaultPort() == "" {
			fmt.Fprintf(stderr, "hasp connect: --starttls %q: want one of %v\n", *starttlsProto, starttls.Protocols)
			return exitUsage
		}
		if *dtlsMode {
			fmt.Fprintln(stderr, "hasp connect: --starttls and --dtls exclude each other")
			return exitUsage
		}
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		defaultPort := "443"
		if proto != "" {
			defaultPort = proto.DefaultPort()
		}
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), defaultPort)
	}
	if err := checkPort(addr); err != nil {
		return usageError(stderr, "connect", "%s: %v", fs.Arg(0), err)
	}
	host, port, _ := net.SplitHostPort(addr)
	cfg := &hasp.Config{ServerName: host, InsecureSkipVerify: *insecure}
	if *servername != "" {
		cfg.ServerName = *servername
	}
	if *alpn != "" {
		cfg.NextProtos = strings.Split(*alpn, ",")
	}
	if *only12 && *only13 {
		fmt.Fprintln(stderr, "hasp connect: --tls1.2 and --tls1.3 exclude each other")
		return exitUsage
	}
	if *only12 {
		cfg.MaxVersion = hasp.VersionTLS12
	}
	if *only13 {
		cfg.MinVersion = hasp.VersionTLS13
	}
	if *groups != "" {
		for _, g := range strings.Split(*groups, ",") {
			id, ok := groupByName(strings.TrimSpace(g))
			if !ok {
				fmt.Fprintf(stderr, "hasp connect: unknown group %q\n", g)
				return exitUsage
			}
			cfg.CurvePreferences = append(cfg.CurvePreferences, id)
		}
		cfg.KeyShares = cfg.CurvePreferences[:1]
	}
	if *ciphers != "" {
		for _, c := range strings.Split(*ciphers, ",") {
			id, ok := suiteByName(strings.TrimSpace(c))
			if !ok {
				fmt.Fprintf(stderr, "hasp connect: unknown cipher suite %q\n", c)
				return exitUsage
			}
			cfg.CipherSuites = append(cfg.CipherSuites, id)
		}
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "hasp connect: --cert and --key go together")
		return exitUsage
	}
	if *certFile != "" {
		c, err := hasp.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
			return exitUsage
		}
		cfg.Certificates = []hasp.Certificate{c}
	}
	// Say what happens when the server asks for a certificate: the
	// user's is sent even when its issuer is not among the CAs the server
	// names (the server decides), with a warning; none given is said.
	var given *hasp.Certificate
	if len(cfg.Certificates) > 0 {
		given = &cfg.Certificates[0]
	}
	cfg.GetClientCertificate = func(cri *hasp.CertificateRequestInfo) (*hasp.Certificate, error) {
		if given == nil {
			fmt.Fprintln(stderr, "  the server asks for a client certificate; none given (--cert FILE --key FILE)")
			return &hasp.Certificate{}, nil
		}
		if len(cri.AcceptableCAs) > 0 && given.Leaf != nil && !issuerListed(given, cri.AcceptableCAs) {
			fmt.Fprintf(stderr, "  warning: the server names %d CAs for client certificates and your --cert's issuer (%s) is not one; sending it anyway\n",
				len(cri.AcceptableCAs), given.Leaf.Issuer)
		}
		return given, nil
	}
	if *keylog != "" {
		f, err := os.OpenFile(*keylog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		cfg.KeyLogWriter = f
	}
	var lastVerdict *trust.Verdict
	if *jsonOut {
		*quiet = true
		// One JSON document, always: on a failure it says what failed,
		// the exit code, and the verdict when there was one.
		out := &watchWriter{w: stdout}
		errs := &lastLineWriter{w: stderr}
		stdout, stderr = out, errs
		defer func() {
			if !out.wrote {
				writeErrorJSON(out.w, addr, code, errs.last(), lastVerdict)
			}
		}()
	}
	policy, err := trust.PolicyByName(*policyName)
	if err != nil {
		fmt.Fprintf(stderr, "hasp connect: %v\n", err)
		return exitUsage
	}
	verifier := &trust.Verifier{Policy: policy, Pins: pins}
	if *knownHosts != "" {
		verifier.KnownHosts = trust.OpenKnownHosts(*knownHosts)
	}
	if *cafile != "" {
		pem, err := os.ReadFile(*cafile)
		if err != nil {
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
			return exitUsage
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "hasp connect: no certificates in %s\n", *cafile)
			return exitUsage
		}
		verifier.Roots = pool
	}
	var mail mailLookups
	if policy.DANE || policy.MTASTS {
		if *insecure {
			fmt.Fprintf(stderr, "hasp connect: --policy %s and --insecure exclude each other\n", policy.Name)
			return exitUsage
		}
		lctx, cancel := context.WithTimeout(ctx, *timeout)
		mail, err = lookupMail(lctx, policy, cfg.ServerName, port, *mailDomain, *resolver, verifier.Roots, *timeout, *quiet, stderr)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
			return exitNetwork
		}
		verifier.MTASTS, verifier.DANE = mail.sts, mail.dane
	}
	if *insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: the server's certificate is NOT verified; anyone on the path can read and change this connection.")
	} else {
		cfg.Trust = verifier
	}
	hostport := net.JoinHostPort(cfg.ServerName, port)
	var trace []traceLine
	if *jsonOut {
		cfg.HandshakeTrace = func(m hasp.HandshakeMessage) {
			dir := "received"
			if m.Sent {
				dir = "sent"
			}
			trace = append(trace, traceLine{dir, m.Name(), m.Summary()})
		}
	}
	if !*quiet {
		cfg.HandshakeTrace = func(m hasp.HandshakeMessage) {
			arrow := "<-"
			if m.Sent {
				arrow = "->"
			}
			fmt.Fprintf(stderr, "  %s %-20s %s\n", arrow, m.Name(), m.Summary())
		}
	}

	if *dtlsMode && *only13 {
		fmt.Fprintln(stderr, "hasp connect: --dtls speaks DTLS 1.2; DTLS 1.3 is not there yet")
		return exitUsage
	}
	var conn connectConn
	for attempt := 0; ; attempt++ {
		var code int
		if *dtlsMode {
			conn, code, err = dialDTLS(ctx, addr, cfg, *timeout, *mtu, stderr)
		} else {
			conn, code, err = dialOnce(ctx, addr, cfg, *timeout, proto, *quiet, mail.requiresTLS(), stderr)
		}
		if err == nil {
			break
		}
		var te *trust.Error
		var cve *hasp.CertificateVerificationError
		if !errors.As(err, &te) || !errors.As(err, &cve) || attempt > 0 {
			return code
		}
		printChain(stderr, cve.UnverifiedCertificates)
		fmt.Fprint(stderr, te.Verdict.String())
		lastVerdict = te.Verdict
		if policy.DANE || policy.MTASTS {
			// The domain's own policy refused the server: no exception
			// or remembered key can stand in for it.
			fmt.Fprintf(stderr, "hasp connect: %s fails the mail policy (%s); a sending MTA would not deliver to it\n", hostport, te.Verdict.Summary)
			return exitUntrusted
		}
		leaf := cve.UnverifiedCertificates[0]
		fix := remedies(te.Verdict, leaf, *knownHosts, verifier.KnownHosts != nil)
		decision := "no"
		switch {
		case *acceptAlways && fix.always == "":
			fmt.Fprintf(stderr, "hasp connect: --accept-always cannot help: %s\n", fix.whyNotAlways)
			return exitUntrusted
		case *acceptAlways:
			decision = "always"
		case isTerminal(stdin):
			var ok bool
			if decision, ok = askCtx(ctx, stdin, stderr, hostport, te.Verdict, fix); !ok {
				return exitInterrupted
			}
		default:
			fmt.Fprintf(stderr, "hasp connect: %s is not trusted (%s).\n", hostport, te.Verdict.Summary)
			fix.hints(stderr, fs.Arg(0))
			return exitUntrusted
		}
		switch decision {
		case "always":
			if err := verifier.KnownHosts.Remember(hostport, trust.SPKIHash(leaf), time.Now()); err != nil {
				fmt.Fprintf(stderr, "hasp connect: %v\n", err)
				return exitUntrusted
			}
			fmt.Fprintf(stderr, "Remembered sha256/%s for %s in %s\n", trust.SPKIHash(leaf), hostport, *knownHosts)
		case "once":
			// This very certificate's key, for this one connection,
			// whatever is wrong with it: a browser's "proceed anyway".
			verifier.Pins = append(verifier.Pins, trust.SPKIHash(leaf))
			verifier.Policy = trust.Policy{Name: "accepted once", Required: [][]string{{trust.CheckPin}}}
		default:
			fmt.Fprintln(stderr, "Not connecting.")
			return exitUntrusted
		}
	}
	defer conn.Close()
	if !*quiet {
		printState(stderr, addr, conn.ConnectionState(), *insecure)
	}
	if *jsonOut {
		writeJSON(stdout, addr, conn.ConnectionState(), trace)
	}

	// Ctrl-C (the context) ends the copying: the connection closes.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-finished:
		}
	}()
	if dc, ok := conn.(*dtls.Conn); ok {
		code := copyDatagrams(dc, stdin, stdout, stderr)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		return code
	}
	hc := conn.(*hasp.Conn)
	done := make(chan struct{})
	go func() {
		io.Copy(hc, stdin)
		hc.CloseWrite()
		close(done)
	}()
	if _, err := io.Copy(stdout, conn); err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "\nhasp connect: interrupted")
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "hasp connect: %v\n", err)
		// In TLS 1.3 a server judges the client's certificate after the
		// client's handshake is done: its alert comes on the first read.
		var ae *hasp.AlertError
		if errors.As(err, &ae) {
			clientCertHint(stderr, err)
			return exitHandshake
		}
		return exitNetwork
	}
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return exitOK
}

// exitInterrupted: Ctrl-C (128 + SIGINT, as shells report it).
const exitInterrupted = 130

// askCtx is ask, given up when ctx ends (Ctrl-C at the prompt).
func askCtx(ctx context.Context, stdin io.Reader, stderr io.Writer, hostport string, v *trust.Verdict, fix remedy) (string, bool) {
	ch := make(chan string, 1)
	go func() { ch <- ask(stdin, stderr, hostport, v, fix) }()
	select {
	case d := <-ch:
		return d, true
	case <-ctx.Done():
		fmt.Fprintln(stderr, "\nhasp connect: interrupted")
		return "no", false
	}
}

// connectConn is a TLS or a DTLS connection.
type connectConn interface {
	net.Conn
	ConnectionState() hasp.ConnectionState
}

// dialDTLS is dialOnce over UDP.
func dialDTLS(ctx context.Context, addr string, cfg *hasp.Config, timeout time.Duration, mtu int, stderr io.Writer) (connectConn, int, error) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dtls.DialContext(hctx, "udp", addr, cfg, dtls.WithMTU(mtu))
	if err != nil {
		var te *trust.Error
		if errors.As(err, &te) {
			return nil, exitUntrusted, err
		}
		fmt.Fprintf(stderr, "hasp connect: DTLS handshake with %s failed: %v\n", addr, err)
		var ae *hasp.AlertError
		if errors.As(err, &ae) {
			return nil, exitHandshake, err
		}
		return nil, exitNetwork, err
	}
	return conn, exitOK, nil
}

// copyDatagrams sends each line of stdin as one datagram (split where a
// line does not fit) and prints what comes back, until stdin ends and
// the peer has been quiet for a second.
func copyDatagrams(c *dtls.Conn, stdin io.Reader, stdout, stderr io.Writer) int {
	inputDone := make(chan struct{})
	go func() {
		defer close(inputDone)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := append(sc.Bytes(), '\n')
			for len(line) > 0 {
				n := min(len(line), c.MaxWrite())
				if _, err := c.Write(line[:n]); err != nil {
					fmt.Fprintf(stderr, "hasp connect: %v\n", err)
					return
				}
				line = line[n:]
			}
		}
	}()
	buf := make([]byte, 1<<16)
	for {
		select {
		case <-inputDone:
			c.SetReadDeadline(time.Now().Add(time.Second))
		default:
		}
		n, err := c.Read(buf)
		if n > 0 {
			stdout.Write(buf[:n])
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) {
				return exitOK
			}
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
			return exitNetwork
		}
	}
}

// dialOnce connects and runs the handshake, reporting failures.
func dialOnce(ctx context.Context, addr string, cfg *hasp.Config, timeout time.Duration, proto starttls.Protocol, quiet bool, requiresTLS string, stderr io.Writer) (connectConn, int, error) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(hctx, "tcp", addr)
	if err != nil {
		if hctx.Err() != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "hasp connect: no TCP connection to %s within %s (--timeout): a firewall that drops packets, or nothing routes there\n", addr, timeout)
		} else {
			fmt.Fprintf(stderr, "hasp connect: %v\n", err)
		}
		return nil, exitNetwork, err
	}
	var conn *hasp.Conn
	if proto != "" {
		var ann *starttls.Announced
		shown := false
		show := func(a *starttls.Announced) {
			if quiet || shown {
				return
			}
			shown = true
			fmt.Fprintf(stderr, "  %s: %s\n", proto, strings.ReplaceAll(a.Banner, "\n", " / "))
			if len(a.Capabilities) > 0 {
				fmt.Fprintf(stderr, "  %s offers: %s\n", proto, strings.Join(a.Capabilities, ", "))
			}
			fmt.Fprintf(stderr, "  %s agreed to upgrade\n", proto)
		}
		conn, ann, err = starttls.UpgradeWith(hctx, proto, raw, cfg, &starttls.Options{BeforeHandshake: show})
		if ann != nil && !quiet {
			show(ann)
			if len(ann.CapabilitiesTLS) > 0 {
				fmt.Fprintf(stderr, "  %s offers over TLS: %s\n", proto, strings.Join(ann.CapabilitiesTLS, ", "))
			}
		}
		if err != nil && conn == nil {
			var re *starttls.RefusedError
			var ue *starttls.UnexpectedError
			if errors.Is(err, starttls.ErrNotOffered) || errors.Is(err, starttls.ErrResponseInjection) || errors.As(err, &re) || errors.As(err, &ue) {
				raw.Close()
				fmt.Fprintf(stderr, "hasp connect: %v\n", err)
				switch {
				case errors.Is(err, starttls.ErrNotOffered) && requiresTLS != "":
					fmt.Fprintf(stderr, "  the policy forbids plaintext here: %s; do not deliver (an attacker on the path who strips the offer looks just like this)\n", requiresTLS)
				case errors.Is(err, starttls.ErrNotOffered):
					fmt.Fprintln(stderr, "  (an attacker on the path who strips the offer looks just like this: do not fall back to plaintext for mail unless your policy says opportunistic)")
				}
				return nil, exitHandshake, err
			}
		}
	} else {
		conn = hasp.Client(raw, cfg)
		err = conn.HandshakeContext(hctx)
	}
	if err != nil {
		raw.Close()
		var te *trust.Error
		if errors.As(err, &te) {
			return nil, exitUntrusted, err
		}
		if hctx.Err() != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "hasp connect: %s accepted the connection but did not finish the handshake within %s (--timeout): is it a TLS port?\n", addr, timeout)
			return nil, exitNetwork, err
		}
		fmt.Fprintf(stderr, "hasp connect: handshake with %s failed: %v\n", addr, err)
		var ae *hasp.AlertError
		if errors.As(err, &ae) {
			clientCertHint(stderr, err)
			return nil, exitHandshake, err
		}
		return nil, exitNetwork, err
	}
	return conn, exitOK, nil
}

// ask puts the decision to the user, like a browser's warning page:
// each choice says what it covers, and one that cannot help is not
// offered.
func ask(stdin io.Reader, stderr io.Writer, hostport string, v *trust.Verdict, fix remedy) string {
	fmt.Fprintf(stderr, "The certificate of %s is not trusted (%s).\n", hostport, v.Summary)
	fmt.Fprintln(stderr, "  [o]nce    connect this time, trusting this certificate's key whatever is wrong with it")
	if fix.always != "" {
		fmt.Fprintf(stderr, "  [a]lways  %s\n", fix.always)
	} else {
		fmt.Fprintf(stderr, "  (always is not offered: %s)\n", fix.whyNotAlways)
	}
	fmt.Fprintln(stderr, "  [N]o      do not connect")
	fmt.Fprint(stderr, "Your choice? ")
	var line []byte
	buf := make([]byte, 1)
	for len(line) < 64 {
		n, err := stdin.Read(buf)
		if n == 0 || err != nil || buf[0] == '\n' {
			break
		}
		line = append(line, buf[0])
	}
	switch strings.ToLower(strings.TrimSpace(string(line))) {
	case "o", "once", "y", "yes":
		return "once"
	case "a", "always":
		if fix.always == "" {
			fmt.Fprintf(stderr, "always cannot help: %s\n", fix.whyNotAlways)
			return "no"
		}
		return "always"
	}
	return "no"
}

// remedy says what the user could do about an untrusted server, and
// only what would work.
type remedy struct {
	always, whyNotAlways string
	pin, whyNotPin       string
	localCA              string
}

func remedies(v *trust.Verdict, leaf *x509.Certificate, knownHostsPath string, haveKnownHosts bool) remedy {
	var r remedy
	failed := map[string]string{}
	for _, c := range v.Checks {
		if c.Outcome == trust.Fail {
			failed[c.Name] = c.Reason
		}
	}
	switch {
	case failed[trust.CheckValidity] != "":
		r.whyNotAlways = "the certificate is outside its validity (" + failed[trust.CheckValidity] + "); remembering its key does not make it valid: renew it on the server"
		r.whyNotPin = r.whyNotAlways
	case failed[trust.CheckKey] != "" || failed[trust.CheckSignature] != "":
		r.whyNotAlways = "its key or signatures are too weak (" + failed[trust.CheckKey] + failed[trust.CheckSignature] + ")"
		r.whyNotPin = r.whyNotAlways
	case failed[trust.CheckName] != "":
		r.whyNotAlways = "it is not valid for this name (" + failed[trust.CheckName] + "); a remembered key stands in for a CA, not for the name"
		r.pin = "sha256/" + trust.SPKIHash(leaf)
	case !haveKnownHosts:
		r.whyNotAlways = "there is no known-hosts file (--known-hosts)"
		r.pin = "sha256/" + trust.SPKIHash(leaf)
	default:
		r.always = "remember this key for this host in " + knownHostsPath + " (a changed key is then refused)"
		r.pin = "sha256/" + trust.SPKIHash(leaf)
	}
	// hasp serve's local CA: the fix is to trust it.
	if d, err := configDir(); err == nil && strings.Contains(leaf.Issuer.String(), "hasp") {
		ca := filepath.Join(d, "ca.pem")
		if b, err := os.ReadFile(ca); err == nil {
			if blk, _ := pem.Decode(b); blk != nil {
				if c, err := x509.ParseCertificate(blk.Bytes); err == nil && leaf.CheckSignatureFrom(c) == nil {
					r.localCA = ca
				}
			}
		}
	}
	return r
}

// hints prints the commands that would work.
func (r remedy) hints(w io.Writer, target string) {
	if r.localCA != "" {
		fmt.Fprintf(w, "  it is issued by hasp's local CA: hasp connect --cafile %s %s\n", r.localCA, target)
	}
	if r.always != "" {
		fmt.Fprintf(w, "  to %s: hasp connect --accept-always %s\n", r.always, target)
	}
	if r.pin != "" {
		fmt.Fprintf(w, "  to trust this key for this connection only: hasp connect --pin %s %s\n", r.pin, target)
	}
	if r.always == "" && r.pin == "" {
		fmt.Fprintf(w, "  no flag fixes this: %s\n", r.whyNotAlways)
	}
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
	printChain(w, st.PeerCertificates)
	switch {
	case insecure:
		fmt.Fprintln(w, "Verification: SKIPPED (--insecure)")
	case st.Verdict != nil:
		fmt.Fprint(w, st.Verdict.String())
	}
	fmt.Fprintln(w, "---")
}

// printChain prints the chain the server sent.
func printChain(w io.Writer, chain []*x509.Certificate) {
	fmt.Fprintln(w, "Server chain:")
	for i, c := range chain {
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
		fmt.Fprintf(w, "    key      %s\n", keyDesc(c.PublicKey))
		fmt.Fprintf(w, "    valid    %s to %s (%s)\n", c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), daysLeft(c.NotAfter))
		fmt.Fprintf(w, "    sha256   %X\n", fp[:])
		fmt.Fprintf(w, "    pin      sha256/%s\n", trust.SPKIHash(c))
	}
}

type traceLine struct {
	Direction string `json:"direction"`
	Message   string `json:"message"`
	Summary   string `json:"summary,omitempty"`
}

type chainJSON struct {
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	Names     []string `json:"names,omitempty"`
	NotBefore string   `json:"not_before"`
	NotAfter  string   `json:"not_after"`
	Key       string   `json:"key"`
	SHA256    string   `json:"sha256"`
	SPKI      string   `json:"spki_sha256"`
}

// chainEntry describes a certificate as the text shows it.
func chainEntry(c *x509.Certificate, names []string) chainJSON {
	fp := sha256.Sum256(c.Raw)
	return chainJSON{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Names: names,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		Key: keyDesc(c.PublicKey), SHA256: fmt.Sprintf("%X", fp), SPKI: trust.SPKIHash(c)}
}

// writeJSON prints everything connect knows as one JSON document.
func writeJSON(w io.Writer, addr string, st hasp.ConnectionState, trace []traceLine) {
	doc := struct {
		Address     string         `json:"address"`
		Protocol    string         `json:"protocol"`
		CipherSuite string         `json:"cipher_suite"`
		KeyExchange string         `json:"key_exchange"`
		Signature   string         `json:"signature"`
		ALPN        string         `json:"alpn,omitempty"`
		Resumed     bool           `json:"resumed"`
		HRR         bool           `json:"hello_retry_request"`
		Handshake   []traceLine    `json:"handshake"`
		Chain       []chainJSON    `json:"chain"`
		Verdict     *trust.Verdict `json:"verdict,omitempty"`
	}{
		Address: addr, Protocol: hasp.VersionName(st.Version), CipherSuite: hasp.CipherSuiteName(st.CipherSuite),
		KeyExchange: st.CurveID.String(), Signature: st.SignatureScheme.String(), ALPN: st.NegotiatedProtocol,
		Resumed: st.DidResume, HRR: st.HelloRetryRequest, Handshake: trace, Verdict: st.Verdict,
	}
	for _, c := range st.PeerCertificates {
		names := append([]string(nil), c.DNSNames...)
		for _, ip := range c.IPAddresses {
			names = append(names, ip.String())
		}
		doc.Chain = append(doc.Chain, chainEntry(c, names))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(doc)
}

var knownGroups = []hasp.CurveID{hasp.X25519MLKEM768, hasp.SecP256r1MLKEM768, hasp.SecP384r1MLKEM1024,
	hasp.X25519, hasp.CurveP256, hasp.CurveP384, hasp.CurveP521}

func groupByName(n string) (hasp.CurveID, bool) {
	for _, g := range knownGroups {
		if strings.EqualFold(g.String(), n) || (n == "P-256" && g == hasp.CurveP256) || (n == "P-384" && g == hasp.CurveP384) || (n == "P-521" && g == hasp.CurveP521) {
			return g, true
		}
	}
	return 0, false
}

var knownSuites = []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9}

func suiteByName(n string) (uint16, bool) {
	for _, id := range knownSuites {
		if strings.EqualFold(hasp.CipherSuiteName(id), n) {
			return id, true
		}
	}
	return 0, false
}

// checkPin accepts what trust.SPKIHash prints, with or without sha256/.
func checkPin(p string) error {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(p, "sha256/"))
	if err != nil || len(b) != 32 {
		return errors.New("want sha256/ and the base64 of 32 bytes, as the verdict prints it (spki_sha256)")
	}
	return nil
}

// defaultStorePath is a file in the user's hasp configuration directory.
func defaultStorePath(name string) string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "hasp", name)
}

// watchWriter notes whether anything was written.
type watchWriter struct {
	w     io.Writer
	wrote bool
}

func (w *watchWriter) Write(b []byte) (int, error) {
	w.wrote = w.wrote || len(b) > 0
	return w.w.Write(b)
}

// lastLineWriter passes writes on and keeps the last "hasp connect:"
// line (the error).
type lastLineWriter struct {
	w   io.Writer
	mu  sync.Mutex
	msg string
}

func (w *lastLineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(l, "hasp connect: "); ok {
			w.msg = m
		}
	}
	w.mu.Unlock()
	return w.w.Write(b)
}

func (w *lastLineWriter) last() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.msg
}

// writeErrorJSON is the document of a connect that failed.
func writeErrorJSON(w io.Writer, addr string, code int, msg string, v *trust.Verdict) {
	if msg == "" && code != exitOK {
		msg = "failed"
	}
	doc := struct {
		Address  string         `json:"address"`
		Error    string         `json:"error,omitempty"`
		ExitCode int            `json:"exit_code"`
		Verdict  *trust.Verdict `json:"verdict,omitempty"`
	}{addr, msg, code, v}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(doc)
}

// clientCertHint explains the alerts a server sends about the client's
// certificate.
func clientCertHint(w io.Writer, err error) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate_required"):
		fmt.Fprintln(w, "  the server requires a client certificate: give one with --cert FILE --key FILE")
	case strings.Contains(msg, "unknown_ca"), strings.Contains(msg, "bad_certificate"), strings.Contains(msg, "certificate_unknown"):
		fmt.Fprintln(w, "  the server refused a certificate: if it was your --cert, it wants one from another CA")
	}
}

// issuerListed: the certificate's chain names one of the CAs.
func issuerListed(c *hasp.Certificate, cas [][]byte) bool {
	for _, ca := range cas {
		if string(ca) == string(c.Leaf.RawIssuer) {
			return true
		}
	}
	return false
}
