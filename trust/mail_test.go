package trust

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/hasp-tls/hasp/internal/dnstest"
)

// MTA-STS (RFC 8461) and DANE for SMTP (RFC 7672).

func TestParseSTSPolicy(t *testing.T) {
	p, err := ParseSTSPolicy([]byte("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\nfuture: ignored\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != STSEnforce || p.MaxAge != 7*24*time.Hour || strings.Join(p.MX, ",") != "mail.example.com,*.example.net,backupmx.example.com" {
		t.Fatalf("parsed %+v", p)
	}
	// LF alone, spaces around values, mode none needs no mx.
	if p, err := ParseSTSPolicy([]byte("version:STSv1\nmode:  none\nmax_age: 0\n")); err != nil || p.Mode != STSNone {
		t.Fatalf("mode none: %+v %v", p, err)
	}
	// Of a repeated key other than mx, the first counts.
	if p, err := ParseSTSPolicy([]byte("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 60\n")); err != nil || p.Mode != STSTesting {
		t.Fatalf("repeated mode: %+v %v", p, err)
	}
	for name, body := range map[string]string{
		"no version":      "mode: enforce\nmx: a.example\nmax_age: 60\n",
		"version 2":       "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 60\n",
		"no mode":         "version: STSv1\nmx: a.example\nmax_age: 60\n",
		"bad mode":        "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 60\n",
		"no max_age":      "version: STSv1\nmode: enforce\nmx: a.example\n",
		"max_age > 1y":    "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",
		"max_age -1":      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
		"max_age huge":    "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999999999999999\n",
		"no mx":           "version: STSv1\nmode: enforce\nmax_age: 60\n",
		"mx with space":   "version: STSv1\nmode: enforce\nmx: a b.example\nmax_age: 60\n",
		"mx inner *":      "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 60\n",
		"not key: value":  "version: STSv1\nmode enforce\n",
		"html error page": "<html><body>Not here</body></html>\n",
		"over 64 KiB":     "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\n" + strings.Repeat("x: y\n", 14000),
	} {
		if p, err := ParseSTSPolicy([]byte(body)); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
}

func TestParseSTSRecord(t *testing.T) {
	for txt, want := range map[string]string{
		"v=STSv1; id=20160831085700Z;":           "20160831085700Z",
		"v=STSv1;id=abc":                         "abc",
		"v=STSv1; ext=1; id=X1 ":                 "X1",
		"v=STSv1; id=" + strings.Repeat("a", 32): strings.Repeat("a", 32),
	} {
		if id, err := ParseSTSRecord(txt); err != nil || id != want {
			t.Errorf("%q: %q, %v", txt, id, err)
		}
	}
	for _, txt := range []string{"id=abc; v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=a-b", "v=STSv1; id=" + strings.Repeat("a", 33), "v=spf1 -all"} {
		if id, err := ParseSTSRecord(txt); err == nil {
			t.Errorf("%q: accepted with id %q", txt, id)
		}
	}
}

// RFC 8461 4.1: "*.example.com" matches one label more, not the domain
// itself and not two labels more.
func TestSTSMatch(t *testing.T) {
	p := &STSPolicy{MX: []string{"mail.example.com", "*.example.net"}}
	for mx, want := range map[string]string{
		"mail.example.com":   "mail.example.com",
		"MAIL.Example.com.":  "mail.example.com",
		"mx1.example.net":    "*.example.net",
		"example.net":        "",
		"a.b.example.net":    "",
		"mail.example.com.x": "",
		"xmail.example.com":  "",
		"evilexample.net":    "",
	} {
		if got := p.Match(mx); got != want {
			t.Errorf("Match(%q) = %q, want %q", mx, got, want)
		}
	}
}

// policyHost serves a policy over HTTPS (crypto/tls here; the command's
// test serves it with hasp serve) and counts fetches.
type policyHost struct {
	srv     *httptest.Server
	body    atomic.Value // string
	ctype   atomic.Value // string
	status  atomic.Int32
	fetches atomic.Int32
}

func newPolicyHost(t *testing.T) *policyHost {
	h := &policyHost{}
	h.body.Store("version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmx: *.mx.example.test\r\nmax_age: 86400\r\n")
	h.ctype.Store("text/plain; charset=utf-8")
	h.status.Store(200)
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fetches.Add(1)
		if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.example.test" {
			http.NotFound(w, r)
			return
		}
		if h.status.Load() == 302 {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", h.ctype.Load().(string))
		w.WriteHeader(int(h.status.Load()))
		io.WriteString(w, h.body.Load().(string))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// client reaches the policy host for mta-sts.example.test (the injected
// HTTP client: a dialer that maps the name to the loopback server).
func (h *policyHost) client() *http.Client {
	c := h.srv.Client()
	tr := c.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com" // httptest's certificate
	addr := h.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	c.Transport = tr
	return c
}

func TestMTASTSFetchAndCache(t *testing.T) {
	h := newPolicyHost(t)
	var txt atomic.Value
	txt.Store([]string{"v=spf1 -all", "v=STSv1; id=one"})
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	m := &MTASTS{
		LookupTXT: func(_ context.Context, name string) ([]string, error) {
			if name != "_mta-sts.example.test" {
				return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
			}
			return txt.Load().([]string), nil
		},
		HTTPClient: h.client(),
		Now:        func() time.Time { return now },
	}
	ctx := context.Background()
	p, err := m.Policy(ctx, "Example.Test.")
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != STSEnforce || p.ID != "one" || p.Domain != "example.test" || p.Match("a.mx.example.test") == "" || h.fetches.Load() != 1 {
		t.Fatalf("policy %+v after %d fetches", p, h.fetches.Load())
	}
	// Same id, within max_age: the cache, no fetch.
	now = now.Add(time.Hour)
	if _, err := m.Policy(ctx, "example.test"); err != nil || h.fetches.Load() != 1 {
		t.Fatalf("cached: %v, %d fetches", err, h.fetches.Load())
	}
	// A new id: fetched again.
	txt.Store([]string{"v=STSv1; id=two"})
	h.body.Store("version: STSv1\nmode: testing\nmx: mx.example.test\nmax_age: 86400\n")
	if p, err := m.Policy(ctx, "example.test"); err != nil || p.ID != "two" || p.Mode != STSTesting || h.fetches.Load() != 2 {
		t.Fatalf("new id: %+v %v, %d fetches", p, err, h.fetches.Load())
	}
	// The TXT lookup fails, or the fetch fails: the cached policy still
	// counts within its max_age (RFC 8461 5.1)...
	txt.Store([]string{})
	if p, err := m.Policy(ctx, "example.test"); err != nil || p.ID != "two" {
		t.Fatalf("TXT gone, cached: %+v %v", p, err)
	}
	txt.Store([]string{"v=STSv1; id=three"})
	h.status.Store(500)
	if p, err := m.Policy(ctx, "example.test"); err != nil || p.ID != "two" {
		t.Fatalf("fetch fails, cached: %+v %v", p, err)
	}
	// ...and not after it.
	now = now.Add(25 * time.Hour)
	if p, err := m.Policy(ctx, "example.test"); !errors.Is(err, ErrNoSTSPolicy) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("expired cache, fetch fails: %+v %v", p, err)
	}
	// No record at all.
	if _, err := m.Policy(ctx, "other.test"); !errors.Is(err, ErrNoSTSPolicy) {
		t.Fatalf("no record: %v", err)
	}
}

func TestMTASTSFetchRefusals(t *testing.T) {
	for name, setup := range map[string]func(h *policyHost){
		"redirect":     func(h *policyHost) { h.status.Store(302) },
		"404":          func(h *policyHost) { h.status.Store(404) },
		"html":         func(h *policyHost) { h.ctype.Store("text/html") },
		"bad policy":   func(h *policyHost) { h.body.Store("version: STSv1\nmode: enforce\n") },
		"over 64 KiB":  func(h *policyHost) { h.body.Store(strings.Repeat("a", 70000)) },
		"two records":  nil,
		"wrong prefix": nil,
	} {
		t.Run(name, func(t *testing.T) {
			h := newPolicyHost(t)
			records := []string{"v=STSv1; id=1"}
			switch name {
			case "two records":
				records = []string{"v=STSv1; id=1", "v=STSv1; id=2"}
			case "wrong prefix":
				records = []string{"v=STSv2; id=1"}
			default:
				setup(h)
			}
			m := &MTASTS{LookupTXT: func(context.Context, string) ([]string, error) { return records, nil }, HTTPClient: h.client()}
			if p, err := m.Policy(context.Background(), "example.test"); !errors.Is(err, ErrNoSTSPolicy) {
				t.Fatalf("accepted %+v (%v)", p, err)
			}
		})
	}
	// The policy host's certificate must verify: the default client does
	// not know httptest's root.
	h := newPolicyHost(t)
	cl := h.client()
	cl.Transport.(*http.Transport).TLSClientConfig.RootCAs = x509.NewCertPool()
	m := &MTASTS{LookupTXT: func(context.Context, string) ([]string, error) { return []string{"v=STSv1; id=1"}, nil }, HTTPClient: cl}
	if _, err := m.Policy(context.Background(), "example.test"); !errors.Is(err, ErrNoSTSPolicy) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted policy host: %v", err)
	}
}

// The verdict under the mail policies.
func TestMailVerdicts(t *testing.T) {
	p := testPKI()
	good := issue(leafTmpl("mx.example.test"), mustKey(0), p.inter)
	other := issue(leafTmpl("other.test"), mustKey(0), p.inter)
	self := issue(leafTmpl("mx.example.test"), mustKey(0), nil)
	now := time.Now()
	expiredSelf := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "old"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)}, mustKey(0), nil)
	enforce := &STSPolicy{Domain: "example.test", ID: "1", Mode: STSEnforce, MX: []string{"mx.example.test"}, MaxAge: time.Hour}
	testing_ := &STSPolicy{Domain: "example.test", ID: "1", Mode: STSTesting, MX: []string{"mx.example.test"}, MaxAge: time.Hour}
	spki := func(c *x509.Certificate) []byte { s := sha256.Sum256(c.RawSubjectPublicKeyInfo); return s[:] }
	secure := func(rs ...TLSA) *DANERecords {
		return &DANERecords{Name: "_25._tcp.mx.example.test", Records: rs, Secure: true}
	}
	for _, tc := range []struct {
		name    string
		policy  Policy
		in      Input
		trusted bool
		check   string
		outcome Outcome
		summary string
	}{
		{"sts enforce, good", MailSTS, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", MTASTS: enforce}, true, CheckMTASTS, Pass, "MTA-STS enforce decides"},
		{"sts enforce, mx not listed", MailSTS, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", MTASTS: &STSPolicy{Domain: "example.test", Mode: STSEnforce, MX: []string{"*.other.test"}}}, false, CheckMTASTS, Fail, "required but not met: mta-sts"},
		{"sts enforce, self-signed", MailSTS, Input{Chain: chainOf(self), Host: "mx.example.test", MTASTS: enforce}, false, CheckMTASTS, Fail, "required but not met: chain"},
		{"sts enforce, wrong name", MailSTS, Input{Chain: chainOf(other, p.inter), Host: "mx.example.test", MTASTS: enforce}, false, CheckMTASTS, Fail, "name"},
		{"sts testing, self-signed", MailSTS, Input{Chain: chainOf(self), Host: "mx.example.test", MTASTS: testing_}, true, CheckMTASTS, Warn, "MTA-STS testing"},
		{"sts none", MailSTS, Input{Chain: chainOf(self), Host: "mx.example.test", MTASTS: &STSPolicy{Mode: STSNone}}, true, CheckMTASTS, NotApplicable, "UNAUTHENTICATED"},
		{"no policy at all", MailSTS, Input{Chain: chainOf(self), Host: "mx.example.test"}, true, CheckChain, Fail, "no DANE or MTA-STS policy applies: UNAUTHENTICATED"},
		// DANE-EE: the key decides; names and dates do not matter.
		{"dane-ee spki sha256, expired self-signed", MailDANE, Input{Chain: chainOf(expiredSelf), Host: "mx.example.test", DANE: secure(TLSA{3, 1, 1, spki(expiredSelf.cert)})}, true, CheckDANE, Pass, "DANE decides"},
		{"dane-ee cert sha512", MailDANE, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: secure(TLSARecord(3, 0, 2, self.cert))}, true, CheckDANE, Pass, "DANE decides"},
		{"dane-ee full spki", MailDANE, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: secure(TLSARecord(3, 1, 0, self.cert))}, true, CheckDANE, Pass, ""},
		{"dane-ee mismatch", MailDANE, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: secure(TLSA{3, 1, 1, spki(good.cert)})}, false, CheckDANE, Fail, "required but not met: dane"},
		// DANE beats MTA-STS and the CA: a CA-valid chain with a
		// mismatching record fails.
		{"dane mismatch beats a good CA chain and sts", MailDANE, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", MTASTS: enforce, DANE: secure(TLSA{3, 1, 1, spki(self.cert)})}, false, CheckDANE, Fail, "DANE decides"},
		// DANE-TA: the intermediate in the chain, then the name.
		{"dane-ta intermediate", MailDANE, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", DANE: secure(TLSARecord(2, 1, 1, p.inter.cert))}, true, CheckDANE, Pass, ""},
		{"dane-ta wrong name", MailDANE, Input{Chain: chainOf(other, p.inter), Host: "mx.example.test", DANE: secure(TLSARecord(2, 1, 1, p.inter.cert))}, false, CheckDANE, Fail, ""},
		{"dane-ta root given whole, not sent", MailDANE, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", DANE: secure(TLSARecord(2, 0, 0, p.rootA.cert))}, true, CheckDANE, Pass, ""},
		{"dane-ta on another CA", MailDANE, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", DANE: secure(TLSARecord(2, 1, 1, p.rootB.cert))}, false, CheckDANE, Fail, ""},
		// Not validated (no AD): ignored, MTA-STS then decides.
		{"dane without AD, sts enforce", MailDANE, Input{Chain: chainOf(good, p.inter), Host: "mx.example.test", MTASTS: enforce, DANE: &DANERecords{Name: "x", Records: []TLSA{{3, 1, 1, spki(self.cert)}}}}, true, CheckDANE, NotApplicable, "MTA-STS enforce decides"},
		{"dane without AD, nothing else", MailDANE, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: &DANERecords{Name: "x", Records: []TLSA{{3, 1, 1, spki(self.cert)}}}}, true, CheckDANE, NotApplicable, "UNAUTHENTICATED"},
		// Only PKIX usages: TLS required, unauthenticated.
		{"dane pkix only", MailDANE, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: secure(TLSA{1, 1, 1, spki(self.cert)})}, true, CheckDANE, Warn, "no usable TLSA"},
		{"dane truncated digest unusable", MailDANE, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: secure(TLSA{3, 1, 1, spki(self.cert)[:20]})}, true, CheckDANE, Warn, ""},
		// The browser policy ignores mail inputs for its decision.
		{"browser ignores a dane match", Browser, Input{Chain: chainOf(self), Host: "mx.example.test", DANE: secure(TLSA{3, 1, 1, spki(self.cert)})}, false, CheckDANE, Pass, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := (&Verifier{Roots: p.pool, Policy: tc.policy}).Verify(context.Background(), tc.in)
			c, _ := v.Check(tc.check)
			if v.Trusted != tc.trusted || c.Outcome != tc.outcome || !strings.Contains(v.Summary, tc.summary) {
				t.Fatalf("trusted %v (want %v), %s %v (want %v), summary %q (want %q)\n%s", v.Trusted, tc.trusted, tc.check, c.Outcome, tc.outcome, v.Summary, tc.summary, v)
			}
		})
	}
}

