package acme

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/dnstest"
)

// Pebble (Let's Encrypt's test CA) runs in this process on loopback. Its
// validation authority really validates: it resolves the names through
// a DNS server of the test (every name is 127.0.0.1) and connects to the
// HTTP-01 and TLS-ALPN-01 ports the test serves with the Manager.

type pebble struct {
	dir    string
	client *http.Client
	roots  *x509.CertPool
	dns    *dnstest.Server
	logs   *syncBuf
	// answering is the Manager behind the HTTP-01 and TLS-ALPN-01
	// ports (nil: nobody answers, the validation fails).
	answering atomic.Pointer[Manager]
	// alpnHellos counts handshakes that offered only acme-tls/1 and got
	// a challenge certificate.
	alpnHellos atomic.Int32
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func startPebble(t *testing.T, nonceReject int) *pebble {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", strconv.Itoa(nonceReject))
	// Every order is validated afresh (Pebble reuses half of the valid
	// authorizations by default).
	t.Setenv("PEBBLE_AUTHZREUSE", "0")
	p := &pebble{logs: &syncBuf{}, dns: dnstest.Start(t)}
	httpLn, tlsLn := listen(t), listen(t)
	p.serve(httpLn, tlsLn)
	logger := log.New(p.logs, "pebble ", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpLn.Addr().(*net.TCPAddr).Port, tlsLn.Addr().(*net.TCPAddr).Port, false, p.dns.Addr, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	mgmt := httptest.NewTLSServer(front.ManagementHandler())
	t.Cleanup(mgmt.Close)
	p.dir = srv.URL + "/dir"
	p.client = srv.Client()
	p.client.Timeout = 30 * time.Second
	resp, err := mgmt.Client().Get(mgmt.URL + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p.roots = x509.NewCertPool()
	if !p.roots.AppendCertsFromPEM(root) {
		t.Fatalf("Pebble's root: %q", root)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Pebble's log:\n%s", p.logs)
		}
	})
	return p
}

// name makes a test name resolve to 127.0.0.1 for Pebble's VA.
func (p *pebble) name(n string) string {
	p.dns.Set(n, dnsmessage.TypeA, dnstest.Answer{A: []net.IP{net.IPv4(127, 0, 0, 1)}})
	p.dns.Set(n, dnsmessage.TypeAAAA, dnstest.Answer{Empty: true})
	return n
}

// serve answers HTTP-01 (HTTP) and TLS-ALPN-01 (hasp) for whichever
// Manager is answering.
func (p *pebble) serve(httpLn, tlsLn net.Listener) {
	srv := &http.Server{ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := p.answering.Load(); m != nil {
			m.HTTPHandler(nil).ServeHTTP(w, r)
			return
		}
		http.Error(w, "nobody answers", http.StatusServiceUnavailable)
	})}
	go srv.Serve(httpLn)
	cfg := &hasp.Config{NextProtos: []string{"h2", "http/1.1", ALPNProto}, GetCertificate: func(h *hasp.ClientHelloInfo) (*hasp.Certificate, error) {
		if m := p.answering.Load(); m != nil {
			c, err := m.GetCertificate(h)
			if err == nil && len(h.SupportedProtos) == 1 && h.SupportedProtos[0] == ALPNProto {
				p.alpnHellos.Add(1)
			}
			return c, err
		}
		return nil, errors.New("nobody answers")
	}}
	ln := hasp.NewListener(tlsLn, cfg)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.(*hasp.Conn).Handshake()
				io.Copy(io.Discard, c)
			}()
		}
	}()
}

func (p *pebble) manager(t *testing.T, store Store, challenge string, names ...string) (*Manager, *syncBuf) {
	logs := &syncBuf{}
	m := &Manager{DirectoryURL: p.dir, Email: "ops@hasp.test", Domains: names, Store: store, HTTPClient: p.client,
		Challenges: []string{challenge}, RetryBase: 10 * time.Millisecond,
		Logf: func(f string, a ...any) { logs.Write([]byte(fmt.Sprintf(f, a...) + "\n")) }}
	p.answering.Store(m)
	return m, logs
}

func (p *pebble) verify(t *testing.T, c *hasp.Certificate, name string) {
	t.Helper()
	inter := x509.NewCertPool()
	for _, der := range c.Certificate[1:] {
		x, _ := x509.ParseCertificate(der)
		inter.AddCert(x)
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: p.roots, Intermediates: inter, DNSName: name}); err != nil {
		t.Fatalf("certificate for %s does not verify to Pebble's root: %v", name, err)
	}
}

