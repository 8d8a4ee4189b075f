package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/dnstest"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/starttls"
	"github.com/hasp-tls/hasp/trust"
)

// hasp connect --starttls smtp --policy mta-sts|dane: the policy host is
// hasp serve (local CA, --name mta-sts.example.test), the DNS answers come
// from an in-process resolver on loopback, and the MX is a small SMTP
// server on the starttls helper.

// mxServer answers SMTP sessions until the test ends; offer says whether
// EHLO lists STARTTLS.
func mxServer(t *testing.T, cert hasp.Certificate, offer bool) string {
	ehlo := "250-mx.example.test\r\n250 SIZE 1000000\r\n"
	if offer {
		ehlo = "250-mx.example.test\r\n250 STARTTLS\r\n"
	}
	return smtpServer(t, cert, smtpScript{
		greeting: "220 mx.example.test ESMTP\r\n", ehlo: ehlo,
		ehloTLS: "250-mx.example.test\r\n250 SIZE 1000000\r\n", quit: "221 bye\r\n", startTLS: offer,
	})
}

// smtpScript is what smtpServer answers: its greeting, EHLO before and
// after STARTTLS (whether STARTTLS is taken at all), QUIT; 502 to the rest.
type smtpScript struct {
	greeting, ehlo, ehloTLS, quit string
	startTLS                      bool
}

// smtpServer answers SMTP sessions on loopback until the test ends.
func smtpServer(t *testing.T, cert hasp.Certificate, sc smtpScript) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &hasp.Config{Certificates: []hasp.Certificate{cert}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				var rw io.ReadWriter = c
				r := bufio.NewReader(c)
				io.WriteString(rw, sc.greeting)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(l)); {
					case strings.HasPrefix(cmd, "EHLO") && rw == io.ReadWriter(c):
						io.WriteString(rw, sc.ehlo)
					case strings.HasPrefix(cmd, "EHLO"):
						io.WriteString(rw, sc.ehloTLS)
					case cmd == "STARTTLS" && sc.startTLS:
						tc, _, err := starttls.ServeSMTP(c, r, cfg)
						if err != nil {
							return
						}
						rw, r = tc, bufio.NewReader(tc)
					case cmd == "QUIT":
						io.WriteString(rw, sc.quit)
						if tc, ok := rw.(*hasp.Conn); ok {
							tc.Close()
						}
						return
					default:
						io.WriteString(rw, "502 no\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func certOf(l *testcerts.Leaf) hasp.Certificate {
	return hasp.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
}

func TestConnectMTASTS(t *testing.T) {
	// The policy host: hasp serve with its local CA.
	site := t.TempDir()
	os.MkdirAll(filepath.Join(site, ".well-known"), 0o755)
	policyFile := filepath.Join(site, ".well-known", "mta-sts.txt")
	writePolicy := func(mode, mx string) {
		os.WriteFile(policyFile, []byte("version: STSv1\r\nmode: "+mode+"\r\nmx: "+mx+"\r\nmax_age: 86400\r\n"), 0o644)
	}
	writePolicy("enforce", "*.example.test")
	serveAddr, _ := startServe(t, "--dir", site, "--name", "mta-sts.example.test")
	_, servePort, _ := net.SplitHostPort(serveAddr)
	old := policyHostAddr
	policyHostAddr = func(addr string) string {
		if addr == "mta-sts.example.test:443" {
			return "mta-sts.example.test:" + servePort
		}
		return addr
	}
	t.Cleanup(func() { policyHostAddr = old })

	dns := dnstest.Start(t)
	dns.Set("_mta-sts.example.test", dnsmessage.TypeTXT, dnstest.Answer{TXT: []string{"v=spf1 -all", "v=STSv1; id=20261130"}})
	dns.Set("mta-sts.example.test", dnsmessage.TypeA, dnstest.Answer{A: []net.IP{net.IPv4(127, 0, 0, 1)}})
	dns.Set("mta-sts.example.test", dnsmessage.TypeAAAA, dnstest.Answer{Empty: true})

	// The MX hosts: one with a certificate from a CA the client trusts,
	// one self-signed, one that does not offer STARTTLS.
	mxCA := testcerts.NewCA("mx CA")
	good := mxServer(t, certOf(mxCA.Issue(testcerts.P256, "mx.example.test")), true)
	selfCA := testcerts.NewCA("self")
	untrusted := mxServer(t, certOf(selfCA.Issue(testcerts.P256, "mx.example.test")), true)
	plain := mxServer(t, certOf(mxCA.Issue(testcerts.P256, "mx.example.test")), false)
	localCA, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	os.WriteFile(roots, append(localCA, mxCA.PEM()...), 0o600)

	mail := func(addr string, extra ...string) (int, string) {
		args := append([]string{"--starttls", "smtp", "--policy", "mta-sts", "--resolver", dns.Addr, "--cafile", roots,
			"--servername", "mx.example.test", "--known-hosts", ""}, extra...)
		code, _, stderr := connectTo(t, "QUIT\r\n", append(args, addr)...)
		return code, stderr
	}
	expect := func(name string, code, want int, stderr string, wants ...string) {
		t.Helper()
		if code != want {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, want, stderr)
			return
		}
		for _, w := range wants {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: no %q in\n%s", name, w, stderr)
			}
		}
	}

	code, out := mail(good)
	expect("enforce, listed MX, good certificate", code, exitOK, out,
		"recipient domain example.test (from the host", "MTA-STS: example.test policy 20261130: mode enforce, mx *.example.test",
		"MTA-STS enforce decides: all required checks pass", "[ok  ] mta-sts     mx.example.test matches *.example.test")
	code, out = mail(untrusted)
	expect("enforce, untrusted certificate", code, exitUntrusted, out, "NOT TRUSTED", "[FAIL] mta-sts", "requires a certificate that verifies")
	code, out = mail(plain)
	expect("enforce, STARTTLS stripped", code, exitHandshake, out, "the policy forbids plaintext here: example.test's MTA-STS policy in enforce mode")

	writePolicy("enforce", "*.other.test")
	code, out = mail(good)
	expect("enforce, MX not listed", code, exitUntrusted, out, "mx.example.test is not an MX host example.test's policy allows (*.other.test)")

	writePolicy("testing", "mx.example.test")
	code, out = mail(untrusted)
	expect("testing, untrusted certificate", code, exitOK, out, "MTA-STS testing (reported, not enforced)", "[warn] mta-sts     mode testing, so not enforced")

	// A domain without a policy: opportunistic.
	code, out = mail(untrusted, "--mail-domain", "nopolicy.test")
	expect("no policy", code, exitOK, out, "MTA-STS: mta-sts: no policy for nopolicy.test", "on "+dns.Addr, "no DANE or MTA-STS policy applies: UNAUTHENTICATED")
}