func rdata(rs ...TLSA) [][]byte {
	var out [][]byte
	for _, r := range rs {
		out = append(out, append([]byte{r.Usage, r.Selector, r.MatchingType}, r.Data...))
	}
	return out
}

func TestLookupTLSA(t *testing.T) {
	s := dnstest.Start(t)
	p := testPKI()
	leaf := issue(leafTmpl("mx.example.test"), mustKey(0), p.inter)
	ee := TLSARecord(3, 1, 1, leaf.cert)
	ta := TLSARecord(2, 0, 1, p.inter.cert)
	set := func(name string, a dnstest.Answer) { s.Set(name, typeTLSA, a) }
	set("_25._tcp.mx.example.test", dnstest.Answer{AD: true, TLSA: rdata(ee, ta)})
	set("_25._tcp.insecure.test", dnstest.Answer{TLSA: rdata(ee)})
	set("_25._tcp.broken.test", dnstest.Answer{RCode: dnsmessage.RCodeServerFailure})
	set("_25._tcp.big.test", dnstest.Answer{AD: true, TruncateUDP: true, TLSA: rdata(TLSARecord(3, 0, 0, leaf.cert), ee)})
	set("_25._tcp.alias.test", dnstest.Answer{AD: true, CNAME: "_25._tcp.target.test", TLSA: rdata(ee)})
	set("_25._tcp.spoofed.test", dnstest.Answer{AD: true, WrongID: true, TLSA: rdata(ee)})
	set("_25._tcp.empty.test", dnstest.Answer{AD: true, Empty: true})
	r := &DANEResolver{Addr: s.Addr, Timeout: 3 * time.Second}
	ctx := context.Background()

	d, err := r.LookupTLSA(ctx, "mx.example.test", 25)
	if err != nil || !d.Secure || len(d.Records) != 2 || d.Name != "_25._tcp.mx.example.test" {
		t.Fatalf("lookup: %+v %v", d, err)
	}
	if fmt.Sprint(d.Records[0]) != fmt.Sprint(ee) || fmt.Sprint(d.Records[1]) != fmt.Sprint(ta) || !strings.HasPrefix(d.Records[0].String(), "DANE-EE(3) SPKI(1) SHA2-256(1) ") {
		t.Fatalf("records %v", d.Records)
	}
	v := (&Verifier{Policy: MailDANE}).Verify(ctx, Input{Chain: chainOf(leaf, p.inter), Host: "mx.example.test", DANE: d})
	if !v.Trusted || !strings.Contains(v.Summary, "DANE decides") {
		t.Fatalf("verdict from looked-up records:\n%s", v)
	}
	if d, err := r.LookupTLSA(ctx, "insecure.test", 25); err != nil || d.Secure || len(d.Records) != 1 {
		t.Fatalf("insecure: %+v %v", d, err)
	}
	if d, err := r.LookupTLSA(ctx, "nothing.test", 25); err != nil || !d.Secure || len(d.Records) != 0 {
		t.Fatalf("NXDOMAIN: %+v %v", d, err)
	}
	if d, err := r.LookupTLSA(ctx, "empty.test", 25); err != nil || len(d.Records) != 0 {
		t.Fatalf("NOERROR without records: %+v %v", d, err)
	}
	if _, err := r.LookupTLSA(ctx, "broken.test", 25); err == nil || !strings.Contains(err.Error(), "ServerFailure") {
		t.Fatalf("SERVFAIL: %v", err)
	}
	if d, err := r.LookupTLSA(ctx, "big.test", 25); err != nil || len(d.Records) != 2 || len(d.Records[0].Data) != len(leaf.cert.Raw) {
		t.Fatalf("truncated, then TCP: %+v %v", d, err)
	}
	if d, err := r.LookupTLSA(ctx, "alias.test", 25); err != nil || len(d.Records) != 1 {
		t.Fatalf("CNAME: %+v %v", d, err)
	}
	// Only answers with another ID: they are ignored (dane.go
	// exchangeUDP), so the lookup ends at its timeout, with an error.
	if _, err := (&DANEResolver{Addr: s.Addr, Timeout: 300 * time.Millisecond}).LookupTLSA(ctx, "spoofed.test", 25); err == nil {
		t.Fatal("an answer with another ID was accepted")
	}
	// Nothing answers: an error within the timeout, not a hang.
	dead, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer dead.Close()
	start := time.Now()
	if _, err := (&DANEResolver{Addr: dead.LocalAddr().String(), Timeout: time.Second}).LookupTLSA(ctx, "mx.example.test", 25); err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("silent resolver: %v after %v", err, time.Since(start))
	}
}

