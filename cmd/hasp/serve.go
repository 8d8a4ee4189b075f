package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/acme"
	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/hasphttp"
	"github.com/hasp-tls/hasp/internal/lockpanel"
	"github.com/hasp-tls/hasp/internal/ratelog"
	"github.com/hasp-tls/hasp/store"
)

var clientAuthModes = map[string]hasp.ClientAuthType{
	"none":               hasp.NoClientCert,
	"request":            hasp.RequestClientCert,
	"require":            hasp.RequireAnyClientCert,
	"verify-if-given":    hasp.VerifyClientCertIfGiven,
	"require-and-verify": hasp.RequireAndVerifyClientCert,
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8443", "address to listen on")
	certFile := fs.String("cert", "", "certificate chain (PEM); default: a leaf from hasp's local CA")
	keyFile := fs.String("key", "", "private key (PEM) for --cert")
	echo := fs.Bool("echo", false, "raw TLS echo server (no HTTP)")
	dir := fs.String("dir", "", "serve the files of this directory (the lock panel stays at /.well-known/hasp)")
	redirect := fs.String("redirect-http", "", "also answer plain HTTP on this address with a permanent redirect to https")
	clientAuth := fs.String("client-auth", "none", "client certificates: none, request, require, verify-if-given, require-and-verify")
	clientCA := fs.String("client-ca", "", "CA certificates (PEM) that verify client certificates")
	only12 := fs.Bool("tls1.2", false, "TLS 1.2 only")
	only13 := fs.Bool("tls1.3", false, "TLS 1.3 only")
	keylog := fs.String("keylog", "", "append TLS secrets to this file (NSS key log format, for Wireshark)")
	dtlsMode := fs.Bool("dtls", false, "DTLS 1.2 echo service on UDP --addr (each datagram echoed; a summary line per connection)")
	mtu := fs.Int("mtu", dtls.DefaultMTU, "with --dtls: the largest datagram to send")
	hsts := fs.Duration("hsts", 0, "send Strict-Transport-Security with this max-age (e.g. 8760h); off by default, since browsers keep it per host name, for every port")
	storeURL := fs.String("store", "", "share TLS state with the other servers of a fleet: redis://[:password@]host:port/db (every value sealed with the key in $HASP_STORE_KEY_FILE or $HASP_STORE_KEY), or a directory; shared are session-ticket keys and, with --acme, the account, certificates and order locks")
	ticketRotation := fs.Duration("ticket-rotation", 24*time.Hour, "with --store: how often the fleet makes a new session-ticket key (the last 4 still open tickets)")
	var names multiFlag
	acmeOn := fs.Bool("acme", false, "get certificates from an ACME CA (Let's Encrypt by default) for the --domain names, and keep them renewed")
	var domains multiFlag
	fs.Var(&domains, "domain", "with --acme: a name to hold a certificate for; may repeat")
	acmeCA := fs.String("acme-ca", acme.LetsEncrypt, "with --acme: the CA's ACME directory URL")
	acmeCACert := fs.String("acme-ca-cert", "", "with --acme: CA certificates (PEM) to trust for the ACME directory's own HTTPS (a test CA such as Pebble)")
	acmeEmail := fs.String("email", "", "with --acme: contact address for the account")
	acmeHTTP := fs.String("acme-http", ":80", "with --acme: address for HTTP-01 challenges (and redirects to https); empty: TLS-ALPN-01 only")
	fs.Var(&names, "name", "with the local CA: a DNS name the certificate is also valid for (besides localhost); may repeat")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: hasp serve [flags]

Serves HTTPS over hasp (TLS 1.3 and 1.2). Every page shows what that very
connection negotiated; the same as JSON at /.well-known/hasp.json.

With no --cert, hasp makes a local CA on first run (in %s) and issues a
certificate for localhost, 127.0.0.1 and ::1 from it: trust the CA once and
browsers and tools trust every hasp serve after.

Examples:
  hasp serve                                  the lock panel on https://127.0.0.1:8443/
  hasp serve --dir ./site --redirect-http 127.0.0.1:8080
  hasp serve --echo --tls1.2                  a raw TLS 1.2 echo server
  hasp serve --dtls                           a DTLS 1.2 echo service on udp 127.0.0.1:8443
  hasp serve --client-auth require-and-verify --client-ca clients.pem

Flags:
`, displayConfigDir())
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return usageError(stderr, "serve", "unexpected argument %q (serve takes only flags)", fs.Arg(0))
	}
	if *dir != "" {
		if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
			return usageError(stderr, "serve", "--dir %s: not a directory to serve", *dir)
		}
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "hasp serve: --cert and --key go together")
		return 2
	}
	if *acmeOn && (len(domains) == 0 || *certFile != "" || len(names) > 0 || *dtlsMode) {
		fmt.Fprintln(stderr, "hasp serve: --acme needs at least one --domain, and excludes --cert, --name and --dtls")
		return 2
	}
	if !*acmeOn && len(domains) > 0 {
		fmt.Fprintln(stderr, "hasp serve: --domain goes with --acme")
		return 2
	}
	if len(names) > 0 && *certFile != "" {
		fmt.Fprintln(stderr, "hasp serve: --name names the local CA's certificate; with --cert the names are the certificate's own")
		return 2
	}
	mode, ok := clientAuthModes[*clientAuth]
	if !ok {
		fmt.Fprintf(stderr, "hasp serve: --client-auth %q: want none, request, require, verify-if-given or require-and-verify\n", *clientAuth)
		return 2
	}
	if (mode == hasp.VerifyClientCertIfGiven || mode == hasp.RequireAndVerifyClientCert) && *clientCA == "" {
		return usageError(stderr, "serve", "--client-auth %s verifies client certificates: give the CA that issues them with --client-ca FILE (or use --client-auth require to take any)", *clientAuth)
	}
	if *only12 && *only13 {
		fmt.Fprintln(stderr, "hasp serve: --tls1.2 and --tls1.3 exclude each other")
		return 2
	}

	var cert hasp.Certificate
	var ca *localCA
	var err error
	var shared store.Store
	if *storeURL != "" {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		shared, err = store.Open(octx, *storeURL)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "hasp serve: --store: %v\n", err)
			return 2
		}
	}
	var mgr *acme.Manager
	if *acmeOn {
		mgr, err = acmeManager(*acmeCA, *acmeCACert, *acmeEmail, domains, stderr)
		if err == nil && shared != nil {
			mgr.Store = shared
		}
	} else if *certFile != "" {
		cert, err = hasp.LoadX509KeyPair(*certFile, *keyFile)
	} else {
		var d string
		if d, err = configDir(); err == nil {
			var created bool
			if ca, created, err = loadOrCreateCA(d); err == nil {
				if created {
					fmt.Fprintf(stdout, "hasp serve: made a local CA in %s\n", ca.certPath)
				}
				cert, err = ca.issueLeaf(names...)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	// The lock panel shows what each browser offered.
	cfg := &hasp.Config{Certificates: []hasp.Certificate{cert}, ClientAuth: mode, KeepClientHello: true}
	if !*echo {
		cfg.NextProtos = hasphttp.NextProtos
	}
	var tickets *store.TicketKeys
	if shared != nil {
		tickets = &store.TicketKeys{Store: shared, Apply: cfg.SetSessionTicketKeys, Rotation: *ticketRotation,
			Logf: func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }}
		if _, ok := shared.(*store.Redis); ok {
			// TLS 1.2 clients that resume by session ID resume on any
			// member too (sessions sealed in Redis, expiring).
			cfg.SessionIDStore = store.SessionIDs{Store: shared, TTL: 24 * time.Hour}
		}
		if err := tickets.Sync(ctx); err != nil || !tickets.Have() {
			// Never seal tickets with a key the fleet cannot open.
			cfg.SessionTicketsDisabled = true
			fmt.Fprintf(stderr, "hasp serve: no shared ticket keys (%v): session tickets are off until a restart\n", err)
		}
	}
	if mgr != nil {
		cfg.Certificates = nil
		cfg.GetCertificate = mgr.GetCertificate
		// TLS-ALPN-01 (RFC 8737) is answered on this very port.
		cfg.NextProtos = append(cfg.NextProtos, acme.ALPNProto)
	}
	if *only12 {
		cfg.MaxVersion = hasp.VersionTLS12
	}
	if *only13 {
		cfg.MinVersion = hasp.VersionTLS13
	}
	if *clientCA != "" {
		pem, err := os.ReadFile(*clientCA)
		if err != nil {
			fmt.Fprintf(stderr, "hasp serve: %v\n", err)
			return 2
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "hasp serve: no certificates in %s\n", *clientCA)
			return 2
		}
	}
	if *keylog != "" {
		f, err := os.OpenFile(*keylog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "hasp serve: %v\n", err)
			return 1
		}
		defer f.Close()
		cfg.KeyLogWriter = f
		fmt.Fprintf(stderr, "WARNING: --keylog: TLS secrets go to %s; anyone with it can read the traffic.\n", *keylog)
	}
	if *dtlsMode {
		if *only13 {
			fmt.Fprintln(stderr, "hasp serve: --dtls speaks DTLS 1.2; DTLS 1.3 is not there yet")
			return 2
		}
		return serveDTLS(ctx, *addr, cfg, *mtu, cert, stdout, stderr)
	}
	ln, err := hasp.Listen("tcp", *addr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	// The redirect port is taken before anything is announced: a busy
	// address is an error, not a banner followed by an exit.
	var rl net.Listener
	if *redirect != "" {
		if rl, err = net.Listen("tcp", *redirect); err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "hasp serve: --redirect-http: %v\n", err)
			return 1
		}
	}
	url := "https://" + ln.Addr().String() + "/"
	if *echo {
		url = "tls://" + ln.Addr().String() + "/"
		fmt.Fprintf(stdout, "hasp serve: TLS echo (not HTTP) listening on %s\n", url)
	} else {
		fmt.Fprintf(stdout, "hasp serve: listening on %s\n", url)
	}
	if rl != nil {
		fmt.Fprintf(stdout, "redirecting http://%s/ to https\n", rl.Addr())
	}
	if tickets != nil {
		fmt.Fprintf(stdout, "fleet store: %s; ticket keys shared, a new one every %s\n", redactURL(*storeURL), *ticketRotation)
		go tickets.Run(ctx, min(*ticketRotation/4, time.Minute))
	}
	if mgr != nil {
		fmt.Fprintf(stdout, "certificates: from %s for %s (kept in %s), renewed at two thirds of their life\n", *acmeCA, strings.Join(domains, ", "), acmeDir())
		if *acmeHTTP != "" {
			hl, err := net.Listen("tcp", *acmeHTTP)
			if err != nil {
				fmt.Fprintf(stderr, "hasp serve: --acme-http: %v (give another address, or --acme-http '' for TLS-ALPN-01 only)\n", err)
				return 1
			}
			hsrv := &http.Server{Handler: mgr.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second}
			go hsrv.Serve(hl)
			go func() { <-ctx.Done(); hsrv.Close() }()
			fmt.Fprintf(stdout, "HTTP-01 challenges on http://%s/\n", hl.Addr())
		}
		mgr.Logf = func(format string, args ...any) { fmt.Fprintf(stdout, "acme: "+format+"\n", args...) }
		go mgr.Run(ctx, time.Minute)
	} else {
		fp := sha256.Sum256(cert.Certificate[0])
		fmt.Fprintf(stdout, "certificate: %s, SHA-256 %X\n", cert.Leaf.Subject.CommonName, fp)
	}
	if ca != nil {
		cafp := sha256.Sum256(ca.cert.Raw)
		fmt.Fprintf(stdout, "local CA: %s (SHA-256 %X)\n", ca.certPath, cafp)
		if *echo {
			fmt.Fprintf(stdout, "try it:   hasp connect --cafile %s %s\n", ca.certPath, ln.Addr())
		} else {
			fmt.Fprintf(stdout, "trust it: curl --cacert %s %s\n", ca.certPath, url)
		}
		fmt.Fprintln(stdout, "          hasp cert trust   (Chromium's and Firefox's databases, and the system store as root; hasp cert untrust undoes it)")
	}

	// One line per connection or request, stamped with the time.
	logger := log.New(stampWriter{stdout}, "", 0)
	if *echo {
		return serveEcho(ctx, ln, logger, stdout, stderr)
	}
	var handler http.Handler = lockpanel.HandlerWith(*dir, lockpanel.Facts{TicketLifetime: cfg.TicketLifetime, IdleTimeout: 60 * time.Second, MaxSessionAge: cfg.MaxSessionAge})
	if *hsts > 0 {
		value := fmt.Sprintf("max-age=%d", int64(hsts.Seconds()))
		inner := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Strict-Transport-Security", value)
			inner.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{
		Handler:           lockpanel.AccessLog(logger, handler),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		// Failed handshakes and server errors go to the access log.
		ErrorLog: logger,
	}
	var redirectSrv *http.Server
	if rl != nil {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		redirectSrv = &http.Server{Handler: redirectHandler(port), ReadHeaderTimeout: 10 * time.Second}
		go redirectSrv.Serve(rl)
	}
	go func() {
		<-ctx.Done()
		fmt.Fprintln(stdout, "hasp serve: shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		if redirectSrv != nil {
			redirectSrv.Shutdown(sctx)
		}
	}()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	if err := hasphttp.Serve(ln, srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	return 0
}

// redactURL hides a password in a store URL.
func redactURL(s string) string {
	if u, err := neturl.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

func acmeDir() string {
	if d, err := configDir(); err == nil {
		return filepath.Join(d, "acme")
	}
	return "acme"
}

// acmeManager makes the Manager of hasp serve --acme, storing in the
// config directory.
func acmeManager(dir, caCert, email string, domains []string, stderr io.Writer) (*acme.Manager, error) {
	for _, d := range domains {
		if net.ParseIP(d) != nil || !strings.Contains(d, ".") {
			return nil, fmt.Errorf("--domain %q: a public DNS name is needed (ACME CAs do not issue for IP addresses or bare names)", d)
		}
	}
	hc := &http.Client{Timeout: time.Minute}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificates in %s", caCert)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	return &acme.Manager{DirectoryURL: dir, Email: email, Domains: domains, Store: acme.DirStore(acmeDir()), HTTPClient: hc}, nil
}

func displayConfigDir() string {
	if d, err := configDir(); err == nil {
		return d
	}
	return "the user's config directory"
}

// redirectHandler answers plain HTTP with a permanent redirect to the
// same path over https (a server that forces https).
func redirectHandler(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			host = "localhost"
		}
		http.Redirect(w, r, "https://"+net.JoinHostPort(host, httpsPort)+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// serveEcho echoes each connection back to itself.
func serveEcho(ctx context.Context, ln net.Listener, logger *log.Logger, stdout, stderr io.Writer) int {
	failed := ratelog.Handshakes(logger.Printf)
	defer failed.Flush()
	go func() {
		<-ctx.Done()
		fmt.Fprintln(stdout, "hasp serve: shutting down")
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return 0
			}
			fmt.Fprintf(stderr, "hasp serve: %v\n", err)
			return 1
		}
		go func() {
			defer c.Close()
			hc := c.(*hasp.Conn)
			hc.SetDeadline(time.Now().Add(5 * time.Minute))
			if err := hc.Handshake(); err != nil {
				failed.Event(ratelog.HandshakeReason(err), fmt.Sprintf("hasp: TLS handshake error from %s: %v", c.RemoteAddr(), err))
				return
			}
			st := hc.ConnectionState()
			logger.Printf("%s %s %s %s", c.RemoteAddr(), hasp.VersionName(st.Version), hasp.CipherSuiteName(st.CipherSuite), st.CurveID)
			io.Copy(c, c)
		}()
	}
}

// stampWriter prefixes each write (one log line) with the time.
type stampWriter struct{ w io.Writer }

func (s stampWriter) Write(p []byte) (int, error) {
	if _, err := fmt.Fprintf(s.w, "%s %s", time.Now().Format(time.RFC3339), p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// serveDTLS runs the DTLS echo service: every peer answers a cookie
// first, then each datagram it sends comes back; one summary line per
// connection, as the lock panel shows it.
func serveDTLS(ctx context.Context, addr string, cfg *hasp.Config, mtu int, cert hasp.Certificate, stdout, stderr io.Writer) int {
	ln, err := dtls.Listen("udp", addr, cfg, dtls.WithMTU(mtu))
	if err != nil {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "hasp serve: DTLS 1.2 echo on udp %s (MTU %d)\n", ln.Addr(), mtu)
	fp := sha256.Sum256(cert.Certificate[0])
	fmt.Fprintf(stdout, "certificate: %s, SHA-256 %X\n", cert.Leaf.Subject.CommonName, fp)
	fmt.Fprintf(stdout, "try: hasp connect --dtls %s   or: openssl s_client -dtls1_2 -connect %s\n", ln.Addr(), ln.Addr())
	logger := log.New(stampWriter{stdout}, "", 0)
	failed := ratelog.Handshakes(logger.Printf)
	defer failed.Flush()
	go func() {
		<-ctx.Done()
		fmt.Fprintln(stdout, "hasp serve: shutting down")
		ln.Close()
	}()
	for {
		c, err := ln.AcceptDTLS()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return 0
			}
			fmt.Fprintf(stderr, "hasp serve: %v\n", err)
			return 1
		}
		go func() {
			defer c.Close()
			if err := c.Handshake(); err != nil {
				failed.Event(ratelog.HandshakeReason(err), fmt.Sprintf("hasp: DTLS handshake error from %s: %v", c.RemoteAddr(), err))
				return
			}
			logger.Print(dtlsSummary(c))
			buf := make([]byte, 1<<14)
			for {
				c.SetReadDeadline(time.Now().Add(5 * time.Minute))
				n, err := c.Read(buf)
				if err != nil {
					logger.Printf("%s closed: %v", c.RemoteAddr(), err)
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					logger.Printf("%s: %v", c.RemoteAddr(), err)
					return
				}
			}
		}()
	}
}

// dtlsSummary is one line on what a DTLS connection negotiated.
func dtlsSummary(c *dtls.Conn) string {
	st := c.ConnectionState()
	resumed := "full handshake"
	if st.DidResume {
		resumed = "resumed"
	}
	client := "no client certificate"
	if len(st.PeerCertificates) > 0 {
		client = "client " + st.PeerCertificates[0].Subject.String()
	}
	return fmt.Sprintf("%s %s %s %s, %s, ALPN %s, %s", c.RemoteAddr(), hasp.VersionName(st.Version),
		hasp.CipherSuiteName(st.CipherSuite), st.CurveID, resumed, orNone(st.NegotiatedProtocol), client)
}
