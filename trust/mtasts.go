package trust

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MTA-STS (RFC 8461): a mail domain publishes, over HTTPS, which MX hosts
// may receive its mail and whether senders must refuse those whose
// certificate does not verify. A TXT record at _mta-sts.DOMAIN says that
// a policy exists and names its version (id).

// STSMode is what a policy asks of senders (RFC 8461 section 5).
type STSMode string

const (
	// STSEnforce: deliver only to a listed MX over TLS with a certificate
	// that verifies.
	STSEnforce STSMode = "enforce"
	// STSTesting: report failures, deliver anyway.
	STSTesting STSMode = "testing"
	// STSNone: the domain withdrew its policy.
	STSNone STSMode = "none"
)

// STSPolicy is a parsed policy (RFC 8461 section 3.2).
type STSPolicy struct {
	Domain string
	// ID is the id of the TXT record it was fetched for.
	ID     string
	Mode   STSMode
	MX     []string
	MaxAge time.Duration
	// Fetched is when it was fetched; it is valid until Fetched+MaxAge.
	Fetched time.Time
}

// Expires is when a cached copy stops counting.
func (p *STSPolicy) Expires() time.Time { return p.Fetched.Add(p.MaxAge) }

// maxSTSAge is the largest max_age a policy may have (RFC 8461 3.2: one
// year, 31557600 seconds).
const maxSTSAge = 31557600

// maxPolicyBody bounds the policy body (RFC 8461 3.3: senders may refuse
// a policy over 64 KiB).
const maxPolicyBody = 64 << 10

// maxSTSCache bounds the policies an MTASTS keeps.
const maxSTSCache = 10000

// ParseSTSPolicy parses a policy body: "key: value" lines ended by CRLF
// (LF alone is accepted). version, mode and max_age are required; mx is
// required unless the mode is none. Unknown keys are ignored (section
// 3.2); of a repeated key other than mx the first counts.
func ParseSTSPolicy(body []byte) (*STSPolicy, error) {
	if len(body) > maxPolicyBody {
		return nil, errors.New("mta-sts: policy larger than 64 KiB")
	}
	p := &STSPolicy{}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("mta-sts: policy line %q is not key: value", clip(line))
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k != "mx" && seen[k] {
			continue
		}
		seen[k] = true
		switch k {
		case "version":
			if v != "STSv1" {
				return nil, fmt.Errorf("mta-sts: policy version %q, want STSv1", clip(v))
			}
		case "mode":
			switch STSMode(v) {
			case STSEnforce, STSTesting, STSNone:
				p.Mode = STSMode(v)
			default:
				return nil, fmt.Errorf("mta-sts: policy mode %q (enforce, testing or none)", clip(v))
			}
		case "max_age":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || len(v) > 10 || n > maxSTSAge {
				return nil, fmt.Errorf("mta-sts: max_age %q is not 0 to %d seconds", clip(v), maxSTSAge)
			}
			p.MaxAge = time.Duration(n) * time.Second
		case "mx":
			if !validMXPattern(v) {
				return nil, fmt.Errorf("mta-sts: mx %q is not a host name or *.name", clip(v))
			}
			p.MX = append(p.MX, strings.ToLower(strings.TrimSuffix(v, ".")))
		}
	}
	switch {
	case !seen["version"]:
		return nil, errors.New("mta-sts: policy has no version")
	case p.Mode == "":
		return nil, errors.New("mta-sts: policy has no mode")
	case !seen["max_age"]:
		return nil, errors.New("mta-sts: policy has no max_age")
	case len(p.MX) == 0 && p.Mode != STSNone:
		return nil, errors.New("mta-sts: policy lists no mx")
	}
	return p, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func validMXPattern(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// Match returns the pattern that allows the MX host mx, or "" (RFC 8461
// section 4.1: a pattern "*.example.com" covers exactly one more label on
// the left, so mail.example.com but neither example.com nor
// a.b.example.com).
func (p *STSPolicy) Match(mx string) string {
	mx = strings.ToLower(strings.TrimSuffix(mx, "."))
	for _, pat := range p.MX {
		if pat == mx {
			return pat
		}
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			if i := strings.IndexByte(mx, '.'); i > 0 && mx[i+1:] == rest {
				return pat
			}
		}
	}
	return ""
}

