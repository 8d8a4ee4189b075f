// Package trust decides whether to trust a peer's certificate chain and
// says why: it weighs several facts (a chain to a root, the name, the
// validity window, key and signature strength, pins, hosts seen before,
// exceptions the user granted, OCSP and Certificate Transparency) against
// a policy, and returns a Verdict with every check, its outcome, its
// weight and a reason a person can read.
//
// The package stands alone: it needs only the standard library and
// golang.org/x/crypto/ocsp.
package trust

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Usage says what the peer's certificate is for.
type Usage int

const (
	// ServerAuth checks a server's certificate (the default).
	ServerAuth Usage = iota
	// ClientAuth checks a client's certificate.
	ClientAuth
)

// Input is what a decision is made from.
type Input struct {
	// Chain is the peer's chain, leaf first, as sent.
	Chain []*x509.Certificate
	// Host is the name asked for: a DNS name or an IP address. Port, when
	// set, makes known hosts and exceptions specific to host:port.
	Host string
	Port string
	// Time is when the decision is made (time.Now when zero).
	Time time.Time
	// OCSP is a stapled OCSP response; SCTs the signed certificate
	// timestamps, from the handshake.
	OCSP []byte
	SCTs [][]byte
	// Usage is ServerAuth or ClientAuth.
	Usage Usage
	// MTASTS is the recipient domain's MTA-STS policy (MTASTS.Policy),
	// when Host is one of its MX hosts; DANE the TLSA records for Host's
	// port (DANEResolver.LookupTLSA). Each adds its check; the mail
	// policies (MailSTS, MailDANE) let them decide.
	MTASTS *STSPolicy
	DANE   *DANERecords
}

// Outcome is the result of one check.
type Outcome int

const (
	NotApplicable Outcome = iota
	Pass
	Warn
	Fail
)

func (o Outcome) String() string {
	switch o {
	case Pass:
		return "pass"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	}
	return "n/a"
}

// MarshalText renders the outcome for JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (o *Outcome) UnmarshalText(b []byte) error {
	for _, x := range []Outcome{NotApplicable, Pass, Warn, Fail} {
		if x.String() == string(b) {
			*o = x
			return nil
		}
	}
	return fmt.Errorf("trust: unknown outcome %q", b)
}

// Names of the checks.
const (
	CheckChain      = "chain"
	CheckName       = "name"
	CheckValidity   = "validity"
	CheckKey        = "key"
	CheckSignature  = "signature"
	CheckSelfSigned = "self-signed"
	CheckPin        = "pin"
	CheckKnownHost  = "known-host"
	CheckException  = "exception"
	CheckOCSP       = "ocsp"
	CheckMustStaple = "must-staple"
	CheckSCT        = "sct"
	CheckMTASTS     = "mta-sts"
	CheckDANE       = "dane"
)

// Check is one fact and what it weighed.
type Check struct {
	Name    string  `json:"name"`
	Outcome Outcome `json:"outcome"`
	Weight  int     `json:"weight"`
	Reason  string  `json:"reason"`
}

// Verdict is the decision and its reasons.
type Verdict struct {
	Trusted bool   `json:"trusted"`
	Score   int    `json:"score"`
	Policy  string `json:"policy"`
	// Summary is one line: why the verdict is what it is.
	Summary string  `json:"summary"`
	Checks  []Check `json:"checks"`
	// Chain is the chain that was built to a root (nil when none was),
	// Root its anchor.
	Chain []*x509.Certificate `json:"-"`
	Root  *x509.Certificate   `json:"-"`
	// Fingerprint is the SHA-256 of the leaf's SPKI, as pin-sha256.
	Fingerprint string `json:"spki_sha256"`
	// ViaException: trust rests on an exception, which ends at Until.
	ViaException bool      `json:"via_exception,omitempty"`
	Until        time.Time `json:"until,omitzero"`
}

