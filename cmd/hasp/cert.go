package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/atomicfile"
)

const certUsage = `Usage:
  hasp cert ca                          create (or show) the local CA, where it is and how to trust it
  hasp cert issue [flags] NAME...       issue a certificate from the local CA for DNS names and IPs
      --rsa N        an RSA key of N bits (2048, 3072, 4096) instead of ECDSA P-256
      --ed25519      an Ed25519 key
      --days N       validity in days (default 30, at most 825)
      --client       a client certificate (clientAuth) instead of a server one
      --out PREFIX   write PREFIX.pem and PREFIX-key.pem (default: the first name)
      --force        replace files that exist
  hasp cert trust [--no-system]         trust the local CA in Chromium's and Firefox's NSS databases and the system store
  hasp cert untrust [--no-system]       and take it out again
  hasp cert show [--json] FILE|HOST[:PORT]  decode a PEM or DER file, or a live server's chain (port 443 by default)

Examples:
  hasp cert issue localhost 127.0.0.1            writes localhost.pem and localhost-key.pem
  hasp cert issue --rsa 3072 --days 30 api.test
  hasp cert issue --client alice                 a client certificate
  hasp cert show example.pem
  hasp cert show --json 127.0.0.1:8443
`

func certCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, certUsage)
		return exitUsage
	}
	switch args[0] {
	case "ca":
		d, err := configDir()
		if err == nil {
			var ca *localCA
			var created bool
			if ca, created, err = loadOrCreateCA(d); err == nil {
				if created {
					fmt.Fprintf(stdout, "made a local CA in %s\n", ca.certPath)
				} else {
					fmt.Fprintf(stdout, "the local CA is %s (its key beside it)\n", ca.certPath)
				}
				showCert(stdout, ca.cert)
				fmt.Fprintf(stdout, "trust it: curl --cacert %s ...; hasp connect --cafile %s ...\n", ca.certPath, ca.certPath)
				fmt.Fprintf(stdout, "          certutil -d sql:$HOME/.pki/nssdb -N --empty-password   (once, if ~/.pki/nssdb does not exist)\n")
				fmt.Fprintf(stdout, "          certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n hasp-local-ca -i %s   (Chromium, Firefox)\n", ca.certPath)
				return exitOK
			}
		}
		fmt.Fprintf(stderr, "hasp cert ca: %v\n", err)
		return 1
	case "issue":
		return certIssue(args[1:], stdout, stderr)
	case "trust":
		return certTrust(args[1:], true, stdout, stderr)
	case "untrust":
		return certTrust(args[1:], false, stdout, stderr)
	case "show":
		return certShow(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, certUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "hasp cert: unknown subcommand %q\n\n%s", args[0], certUsage)
	return exitUsage
}

func certIssue(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cert issue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rsaBits := fs.Int("rsa", 0, "an RSA key of this many bits (2048, 3072 or 4096) instead of ECDSA P-256")
	useEd := fs.Bool("ed25519", false, "an Ed25519 key instead of ECDSA P-256")
	days := fs.Int("days", 30, "validity in days")
	client := fs.Bool("client", false, "a client certificate (clientAuth) instead of a server one")
	out := fs.String("out", "", "file name prefix (default: the first name)")
	force := fs.Bool("force", false, "replace files that exist")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	names := fs.Args()
	if len(names) == 0 {
		return usageError(stderr, "cert", "issue: name at least one DNS name or IP address")
	}
	for _, n := range names {
		if net.ParseIP(n) == nil && !validDNSName(n) {
			return usageError(stderr, "cert", "issue: %q is neither a DNS name (letters, digits, hyphens, dots; a leading *. for a wildcard) nor an IP address", n)
		}
	}
	if *rsaBits != 0 && *rsaBits != 2048 && *rsaBits != 3072 && *rsaBits != 4096 {
		fmt.Fprintln(stderr, "hasp cert issue: --rsa takes 2048, 3072 or 4096")
		return exitUsage
	}
	if *days < 1 || *days > 825 {
		fmt.Fprintln(stderr, "hasp cert issue: --days between 1 and 825")
		return exitUsage
	}
	d, err := configDir()
	var ca *localCA
	if err == nil {
		ca, _, err = loadOrCreateCA(d)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hasp cert issue: %v\n", err)
		return 1
	}
	var key crypto.Signer
	switch {
	case *rsaBits != 0:
		key, err = rsa.GenerateKey(rand.Reader, *rsaBits)
	case *useEd:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hasp cert issue: %v\n", err)
		return 1
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Duration(*days) * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if *client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if !*client || strings.Contains(n, ".") {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		fmt.Fprintf(stderr, "hasp cert issue: %v\n", err)
		return 1
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		fmt.Fprintf(stderr, "hasp cert issue: %v\n", err)
		return 1
	}
	prefix := *out
	if prefix == "" {
		prefix = strings.NewReplacer(":", "_", "/", "_", "*", "wildcard").Replace(names[0])
	}
	if !*force {
		for _, f := range []string{prefix + ".pem", prefix + "-key.pem"} {
			if _, err := os.Stat(f); err == nil {
				return usageError(stderr, "cert", "issue: %s exists; --force replaces it, --out PREFIX writes elsewhere", f)
			}
		}
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})...)
	if err := atomicfile.Write(prefix+".pem", chain, 0o644); err != nil {
		fmt.Fprintf(stderr, "hasp cert issue: %v\n", err)
		return 1
	}
	if err := atomicfile.Write(prefix+"-key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		fmt.Fprintf(stderr, "hasp cert issue: %v\n", err)
		return 1
	}
	leaf, _ := x509.ParseCertificate(der)
	fmt.Fprintf(stdout, "wrote %s.pem (with the CA) and %s-key.pem\n", prefix, prefix)
	showCert(stdout, leaf)
	return exitOK
}

func certShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cert show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "cert", "show: one FILE or HOST[:PORT]")
	}
	arg := fs.Arg(0)
	var certs []*x509.Certificate
	data, err := os.ReadFile(arg)
	if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(arg, "/\\") && !strings.HasSuffix(arg, ".pem") && !strings.HasSuffix(arg, ".crt") && !strings.HasSuffix(arg, ".der") {
		// Not a file, and it looks like a host: a server's chain.
		if _, _, splitErr := net.SplitHostPort(arg); splitErr != nil {
			arg = net.JoinHostPort(strings.Trim(arg, "[]"), "443")
		}
	}
	if err == nil {
		certs, err = parseCerts(data)
		if err != nil {
			fmt.Fprintf(stderr, "hasp cert show: %s: %v\n", arg, err)
			return 1
		}
	} else if _, _, splitErr := net.SplitHostPort(arg); splitErr == nil {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		host, _, _ := net.SplitHostPort(arg)
		c, err := (&hasp.Dialer{Config: &hasp.Config{ServerName: host, InsecureSkipVerify: true}}).DialContext(dctx, "tcp", arg)
		if err != nil {
			fmt.Fprintf(stderr, "hasp cert show: %v\n", err)
			return exitNetwork
		}
		certs = c.(*hasp.Conn).ConnectionState().PeerCertificates
		c.Close()
	} else {
		fmt.Fprintf(stderr, "hasp cert show: %v\n", err)
		return 1
	}
	if *asJSON {
		var out []chainJSON
		for _, c := range certs {
			names := append([]string(nil), c.DNSNames...)
			for _, ip := range c.IPAddresses {
				names = append(names, ip.String())
			}
			out = append(out, chainEntry(c, names))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return exitOK
	}
	for i, c := range certs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		showCert(stdout, c)
	}
	return exitOK
}

// parseCerts reads PEM (any number of CERTIFICATE blocks) or one DER
// certificate.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		return out, nil
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, errors.New("neither PEM certificates nor a DER certificate")
	}
	return []*x509.Certificate{c}, nil
}

func showCert(w io.Writer, c *x509.Certificate) {
	fmt.Fprintf(w, "subject    %s\n", c.Subject)
	fmt.Fprintf(w, "issuer     %s\n", c.Issuer)
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) > 0 {
		fmt.Fprintf(w, "names      %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "valid      %s to %s (%s)\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), daysLeft(c.NotAfter))
	fmt.Fprintf(w, "key        %s\n", keyDesc(c.PublicKey))
	fmt.Fprintf(w, "signature  %s\n", c.SignatureAlgorithm)
	if c.IsCA {
		fmt.Fprintln(w, "ca         yes")
	}
	fp := sha256.Sum256(c.Raw)
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	fmt.Fprintf(w, "sha256     %X\n", fp)
	fmt.Fprintf(w, "spki       sha256/%s\n", b64(spki[:]))
}

func keyDesc(k any) string {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// validDNSName: labels of letters, digits and hyphens (RFC 1123), an
// optional leading "*." wildcard, 253 bytes at most.
func validDNSName(n string) bool {
	n = strings.TrimPrefix(n, "*.")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// daysLeft says how long a certificate has, in words.
func daysLeft(notAfter time.Time) string {
	d := time.Until(notAfter)
	switch days := int(d.Hours() / 24); {
	case d < 0:
		ago := int(-d.Hours() / 24)
		if ago == 0 {
			return "expired today"
		}
		return fmt.Sprintf("EXPIRED %d day%s ago", ago, plural(ago))
	case days == 0:
		return fmt.Sprintf("%d hours left", int(d.Hours()))
	default:
		return fmt.Sprintf("%d day%s left", days, plural(days))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
