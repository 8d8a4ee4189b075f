package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
)

type connKey struct{}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8443", "address to listen on")
	certFile := fs.String("cert", "", "certificate chain (PEM); default: a self-signed ECDSA certificate made at start")
	keyFile := fs.String("key", "", "private key (PEM) for --cert")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hasp serve [flags]\n\nServes HTTPS (HTTP/1.1) over hasp's TLS 1.3. Each page states what that very\nconnection negotiated.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "hasp serve: --cert and --key go together")
		return 2
	}
	var cert hasp.Certificate
	var err error
	if *certFile != "" {
		cert, err = hasp.LoadX509KeyPair(*certFile, *keyFile)
	} else {
		cert, err = selfSigned()
	}
	if err != nil {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	cfg := &hasp.Config{Certificates: []hasp.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	ln, err := hasp.Listen("tcp", *addr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	fp := sha256.Sum256(cert.Certificate[0])
	fmt.Fprintf(stdout, "hasp serve: listening on https://%s/\n", ln.Addr())
	fmt.Fprintf(stdout, "certificate: %s, SHA-256 %X\n", cert.Leaf.Subject.CommonName, fp)
	if *certFile == "" {
		fmt.Fprintln(stdout, "(self-signed, made at start: clients need --insecure, curl -k, or to trust it)")
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(page),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ErrorLog: nil,
	}
	go func() {
		<-ctx.Done()
		fmt.Fprintln(stdout, "hasp serve: shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "hasp serve: %v\n", err)
		return 1
	}
	return 0
}

// selfSigned makes an ECDSA P-256 certificate for localhost and the
// loopback addresses.
func selfSigned() (hasp.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return hasp.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"hasp serve (self-signed)"}},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return hasp.Certificate{}, err
	}
	leaf, _ := x509.ParseCertificate(der)
	return hasp.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func page(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return
	}
	c, _ := r.Context().Value(connKey{}).(*hasp.Conn)
	if c == nil {
		http.Error(w, "not a hasp connection", http.StatusInternalServerError)
		return
	}
	st := c.ConnectionState()
	rows := [][2]string{
		{"Protocol", hasp.VersionName(st.Version)},
		{"Cipher suite", hasp.CipherSuiteName(st.CipherSuite)},
		{"Key exchange", st.CurveID.String()},
		{"Signature", st.SignatureScheme.String()},
		{"ALPN", orNone(st.NegotiatedProtocol)},
		{"SNI", orNone(st.ServerName)},
		{"HelloRetryRequest", fmt.Sprint(st.HelloRetryRequest)},
		{"Resumed", fmt.Sprint(st.DidResume)},
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>hasp: this connection</title></head><body>\n<h1>This connection</h1>\n<table>\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><th align=left>%s</th><td>%s</td></tr>\n", html.EscapeString(r[0]), html.EscapeString(r[1]))
	}
	b.WriteString("</table>\n</body></html>\n")
	io.WriteString(w, b.String())
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