func TestConnectDANE(t *testing.T) {
	dns := dnstest.Start(t)
	self := testcerts.NewCA("self").Issue(testcerts.P256, "mx.example.test")
	other := testcerts.NewCA("other").Issue(testcerts.P256, "mx.example.test")
	addr := mxServer(t, certOf(self), true)
	_, port, _ := net.SplitHostPort(addr)
	name := "_" + port + "._tcp.mx.example.test"
	tlsa := func(c *testcerts.Leaf) [][]byte {
		r := trust.TLSARecord(3, 1, 1, c.Cert)
		return [][]byte{append([]byte{r.Usage, r.Selector, r.MatchingType}, r.Data...)}
	}
	mail := func() (int, string) {
		code, _, stderr := connectTo(t, "QUIT\r\n", "--starttls", "smtp", "--policy", "dane", "--resolver", dns.Addr,
			"--servername", "mx.example.test", "--known-hosts", "", addr)
		return code, stderr
	}
	for _, tc := range []struct {
		name   string
		answer dnstest.Answer
		code   int
		wants  []string
	}{
		{"DANE-EE match, validated", dnstest.Answer{AD: true, TLSA: tlsa(self)}, exitOK,
			[]string{"DANE: 1 validated TLSA records at " + name, "DANE-EE(3) SPKI(1) SHA2-256(1)", "DANE decides (validated TLSA records): all required checks pass", "[FAIL] chain"}},
		{"DANE-EE mismatch", dnstest.Answer{AD: true, TLSA: tlsa(other)}, exitUntrusted,
			[]string{"NOT TRUSTED", "[FAIL] dane", "none of the 1 usable TLSA records", "fails the mail policy"}},
		{"not validated", dnstest.Answer{TLSA: tlsa(other)}, exitOK,
			[]string{"NOT validated by the resolver (no AD bit): ignored", "no DANE or MTA-STS policy applies: UNAUTHENTICATED"}},
		{"SERVFAIL", dnstest.Answer{RCode: dnsmessage.RCodeServerFailure}, exitNetwork,
			[]string{"RFC 7672 2.2", "do not deliver to mx.example.test"}},
	} {
		dns.Set(name, dnstest.TypeTLSA, tc.answer)
		code, out := mail()
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.code, out)
			continue
		}
		for _, w := range tc.wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no %q in\n%s", tc.name, w, out)
			}
		}
	}
}