func TestPebbleHTTP01(t *testing.T) {
	p := startPebble(t, 20)
	dir := t.TempDir()
	name := p.name("http01.hasp.test")
	m, logs := p.manager(t, DirStore(dir), HTTP01, name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := m.Certificate(ctx, name)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	p.verify(t, c, name)
	if !strings.Contains(p.logs.String(), "Attempting to validate w/ HTTP") {
		t.Errorf("Pebble's log shows no HTTP-01 validation")
	}
	// Keys in the store are 0600; the certificate file holds key and
	// chain, and a new Manager (a restart) serves it without the CA.
	for _, f := range []string{"account.key", "certs/" + name + ".pem"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, err, st)
		}
	}
	acct, _ := os.ReadFile(filepath.Join(dir, "account.key"))
	restarted := &Manager{DirectoryURL: "https://127.0.0.1:1/dir", Domains: []string{name}, Store: DirStore(dir)}
	c2, err := restarted.GetCertificate(&hasp.ClientHelloInfo{ServerName: name})
	if err != nil || c2.Leaf.SerialNumber.Cmp(c.Leaf.SerialNumber) != 0 {
		t.Fatalf("after a restart: %v", err)
	}
	// A renewal after the restart uses the stored account.
	m2, logs2 := p.manager(t, DirStore(dir), HTTP01, name)
	m2.Now = func() time.Time { return renewAt(c.Leaf).Add(time.Second) }
	m2.Maintain(ctx)
	c3 := m2.cached(name)
	if c3 == nil || c3.Leaf.SerialNumber.Cmp(c.Leaf.SerialNumber) == 0 {
		t.Fatalf("no renewal after two thirds of the lifetime\n%s", logs2)
	}
	if acct2, _ := os.ReadFile(filepath.Join(dir, "account.key")); string(acct2) != string(acct) {
		t.Error("the account key changed")
	}
	// Names not in Domains are not issued on demand.
	if _, err := m.GetCertificate(&hasp.ClientHelloInfo{ServerName: "other.hasp.test"}); err == nil {
		t.Error("a name outside Domains got a certificate")
	}
}

// TLS-ALPN-01: Pebble's VA connects to the TLS port offering only
// acme-tls/1, and hasp's handshake answers with the challenge
// certificate (RFC 8737); then the same port serves the issued
// certificate to ordinary clients.
func TestPebbleTLSALPN01(t *testing.T) {
	p := startPebble(t, 20)
	name := p.name("alpn.hasp.test")
	m, logs := p.manager(t, DirStore(t.TempDir()), TLSALPN01, name)
	// On demand: the first handshake for the name orders it.
	c, err := m.GetCertificate(&hasp.ClientHelloInfo{ServerName: name, SupportedProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	p.verify(t, c, name)
	if p.alpnHellos.Load() == 0 {
		t.Errorf("Pebble's validator never got a challenge certificate over acme-tls/1")
	}
	// No challenge pending: a validator's hello gets an error, not the
	// real certificate.
	if _, err := m.GetCertificate(&hasp.ClientHelloInfo{ServerName: name, SupportedProtos: []string{ALPNProto}}); err == nil {
		t.Error("acme-tls/1 hello answered with no challenge pending")
	}
}

// Pebble refuses (the challenge cannot be validated: nobody answers),
// the Manager keeps the certificate it has, backs off, and recovers once
// the port answers again; a quarter of the nonces are rejected
// throughout.
func TestPebbleFailureAndRecovery(t *testing.T) {
	p := startPebble(t, 25)
	name := p.name("retry.hasp.test")
	m, logs := p.manager(t, DirStore(t.TempDir()), HTTP01, name)
	now := time.Now()
	m.Now = func() time.Time { return now }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m.Maintain(ctx)
	first := m.cached(name)
	if first == nil {
		t.Fatalf("no certificate\n%s", logs)
	}
	// Renewal time, and nobody answers HTTP-01.
	p.answering.Store(nil)
	now = renewAt(first.Leaf).Add(time.Minute)
	m.Maintain(ctx)
	if c := m.cached(name); c != first {
		t.Fatal("the certificate in use changed while renewal failed")
	}
	if !strings.Contains(logs.String(), "keeping the current one") {
		t.Fatalf("failure not logged:\n%s", logs)
	}
	m.mu.Lock()
	failures, next := m.certs[name].failures, m.certs[name].nextTry
	m.mu.Unlock()
	if failures != 1 || !next.After(now) {
		t.Fatalf("failures %d, next try %v (now %v)", failures, next, now)
	}
	// Before the backoff ends nothing is tried; after, it recovers.
	p.answering.Store(m)
	m.Maintain(ctx)
	if m.cached(name) != first {
		t.Fatal("retried before the backoff ended")
	}
	now = next.Add(time.Second)
	m.Maintain(ctx)
	if c := m.cached(name); c == first || c.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) == 0 {
		t.Fatalf("not recovered:\n%s", logs)
	}
	// Within 7 days of the end with renewal failing: a warning.
	p.answering.Store(nil)
	cur := m.cached(name)
	now = cur.Leaf.NotAfter.Add(-6 * 24 * time.Hour)
	m.Maintain(ctx)
	if !strings.Contains(logs.String(), "WARNING: the certificate for "+name+" expires") {
		t.Errorf("no expiry warning:\n%s", logs)
	}
	if m.cached(name) != cur {
		t.Error("the certificate in use was dropped")
	}
}