// ParseSTSRecord parses the TXT record at _mta-sts.DOMAIN, as RFC 8461
// section 3.1 defines it:
//
//	sts-text-record = sts-version 1*(sts-field-delim sts-field)
//	                  [sts-field-delim]
//	sts-field       = sts-id / sts-extension   ; sts-id is required
//	sts-field-delim = *WSP ";" *WSP
//	sts-version     = %s"v=STSv1"
//	sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//	sts-extension   = sts-ext-name "=" sts-ext-value
//	sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//	sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
//
// So the record starts with exactly "v=STSv1" (case-sensitive, nothing
// before it: "v=STSv10" or "v=STSv1x" is another version), then fields
// separated by ";" with spaces or tabs allowed around it, an optional
// ";" at the end, and an id of 1 to 32 letters and digits. A field that
// is neither (an empty one, no "=", a bad name or value) makes the whole
// record invalid, which 3.1 says means no policy. Unknown extensions are
// ignored; of two ids the first counts. The one leniency: spaces or tabs
// at the very end are ignored.
func ParseSTSRecord(txt string) (id string, err error) {
	if !isSTSRecord(txt) {
		return "", fmt.Errorf("mta-sts: record %q does not start with the field v=STSv1", clip(txt))
	}
	fields := strings.Split(strings.TrimRight(txt, " \t"), ";")
	for i, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" && i == len(fields)-2 {
			break // the optional final ";"
		}
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			return "", fmt.Errorf("mta-sts: record field %q is not name=value", clip(f))
		case k == "id":
			if v == "" || len(v) > 32 || !allAlnum(v) {
				return "", fmt.Errorf("mta-sts: record id %q is not 1 to 32 letters and digits", clip(v))
			}
			if id == "" {
				id = v
			}
		case !validSTSExtName(k) || !validSTSExtValue(v):
			return "", fmt.Errorf("mta-sts: record field %q is not a valid name=value", clip(f))
		}
	}
	if id == "" {
		return "", fmt.Errorf("mta-sts: record %q has no id", clip(txt))
	}
	return id, nil
}