// Check returns the named check, if it ran.
func (v *Verdict) Check(name string) (Check, bool) {
	for _, c := range v.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Failed lists the checks that failed.
func (v *Verdict) Failed() []string {
	var out []string
	for _, c := range v.Checks {
		if c.Outcome == Fail {
			out = append(out, c.Name)
		}
	}
	return out
}

// String renders the verdict for a terminal, like a browser's lock panel.
func (v *Verdict) String() string {
	var b strings.Builder
	state := "NOT TRUSTED"
	if v.Trusted {
		state = "trusted"
	}
	fmt.Fprintf(&b, "Trust: %s (score %d/100, policy %s)\n", state, v.Score, v.Policy)
	if v.Summary != "" {
		fmt.Fprintf(&b, "  %s\n", v.Summary)
	}
	for _, c := range v.Checks {
		if c.Outcome == NotApplicable {
			continue
		}
		mark := map[Outcome]string{Pass: "ok  ", Warn: "warn", Fail: "FAIL"}[c.Outcome]
		fmt.Fprintf(&b, "  [%s] %-11s %s\n", mark, c.Name, c.Reason)
	}
	if v.Root != nil {
		fmt.Fprintf(&b, "  anchored at %s\n", v.Root.Subject)
	}
	return b.String()
}

// JSON renders the verdict as JSON.
func (v *Verdict) JSON() ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// SPKIHash is the SHA-256 of a certificate's SubjectPublicKeyInfo, base64
// (the pin-sha256 form of RFC 7469).
func SPKIHash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// CertHash is the SHA-256 of the whole certificate, base64.
func CertHash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Verifier holds the sources of trust and the policy.
type Verifier struct {
	// Roots anchor chains; nil means the system pool.
	Roots *x509.CertPool
	// Intermediates help build chains beyond what the peer sent.
	Intermediates *x509.CertPool
	// Pins are SPKI or certificate hashes (SPKIHash, CertHash form),
	// optionally prefixed "sha256/".
	Pins []string
	// KnownHosts remembers keys seen before (trust on first use).
	KnownHosts *KnownHosts
	// Exceptions the user granted.
	Exceptions *Exceptions
	// Policy decides; Browser when zero.
	Policy Policy
	// ExpiryWarning: a certificate expiring sooner than this warns
	// (default 14 days).
	ExpiryWarning time.Duration
	// Logs, when set, verify SCT signatures (see LoadLogList); without
	// them SCTs are counted by distinct log ID only.
	Logs Logs
	// MTASTS and DANE stand in for Input's when it leaves them nil (a
	// Verifier made for one mail delivery, set on a hasp.Config).
	MTASTS *STSPolicy
	DANE   *DANERecords
}

// ErrUntrusted is wrapped by errors a Verifier's callers return for an
// untrusted verdict.
var ErrUntrusted = errors.New("trust: peer not trusted")

// Error carries an untrusted Verdict.
type Error struct{ Verdict *Verdict }

func (e *Error) Error() string {
	return "trust: peer not trusted (" + e.Verdict.Summary + ")"
}

func (e *Error) Unwrap() error { return ErrUntrusted }

// Verify decides whether to trust in.Chain for in.Host.
func (vf *Verifier) Verify(ctx context.Context, in Input) *Verdict {
	now := in.Time
	if now.IsZero() {
		now = time.Now()
	}
	p := vf.Policy
	if p.Name == "" {
		p = Browser
	}
	if in.MTASTS == nil {
		in.MTASTS = vf.MTASTS
	}
	if in.DANE == nil {
		in.DANE = vf.DANE
	}
	v := &Verdict{Policy: p.Name}
	if len(in.Chain) == 0 {
		v.Checks = append(v.Checks, Check{CheckChain, Fail, 40, "the peer sent no certificate"})
		v.finish(p)
		return v
	}
	leaf := in.Chain[0]
	v.Fingerprint = SPKIHash(leaf)
	hostport := in.Host
	if in.Port != "" {
		hostport = net.JoinHostPort(in.Host, in.Port)
	}
	add := func(name string, o Outcome, reason string, args ...any) {
		v.Checks = append(v.Checks, Check{name, o, p.weight(name), fmt.Sprintf(reason, args...)})
	}

	// Chain to a root.
	opts := x509.VerifyOptions{Roots: vf.Roots, Intermediates: x509.NewCertPool(), CurrentTime: now}
	if vf.Intermediates != nil {
		opts.Intermediates = vf.Intermediates.Clone()
	}
	for _, c := range in.Chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if in.Usage == ClientAuth {
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	chains, err := leaf.Verify(opts)
	if err == nil {
		v.Chain = chains[0]
		v.Root = chains[0][len(chains[0])-1]
		add(CheckChain, Pass, "chains to %s", v.Root.Subject.CommonName)
	} else {
		var ci x509.CertificateInvalidError
		if errors.As(err, &ci) && ci.Reason == x509.Expired {
			// The validity check reports the time; try the chain at
			// times the leaf was valid, to say whether it is otherwise
			// anchored.
			var err2 error
			for _, at := range []time.Time{leaf.NotAfter.Add(-time.Second), leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2), leaf.NotBefore.Add(time.Second)} {
				opts.CurrentTime = at
				var chains [][]*x509.Certificate
				if chains, err2 = leaf.Verify(opts); err2 == nil {
					v.Chain, v.Root = chains[0], chains[0][len(chains[0])-1]
					break
				}
			}
			switch {
			case err2 == nil:
				add(CheckChain, Pass, "chains to %s (outside its validity, see below)", v.Root.Subject.CommonName)
			case errors.As(err2, &ci) && ci.Reason == x509.Expired:
				add(CheckChain, Fail, "the chain was never valid all at once (%s expires or starts outside the leaf's window)", ci.Cert.Subject.CommonName)
			default:
				add(CheckChain, Fail, "%s", chainReason(err2))
			}
		} else {
			add(CheckChain, Fail, "%s", chainReason(err))
		}
	}

	// Name.
	if in.Host == "" && in.Usage == ClientAuth {
		add(CheckName, Pass, "a client certificate: no name to match")
	} else if in.Host == "" {
		add(CheckName, NotApplicable, "no name asked for")
	} else if err := leaf.VerifyHostname(in.Host); err == nil {
		add(CheckName, Pass, "valid for %s", in.Host)
	} else {
		add(CheckName, Fail, "not valid for %s; it names %s", in.Host, names(leaf))
	}

	// Validity window.
	warn := vf.ExpiryWarning
	if warn == 0 {
		warn = 14 * 24 * time.Hour
	}
	switch {
	case now.Before(leaf.NotBefore):
		add(CheckValidity, Fail, "not valid until %s (in %s)", leaf.NotBefore.Format(time.RFC3339), roundDur(leaf.NotBefore.Sub(now)))
	case now.After(leaf.NotAfter):
		add(CheckValidity, Fail, "expired %s ago, on %s", roundDur(now.Sub(leaf.NotAfter)), leaf.NotAfter.Format(time.RFC3339))
	case leaf.NotAfter.Sub(now) < warn:
		add(CheckValidity, Warn, "expires in %s", roundDur(leaf.NotAfter.Sub(now)))
	default:
		add(CheckValidity, Pass, "valid for %s more", roundDur(leaf.NotAfter.Sub(now)))
	}

	// Key strength.
	if o, reason := keyStrength(leaf); o != NotApplicable {
		add(CheckKey, o, "%s", reason)
	}

	// Signature algorithms in the chain (the root's own is not checked:
	// trust in a root does not rest on its signature).
	sigChain := in.Chain
	if v.Chain != nil {
		sigChain = v.Chain[:len(v.Chain)-1]
	}
	o, reason := signatures(sigChain)
	add(CheckSignature, o, "%s", reason)

	// Self-signed.
	if isSelfSigned(leaf) {
		add(CheckSelfSigned, Warn, "the certificate is self-signed")
	} else {
		add(CheckSelfSigned, NotApplicable, "issued by %s", leaf.Issuer.CommonName)
	}

	// Pins.
	if len(vf.Pins) == 0 {
		add(CheckPin, NotApplicable, "no pins configured")
	} else if pin := matchPin(in.Chain, vf.Pins); pin != "" {
		add(CheckPin, Pass, "matches pin %s", pin)
	} else {
		add(CheckPin, Fail, "matches none of %d pins (leaf SPKI sha256/%s)", len(vf.Pins), v.Fingerprint)
	}

	// Known host.
	if vf.KnownHosts == nil || hostport == "" {
		add(CheckKnownHost, NotApplicable, "no known-hosts store")
	} else if e, ok := vf.KnownHosts.Lookup(hostport); !ok {
		add(CheckKnownHost, NotApplicable, "%s not seen before", hostport)
	} else if e.SPKI == v.Fingerprint {
		add(CheckKnownHost, Pass, "same key as first seen %s", e.FirstSeen.Format(time.DateOnly))
	} else {
		add(CheckKnownHost, Fail, "KEY CHANGED for %s: was sha256/%s, now sha256/%s", hostport, e.SPKI, v.Fingerprint)
	}

	// Exception.
	if vf.Exceptions == nil || hostport == "" {
		add(CheckException, NotApplicable, "no exceptions")
	} else if ex, ok := vf.Exceptions.Lookup(hostport, CertHash(leaf), now); ok {
		add(CheckException, Pass, "accepted by the user until %s", ex.Until.Format(time.RFC3339))
		v.Until = ex.Until
	} else {
		add(CheckException, NotApplicable, "no exception for this certificate")
	}

	// OCSP staple and must-staple.
	issuer := issuerOf(leaf, in.Chain, v.Chain)
	ocspOutcome, ocspReason := checkOCSP(in.OCSP, leaf, issuer, now)
	add(CheckOCSP, ocspOutcome, "%s", ocspReason)
	if mustStaple(leaf) {
		if ocspOutcome == Pass {
			add(CheckMustStaple, Pass, "must-staple honoured")
		} else {
			add(CheckMustStaple, Fail, "the certificate requires a stapled OCSP response and none good was sent")
		}
	} else {
		add(CheckMustStaple, NotApplicable, "not a must-staple certificate")
	}

	// Certificate Transparency.
	if vf.Logs != nil && len(in.SCTs) > 0 {
		seen := map[[32]byte]bool{}
		bad := 0
		for _, sct := range in.SCTs {
			if id, err := verifySCT(vf.Logs, sct, leaf); err == nil {
				seen[id] = true
			} else {
				bad++
			}
		}
		switch {
		case len(seen) >= 2:
			add(CheckSCT, Pass, "verified SCTs from %d distinct logs", len(seen))
		case len(seen) == 1:
			add(CheckSCT, Warn, "verified SCTs from 1 log (%d did not verify)", bad)
		default:
			add(CheckSCT, Fail, "none of %d SCTs verifies against the log list", len(in.SCTs))
		}
	} else if n := distinctLogs(in.SCTs, leaf); n == 0 {
		add(CheckSCT, NotApplicable, "no SCTs")
	} else if n == 1 {
		add(CheckSCT, Warn, "SCTs from 1 log (signatures not checked: no log list)")
	} else {
		add(CheckSCT, Pass, "SCTs from %d distinct logs (signatures not checked: no log list)", n)
	}

	// Mail: the recipient domain's MTA-STS policy and the MX host's
	// TLSA records.
	if in.MTASTS != nil {
		var why []string
		for _, n := range []string{CheckChain, CheckName, CheckValidity} {
			if c, _ := v.Check(n); c.Outcome == Fail {
				why = append(why, n+": "+c.Reason)
			}
		}
		o, reason := checkMTASTS(in.MTASTS, in.Host, len(why) == 0, strings.Join(why, "; "))
		add(CheckMTASTS, o, "%s", reason)
	}
	if in.DANE != nil {
		o, reason := checkDANE(in.DANE, in.Chain, in.Host, now)
		add(CheckDANE, o, "%s", reason)
	}

	p, why := p.forMail(v)
	v.finish(p)
	if why != "" {
		v.Summary = why + ": " + v.Summary
	}
	if v.Trusted && p.onlyException(v) {
		v.ViaException = true
	}
	return v
}

func chainReason(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		if ua.Cert != nil {
			return "no path to a trusted root (issuer " + ua.Cert.Issuer.CommonName + " is not trusted)"
		}
		return "no path to a trusted root"
	case errors.As(err, &ci):
		return "invalid chain: " + ci.Error()
	}
	return err.Error()
}

