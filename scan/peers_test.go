package scan

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testutil"
)

// Real servers configured weak, started on loopback from files in a
// temporary directory, each with the findings the scan must produce.

// weakPKI: a root, an intermediate, and leaves that are wrong in one way
// each (made here with crypto/x509; SHA-1 and RSA-1024 on purpose).
type weakPKI struct {
	dir     string
	root    *x509.Certificate
	rootKey crypto.Signer
	inter   *x509.Certificate
	interK  crypto.Signer
	pool    *x509.CertPool

	leafSerial, ecSerial *big.Int
}

// ocspBoth makes one OCSP response (status good, a week) for the RSA
// and the ECDSA leaf, signed by their issuer, with openssl ocsp in index
// mode: nginx staples one file for every certificate of a server.
func ocspBoth(t *testing.T, p *weakPKI) string {
	openssl := testutil.NeedPeer(t, "openssl")
	dir := t.TempDir()
	index := ""
	for _, sn := range []*big.Int{p.leafSerial, p.ecSerial} {
		hex := strings.ToUpper(sn.Text(16))
		if len(hex)%2 == 1 {
			hex = "0" + hex
		}
		index += "V\t" + time.Now().Add(365*24*time.Hour).UTC().Format("060102150405Z") + "\t\t" + hex + "\tunknown\t/CN=localhost\n"
	}
	os.WriteFile(filepath.Join(dir, "index.txt"), []byte(index), 0o600)
	// Both leaves are CN=localhost.
	os.WriteFile(filepath.Join(dir, "index.txt.attr"), []byte("unique_subject = no\n"), 0o600)
	run := func(args ...string) {
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	inter := filepath.Join(p.dir, "inter.pem")
	run("ocsp", "-issuer", inter, "-cert", filepath.Join(p.dir, "leaf.pem"), "-cert", filepath.Join(p.dir, "ec.pem"), "-no_nonce", "-reqout", "req.der")
	run("ocsp", "-index", "index.txt", "-CA", inter, "-rsigner", inter, "-rkey", filepath.Join(p.dir, "inter.key"), "-reqin", "req.der", "-ndays", "7", "-respout", "resp.der")
	return filepath.Join(dir, "resp.der")
}

// weakPKIMade: the PKI was made (TestMain removes its directory).
var weakPKIMade bool

var weakPKIOnce = sync.OnceValues(func() (*weakPKI, error) {
	weakPKIMade = true
	dir, err := os.MkdirTemp("", "hasp-scan-pki")
	if err != nil {
		return nil, err
	}
	p := &weakPKI{dir: dir}
	key := func(bits int) *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	serial := int64(1)
	make := func(tmpl *x509.Certificate, k *rsa.PrivateKey, parent *x509.Certificate, pk crypto.Signer) *x509.Certificate {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore = time.Now().Add(-time.Hour)
			tmpl.NotAfter = time.Now().Add(365 * 24 * time.Hour)
		}
		if parent == nil {
			parent, pk = tmpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, k.Public(), pk)
		if err != nil {
			panic(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	rk, ik := key(2048), key(2048)
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	p.root, p.rootKey = make(ca("weak test root"), rk, nil, nil), rk
	p.inter, p.interK = make(ca("weak test intermediate"), ik, p.root, rk), ik
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.root)
	leafT := func() *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	}
	write := func(name string, k *rsa.PrivateKey, certs ...*x509.Certificate) {
		var b []byte
		for _, c := range certs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		os.WriteFile(filepath.Join(dir, name+".pem"), b, 0o600)
		kd, _ := x509.MarshalPKCS8PrivateKey(k)
		os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	}
	lk := key(2048)
	leaf := make(leafT(), lk, p.inter, ik)
	os.WriteFile(filepath.Join(dir, "inter.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.inter.Raw}), 0o600)
	write("leaf", lk, leaf)
	write("nochain", lk, leaf)
	exp := leafT()
	exp.NotBefore, exp.NotAfter = time.Now().Add(-400*24*time.Hour), time.Now().Add(-35*24*time.Hour)
	write("expired", lk, make(exp, lk, p.inter, ik))
	sha1 := leafT()
	sha1.SignatureAlgorithm = x509.SHA1WithRSA
	write("sha1", lk, make(sha1, lk, p.inter, ik))
	k1024 := key(1024)
	write("rsa1024", k1024, make(leafT(), k1024, p.inter, ik))
	sk := key(2048)
	write("selfsigned", sk, make(leafT(), sk, nil, nil))
	// An ECDSA leaf too (nginx serves both), and the intermediate's key
	// to sign OCSP responses with.
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	et := leafT()
	et.SerialNumber = big.NewInt(serial)
	et.KeyUsage = x509.KeyUsageDigitalSignature
	et.NotBefore, et.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, et, p.inter, ek.Public(), ik)
	if err != nil {
		return nil, err
	}
	ec, _ := x509.ParseCertificate(der)
	ekd, _ := x509.MarshalPKCS8PrivateKey(ek)
	os.WriteFile(filepath.Join(dir, "ec.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ec.Raw}), 0o600)
	os.WriteFile(filepath.Join(dir, "ec.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ekd}), 0o600)
	ikd, _ := x509.MarshalPKCS8PrivateKey(ik)
	os.WriteFile(filepath.Join(dir, "inter.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ikd}), 0o600)
	p.leafSerial, p.ecSerial = leaf.SerialNumber, ec.SerialNumber
	return p, nil
})

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func waitListen(t *testing.T, addr string) {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}

// startProcess runs a server until the test ends, stopped by its PID.
func startProcess(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	log := filepath.Join(t.TempDir(), "server.log")
	f, _ := os.Create(log)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM first: a master process (nginx) takes its workers
		// down with it, which SIGKILL would leave behind.
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("%s log:\n%.3000s", filepath.Base(name), b)
		}
	})
}

// weakOpenSSL starts openssl s_server: TLS 1.0 to 1.3, 'ALL' suites at
// security level 0 (CBC, RSA key exchange, Camellia, ARIA), 1024-bit DH,
// no extended master secret (s_server has no switch: an OPENSSL_CONF of
// its own), client renegotiation allowed, the given certificate.
func weakOpenSSL(t *testing.T, cert, ciphers string) string {
	openssl := testutil.NeedPeer(t, "openssl")
	p, err := weakPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dh := filepath.Join(p.dir, "dh1024.pem")
	if _, err := os.Stat(dh); err != nil {
		if out, err := exec.Command(openssl, "dhparam", "-out", dh, "1024").CombinedOutput(); err != nil {
			t.Fatalf("dhparam: %v\n%s", err, out)
		}
	}
	conf := filepath.Join(dir, "openssl.cnf")
	os.WriteFile(conf, []byte("openssl_conf = init\n[init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = sys\n[sys]\nOptions = -ExtendedMasterSecret\n"), 0o600)
	port := freePort(t)
	args := []string{"s_server", "-accept", "127.0.0.1:" + port, "-www",
		"-cipher", ciphers, "-groups", "X25519:P-256:P-384:secp224r1:brainpoolP256r1",
		"-cert", filepath.Join(p.dir, cert+".pem"), "-key", filepath.Join(p.dir, cert+".key"),
		"-dhparam", dh, "-client_renegotiation"}
	if cert != "nochain" && cert != "selfsigned" {
		args = append(args, "-cert_chain", filepath.Join(p.dir, "inter.pem"))
	}
	startProcess(t, []string{"OPENSSL_CONF=" + conf}, openssl, args...)
	addr := "127.0.0.1:" + port
	waitListen(t, addr)
	return addr
}

// defaultOpenSSL starts openssl s_server with its defaults and a good
// chain.
func defaultOpenSSL(t *testing.T) string {
	openssl := testutil.NeedPeer(t, "openssl")
	p, err := weakPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	startProcess(t, nil, openssl, "s_server", "-accept", "127.0.0.1:"+port, "-www",
		"-cert", filepath.Join(p.dir, "leaf.pem"), "-key", filepath.Join(p.dir, "leaf.key"), "-cert_chain", filepath.Join(p.dir, "inter.pem"))
	addr := "127.0.0.1:" + port
	waitListen(t, addr)
	return addr
}

func scanWeak(t *testing.T, addr string) *Report {
	p, _ := weakPKIOnce()
	opts := fastOpts()
	opts.Roots = p.pool
	r := Scan(context.Background(), addr, opts)
	if r.Error != "" {
		t.Fatalf("scan: %s", r.Error)
	}
	return r
}

func TestScanWeakOpenSSL(t *testing.T) {
	addr := weakOpenSSL(t, "leaf", "ALL:!aNULL:@SECLEVEL=0")
	r := scanWeak(t, addr)
	if got := strings.Join(supported(r), ","); got != "TLS 1.0,TLS 1.1,TLS 1.2,TLS 1.3" {
		t.Errorf("versions %s", got)
	}
	for _, id := range []string{"tls10", "tls11", "rsa-kx", "weak-dh", "no-ems", "beast", "fallback-scsv", "secure-renegotiation"} {
		if !hasFinding(r, id) {
			t.Errorf("no finding %q", id)
		}
	}
	if !slices.Contains(suiteNames(r, "TLS 1.0"), "TLS_RSA_WITH_AES_128_CBC_SHA") || !slices.Contains(suiteNames(r, "TLS 1.2"), "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384") {
		t.Errorf("TLS 1.0 suites %v\nTLS 1.2 suites %v", suiteNames(r, "TLS 1.0"), suiteNames(r, "TLS 1.2"))
	}
	dh := false
	for _, vs := range r.Suites {
		for _, s := range vs.Suites {
			dh = dh || s.Kx == "DHE 1024"
		}
	}
	if !dh || r.Grade.Letter != "B" || r.Grade.KeyExchange != 80 {
		t.Errorf("DHE 1024 seen %v; grade %s, key exchange %d\n%s", dh, r.Grade.Letter, r.Grade.KeyExchange, text(r))
	}
	if len(r.Certificates) != 1 || !r.Certificates[0].Verdict.Trusted || r.Certificates[0].ChainProblem != "" {
		t.Errorf("certificate: %s", text(r))
	}

	// With the anonymous suites 'ALL' includes: F.
	r = scanWeak(t, weakOpenSSL(t, "leaf", "ALL:@SECLEVEL=0"))
	if !hasFinding(r, "anon") || r.Grade.Letter != "F" {
		t.Errorf("anonymous suites: grade %s\n%v", r.Grade.Letter, r.Grade.Why)
	}
}

// One certificate problem at a time.
func TestScanWeakCertificates(t *testing.T) {
	for _, tc := range []struct {
		cert, finding, grade string
	}{
		{"selfsigned", "cert1-untrusted", "T"},
		{"expired", "cert1-expired", "T"},
		{"sha1", "cert1-sha1", "T"},
		// package trust refuses RSA keys under 2048 bits: T.
		{"rsa1024", "cert1-weak-key", "T"},
		{"nochain", "cert1-chain", "T"},
	} {
		t.Run(tc.cert, func(t *testing.T) {
			r := scanWeak(t, weakOpenSSL(t, tc.cert, "ECDHE:!eNULL:@SECLEVEL=0"))
			if !hasFinding(r, tc.finding) || r.Grade.Letter != tc.grade {
				t.Errorf("grade %s (want %s), finding %s: %v\n%s", r.Grade.Letter, tc.grade, tc.finding, hasFinding(r, tc.finding), text(r))
			}
			if tc.cert == "nochain" && !strings.Contains(r.Certificates[0].ChainProblem, "does not send the certificate of its issuer (weak test intermediate)") {
				t.Errorf("chain problem %q", r.Certificates[0].ChainProblem)
			}
		})
	}
}

// nginx from Debian with two certificates (RSA and ECDSA), OCSP stapling
// from a file, and HSTS.
func TestScanNginx(t *testing.T) {
	nginx := testutil.NeedPeer(t, "nginx")
	p, err := weakPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	resp := ocspBoth(t, p)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tmp"), 0o755)
	chain := func(name string) string {
		out := filepath.Join(dir, name+"-chain.pem")
		a, _ := os.ReadFile(filepath.Join(p.dir, name+".pem"))
		b, _ := os.ReadFile(filepath.Join(p.dir, "inter.pem"))
		os.WriteFile(out, append(a, b...), 0o600)
		return out
	}
	port := freePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte(`worker_processes 1;
pid `+dir+`/nginx.pid;
error_log `+dir+`/error.log info;
events { worker_connections 128; }
http {
    access_log `+dir+`/access.log;
    client_body_temp_path `+dir+`/tmp/body;
    proxy_temp_path `+dir+`/tmp/proxy;
    fastcgi_temp_path `+dir+`/tmp/fastcgi;
    uwsgi_temp_path `+dir+`/tmp/uwsgi;
    scgi_temp_path `+dir+`/tmp/scgi;
    default_type text/plain;
    server {
        listen 127.0.0.1:`+port+` ssl;
        server_name localhost;
        ssl_certificate `+chain("leaf")+`;
        ssl_certificate_key `+filepath.Join(p.dir, "leaf.key")+`;
        ssl_certificate `+chain("ec")+`;
        ssl_certificate_key `+filepath.Join(p.dir, "ec.key")+`;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_stapling on;
        ssl_stapling_file `+resp+`;
        add_header Strict-Transport-Security "max-age=63072000" always;
        location / { return 200 "hello from nginx\n"; }
    }
}
`), 0o644)
	startProcess(t, nil, nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf, "-g", "daemon off;")
	addr := "127.0.0.1:" + port
	waitListen(t, addr)
	r := scanWeak(t, addr)
	var kinds []string
	for _, c := range r.Certificates {
		kinds = append(kinds, c.KeyType)
		if !c.OCSPStapled || !c.Verdict.Trusted {
			t.Errorf("%s: stapled %v, trusted %v: %s", c.KeyType, c.OCSPStapled, c.Verdict.Trusted, c.Verdict)
		}
		if o, _ := c.Verdict.Check("ocsp"); o.Outcome.String() != "pass" {
			t.Errorf("%s: OCSP check %v: %s", c.KeyType, o.Outcome, o.Reason)
		}
	}
	if strings.Join(kinds, ",") != "ECDSA P-256,RSA 2048" {
		t.Errorf("certificates %v", kinds)
	}
	if r.HTTP == nil || !strings.Contains(r.HTTP.HSTS, "max-age=63072000") || !hasFinding(r, "hsts") {
		t.Errorf("HTTP %+v", r.HTTP)
	}
	if got := strings.Join(supported(r), ","); got != "TLS 1.2,TLS 1.3" {
		t.Errorf("versions %s", got)
	}
	// nginx's default suites (HIGH:!aNULL:!MD5) include RSA key
	// exchange and CBC: B.
	if !hasFinding(r, "rsa-kx") || r.Grade.Letter != "B" {
		t.Errorf("grade %s\n%s", r.Grade.Letter, text(r))
	}
}

// gnutls-serv with its NORMAL priorities.
func TestScanGnuTLS(t *testing.T) {
	gnutls := testutil.NeedPeer(t, "gnutls-serv")
	p, err := weakPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(t.TempDir(), "chain.pem")
	a, _ := os.ReadFile(filepath.Join(p.dir, "ec.pem"))
	b, _ := os.ReadFile(filepath.Join(p.dir, "inter.pem"))
	os.WriteFile(chain, append(a, b...), 0o600)
	port := freePort(t)
	startProcess(t, nil, gnutls, "--http", "--port", port, "--x509certfile", chain, "--x509keyfile", filepath.Join(p.dir, "ec.key"))
	addr := "127.0.0.1:" + port
	waitListen(t, addr)
	r := scanWeak(t, addr)
	// Debian's NORMAL priorities still have TLS 1.0 and 1.1.
	if got := strings.Join(supported(r), ","); got != "TLS 1.0,TLS 1.1,TLS 1.2,TLS 1.3" {
		t.Errorf("versions %s", got)
	}
	var groups []string
	for _, g := range r.Groups {
		if g.TLS13 {
			groups = append(groups, g.Name)
		}
	}
	for _, want := range []string{"x25519", "secp256r1", "ffdhe2048"} {
		if !slices.Contains(groups, want) {
			t.Errorf("TLS 1.3 groups %v lack %s", groups, want)
		}
	}
	if len(r.Certificates) != 1 || !r.Certificates[0].Verdict.Trusted || !hasFinding(r, "ems") {
		t.Errorf("%s", text(r))
	}
	if r.Grade.Letter != "B" || !hasFinding(r, "tls10") {
		t.Errorf("gnutls-serv grades %s: %v", r.Grade.Letter, r.Grade.Why)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if p, err := weakPKIOnce(); err == nil && p != nil && weakPKIMade {
		os.RemoveAll(p.dir)
	}
	os.Exit(code)
}