// isSTSRecord reports whether txt's first field is exactly v=STSv1: the
// text before the first ";" (or all of it), spaces or tabs after it
// allowed (the sts-field-delim of RFC 8461 3.1). 3.1 says records "that
// do not begin with v=STSv1;" are discarded; its grammar also allows
// "v=STSv1 ;" (RFC errata 6285), which this accepts too.
func isSTSRecord(txt string) bool {
	first, _, _ := strings.Cut(txt, ";")
	return strings.TrimRight(first, " \t") == "v=STSv1"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// validSTSExtName: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
func validSTSExtName(s string) bool {
	if s == "" || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validSTSExtValue: 1*(%x21-3A / %x3C / %x3E-7E), printable ASCII but
// for "=", ";" and space.
func validSTSExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// ErrNoSTSPolicy: the domain publishes no MTA-STS policy (or none that
// could be had and none is cached): deliver as without one.
var ErrNoSTSPolicy = errors.New("mta-sts: no policy")

// MTASTS fetches and caches domains' policies. Its zero value works: the
// system resolver and an HTTP client that verifies the policy host's
// certificate with the system roots (crypto/tls, since this package
// does not import hasp); to fetch over hasp with a verdict, pass
// &http.Client{Transport: &hasphttp.RoundTripper{Config: cfg}} with
// cfg.Trust set, as hasp connect does (see Example_mailPolicies).
type MTASTS struct {
	// LookupTXT resolves TXT records (net.DefaultResolver.LookupTXT when
	// nil).
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// HTTPClient fetches https://mta-sts.DOMAIN/.well-known/mta-sts.txt.
	// Whatever its settings, redirects are not followed (RFC 8461 3.3).
	HTTPClient *http.Client
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Timeout bounds one fetch (default 60 s).
	Timeout time.Duration

	mu    sync.Mutex
	cache map[string]*STSPolicy
}

func (m *MTASTS) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Policy returns domain's policy (RFC 8461 section 5.1): the TXT record
// first; a cached policy with the same id, still within its max_age, is
// used without a fetch; a fetch that fails falls back to a cached policy
// still within its max_age. With neither, the error wraps ErrNoSTSPolicy
// and says why.
func (m *MTASTS) Policy(ctx context.Context, domain string) (*STSPolicy, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	now := m.now()
	m.mu.Lock()
	cached := m.cache[domain]
	m.mu.Unlock()
	if cached != nil && !now.Before(cached.Expires()) {
		cached = nil
	}
	id, err := m.lookupID(ctx, domain)
	if err != nil {
		if cached != nil {
			return cached, nil
		}
		return nil, fmt.Errorf("%w for %s: %v", ErrNoSTSPolicy, domain, err)
	}
	if cached != nil && cached.ID == id {
		return cached, nil
	}
	p, err := m.fetch(ctx, domain)
	if err != nil {
		if cached != nil {
			return cached, nil
		}
		return nil, fmt.Errorf("%w for %s: %v", ErrNoSTSPolicy, domain, err)
	}
	p.Domain, p.ID, p.Fetched = domain, id, now
	m.mu.Lock()
	if m.cache == nil {
		m.cache = map[string]*STSPolicy{}
	}
	if len(m.cache) >= maxSTSCache {
		for d, c := range m.cache {
			if !now.Before(c.Expires()) {
				delete(m.cache, d)
			}
		}
		// Domains come from mail (maybe an attacker's): with none
		// expired, drop some at random rather than grow.
		for d := range m.cache {
			if len(m.cache) < maxSTSCache {
				break
			}
			delete(m.cache, d)
		}
	}
	m.cache[domain] = p
	m.mu.Unlock()
	return p, nil
}

// lookupID finds the one TXT record whose first field is v=STSv1 (RFC
// 8461 3.1: records that do not start so are discarded; none, several,
// or one that is not valid mean no policy). A "v=STSv10" or "v=STSv1x"
// record is discarded, not counted; a "v=STSv1; id=bad!" one counts, so
// beside a valid one it makes two.
func (m *MTASTS) lookupID(ctx context.Context, domain string) (string, error) {
	lookup := m.LookupTXT
	if lookup == nil {
		lookup = net.DefaultResolver.LookupTXT
	}
	txts, err := lookup(ctx, "_mta-sts."+domain)
	if err != nil {
		return "", fmt.Errorf("TXT _mta-sts.%s: %v", domain, err)
	}
	var ours []string
	for _, t := range txts {
		if isSTSRecord(t) {
			ours = append(ours, t)
		}
	}
	switch len(ours) {
	case 0:
		return "", fmt.Errorf("no v=STSv1 TXT record at _mta-sts.%s", domain)
	case 1:
		return ParseSTSRecord(ours[0])
	}
	return "", fmt.Errorf("%d v=STSv1 TXT records at _mta-sts.%s (one is allowed)", len(ours), domain)
}

func (m *MTASTS) fetch(ctx context.Context, domain string) (*STSPolicy, error) {
	timeout := m.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := http.Client{}
	if m.HTTPClient != nil {
		client = *m.HTTPClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error {
		return errors.New("mta-sts: the policy host redirects (RFC 8461 3.3: not followed)")
	}
	url := "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s (want 200)", url, resp.Status)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return nil, fmt.Errorf("GET %s: Content-Type %q, want text/plain (RFC 8461 3.2)", url, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicyBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	return ParseSTSPolicy(body)
}

// checkMTASTS is the mta-sts check of a verdict for MX host mx.
func checkMTASTS(p *STSPolicy, mx string, certOK bool, certWhy string) (Outcome, string) {
	if p.Mode == STSNone {
		return NotApplicable, fmt.Sprintf("%s's policy %s has mode none", p.Domain, p.ID)
	}
	var problem string
	pat := p.Match(mx)
	switch {
	case pat == "":
		problem = fmt.Sprintf("%s is not an MX host %s's policy allows (%s)", mx, p.Domain, strings.Join(p.MX, ", "))
	case !certOK:
		problem = fmt.Sprintf("%s's policy requires a certificate that verifies for %s: %s", p.Domain, mx, certWhy)
	}
	if problem == "" {
		return Pass, fmt.Sprintf("%s matches %s in %s's policy %s (mode %s, max_age %s)", mx, pat, p.Domain, p.ID, p.Mode, p.MaxAge)
	}
	if p.Mode == STSTesting {
		return Warn, "mode testing, so not enforced: " + problem
	}
	return Fail, problem
}