func names(c *x509.Certificate) string {
	var n []string
	n = append(n, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		return "no names (CN " + c.Subject.CommonName + " is not used for names)"
	}
	return strings.Join(n, ", ")
}

func roundDur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.Round(time.Second).String()
}

func keyStrength(c *x509.Certificate) (Outcome, string) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		if bits < 2048 {
			return Fail, fmt.Sprintf("RSA %d bits is too weak (2048 at least)", bits)
		}
		return Pass, fmt.Sprintf("RSA %d bits", bits)
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return Pass, "ECDSA " + k.Curve.Params().Name
		}
		return Fail, "ECDSA on an unusual curve"
	case ed25519.PublicKey:
		return Pass, "Ed25519"
	}
	return Fail, fmt.Sprintf("unsupported key type %T", c.PublicKey)
}

func signatures(chain []*x509.Certificate) (Outcome, string) {
	for _, c := range chain {
		switch c.SignatureAlgorithm {
		case x509.MD5WithRSA, x509.MD2WithRSA:
			return Fail, fmt.Sprintf("%s is signed with MD5", c.Subject.CommonName)
		case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
			return Fail, fmt.Sprintf("%s is signed with SHA-1", c.Subject.CommonName)
		case x509.UnknownSignatureAlgorithm:
			return Fail, fmt.Sprintf("%s has an unknown signature algorithm", c.Subject.CommonName)
		}
	}
	return Pass, "SHA-2 or better throughout"
}

func isSelfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func matchPin(chain []*x509.Certificate, pins []string) string {
	for _, pin := range pins {
		p := strings.TrimPrefix(pin, "sha256/")
		for _, c := range chain {
			if p == SPKIHash(c) || p == CertHash(c) {
				return pin
			}
		}
	}
	return ""
}

// issuerOf finds the leaf's issuer in the built chain or the sent one.
func issuerOf(leaf *x509.Certificate, sent, built []*x509.Certificate) *x509.Certificate {
	if len(built) > 1 {
		return built[1]
	}
	for _, c := range sent[1:] {
		if leaf.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	if isSelfSigned(leaf) {
		return leaf
	}
	return nil
}

// distinctLogs counts the distinct log IDs among SCTs (RFC 6962 section
// 3.2: version(1) then the 32-byte log ID). Signatures are not checked
// without a log list.
func distinctLogs(scts [][]byte, _ *x509.Certificate) int {
	seen := map[string]bool{}
	for _, s := range scts {
		if len(s) >= 33 && s[0] == 0 {
			seen[string(s[1:33])] = true
		}
	}
	return len(seen)
}