func FuzzParseTLSAResponse(f *testing.F) {
	name := "_25._tcp.mx.example.test."
	q, id, _ := tlsaQuery(name)
	var s dnstest.Server
	s.Set(name, typeTLSA, dnstest.Answer{AD: true, CNAME: "x.test", TLSA: rdata(TLSA{3, 1, 1, make([]byte, 32)})})
	f.Add(s.Answer(q, false))
	f.Add(q)
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, _, err := parseTLSAResponse(msg, id, name)
		if err == nil && d == nil {
			return // truncated
		}
		if err == nil {
			for _, r := range d.Records {
				r.usable()
				_ = r.String()
			}
		}
	})
}

func FuzzParseSTSPolicy(f *testing.F) {
	f.Add([]byte("version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 86400\r\n"))
	f.Add([]byte("version: STSv1\nmode: none\nmax_age: 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseSTSPolicy(b)
		if err != nil {
			return
		}
		if p.MaxAge < 0 || p.MaxAge > maxSTSAge*time.Second || (p.Mode != STSNone && len(p.MX) == 0) {
			t.Fatalf("accepted %+v", p)
		}
		p.Match("a.example.com")
	})
}

func FuzzParseSTSRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseSTSRecord(s)
		if err == nil && (id == "" || len(id) > 32) {
			t.Fatalf("id %q from %q", id, s)
		}
	})
}
