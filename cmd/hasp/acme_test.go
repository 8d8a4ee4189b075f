package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/dnstest"
	"github.com/hasp-tls/hasp/internal/testutil"
)

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hasp serve --acme against Pebble in this process: Pebble's validator
// resolves the name through a loopback DNS server and validates on the
// ports hasp serve listens on; the certificate then serves clients.
func TestServeACME(t *testing.T) {
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "10")
	name := "serve.hasp.test"
	dns := dnstest.Start(t)
	dns.Set(name, dnsmessage.TypeA, dnstest.Answer{A: []net.IP{net.IPv4(127, 0, 0, 1)}})
	dns.Set(name, dnsmessage.TypeAAAA, dnstest.Answer{Empty: true})
	tlsPort, httpPort := freeTCPPort(t), freeTCPPort(t)
	logger := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	front := wfe.New(logger, store, va.New(logger, httpPort, tlsPort, false, dns.Addr, store), authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	defer srv.Close()
	caCert := filepath.Join(t.TempDir(), "pebble-https.pem")
	os.WriteFile(caCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	root := authority.GetRootCert(0)

	_, out := startServe(t, "--addr", "127.0.0.1:"+strconv.Itoa(tlsPort), "--acme", "--domain", name,
		"--acme-ca", srv.URL+"/dir", "--acme-ca-cert", caCert, "--email", "ops@hasp.test", "--acme-http", "127.0.0.1:"+strconv.Itoa(httpPort))
	for end := time.Now().Add(60 * time.Second); !strings.Contains(out.String(), "certificate for "+name+" issued"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no certificate after a minute:\n%s", out)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	c, err := hasp.Dial("tcp", "127.0.0.1:"+strconv.Itoa(tlsPort), &hasp.Config{ServerName: name, RootCAs: pool})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	defer c.Close()
	leaf := c.ConnectionState().PeerCertificates[0]
	if leaf.DNSNames[0] != name {
		t.Errorf("served %v", leaf.DNSNames)
	}
	// The certificate is in the config directory, key 0600.
	st, err := os.Stat(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "acme", "certs", name+".pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("stored certificate: %v %v", err, st)
	}
	for _, want := range []string{"certificates: from " + srv.URL + "/dir for " + name, "HTTP-01 challenges on http://127.0.0.1:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve output lacks %q:\n%s", want, out)
		}
	}
}

func TestServeACMEUsage(t *testing.T) {
	for _, args := range [][]string{{"--acme"}, {"--domain", "a.example"}, {"--acme", "--domain", "127.0.0.1"}, {"--acme", "--domain", "a.example", "--cert", "x.pem", "--key", "x.key"}} {
		var stdout, stderr testutil.SyncBuffer
		code := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), nil, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "--") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr.String())
		}
	}
}

// Two members on one Redis store: A orders the certificate, B serves the
// same one without ordering again.
func TestServeACMEFleet(t *testing.T) {
	r := startRedis(t)
	var key [32]byte
	rand.Read(key[:])
	t.Setenv("HASP_STORE_KEY", hex.EncodeToString(key[:]))
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	name := "fleet.hasp.test"
	dns := dnstest.Start(t)
	dns.Set(name, dnsmessage.TypeA, dnstest.Answer{A: []net.IP{net.IPv4(127, 0, 0, 1)}})
	dns.Set(name, dnsmessage.TypeAAAA, dnstest.Answer{Empty: true})
	tlsPort := freeTCPPort(t)
	logger := log.New(io.Discard, "", 0)
	mem := db.NewMemoryStore()
	authority := ca.New(logger, mem, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	front := wfe.New(logger, mem, va.New(logger, freeTCPPort(t), tlsPort, false, dns.Addr, mem), authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	defer srv.Close()
	caCert := filepath.Join(t.TempDir(), "pebble-https.pem")
	os.WriteFile(caCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	common := []string{"--acme", "--domain", name, "--acme-ca", srv.URL + "/dir", "--acme-ca-cert", caCert, "--acme-http", "", "--store", r.url()}

	_, outA := startServe(t, append([]string{"--addr", "127.0.0.1:" + strconv.Itoa(tlsPort)}, common...)...)
	for end := time.Now().Add(60 * time.Second); !strings.Contains(outA.String(), "certificate for "+name+" issued"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("member A got no certificate:\n%s", outA)
		}
	}
	// B keeps its account and certificates in its own config directory
	// were it not for the store: give it another one to be sure.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	addrB, outB := startServe(t, common...)
	pool := x509.NewCertPool()
	pool.AddCert(authority.GetRootCert(0).Cert)
	serial := func(addr string) string {
		c, err := hasp.Dial("tcp", addr, &hasp.Config{ServerName: name, RootCAs: pool})
		if err != nil {
			t.Fatalf("%s: %v\nA:\n%s\nB:\n%s", addr, err, outA, outB)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	if a, b := serial("127.0.0.1:"+strconv.Itoa(tlsPort)), serial(addrB); a != b {
		t.Errorf("members serve different certificates: %s and %s", a, b)
	}
	if strings.Contains(outB.String(), "issued") {
		t.Errorf("member B ordered again:\n%s", outB)
	}
}
