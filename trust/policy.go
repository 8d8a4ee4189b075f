package trust

import (
	"fmt"
	"strings"
)

// Policy says which checks must pass and what score is enough.
type Policy struct {
	Name string
	// Required lists groups of checks: in each group at least one must
	// pass (so {"chain", "known-host"} means "a CA or a known host").
	Required [][]string
	// MinScore is the least score (0-100) that is enough.
	MinScore int
	// Weights override the default weight of a check.
	Weights map[string]int
	// Opportunistic: an untrusted peer is still used (mail transport), and
	// the verdict says so.
	Opportunistic bool
	// DANE and MTASTS: the TLSA records and the MTA-STS policy in the
	// Input decide when they apply (DANE first, RFC 8461 section 2);
	// otherwise the policy above does.
	DANE, MTASTS bool
}

var defaultWeights = map[string]int{
	CheckChain:      30,
	CheckName:       20,
	CheckValidity:   15,
	CheckKey:        5,
	CheckSignature:  5,
	CheckSelfSigned: 5,
	CheckPin:        25,
	CheckKnownHost:  20,
	CheckException:  20,
	CheckOCSP:       5,
	CheckMustStaple: 10,
	CheckSCT:        5,
	CheckMTASTS:     20,
	CheckDANE:       30,
}

func (p Policy) weight(name string) int {
	if w, ok := p.Weights[name]; ok {
		return w
	}
	return defaultWeights[name]
}

// The named profiles.
var (
	// Browser: a chain to a root, the name and the validity window are
	// required; SHA-1 and weak keys fail.
	// A key the user chose to remember (known host) or an exception
	// stands in for the chain, as a browser's permanent exception does;
	// a pin the user gave stands in for the chain and the name (it names
	// the very key), not for the validity window.
	Browser = Policy{Name: "browser", Required: [][]string{{CheckChain, CheckKnownHost, CheckException, CheckPin}, {CheckName, CheckException, CheckPin},
		{CheckValidity, CheckException}, {CheckSignature}, {CheckKey}}, MinScore: 50}
	// Strict: browser, plus a good OCSP staple and SCTs from two logs.
	Strict = Policy{Name: "strict", Required: [][]string{{CheckChain}, {CheckName}, {CheckValidity}, {CheckSignature},
		{CheckKey}, {CheckOCSP}, {CheckSCT}}, MinScore: 80}
	// Pinned: a pin is required; a CA is optional.
	Pinned = Policy{Name: "pinned", Required: [][]string{{CheckPin}, {CheckValidity}, {CheckSignature}, {CheckKey}}, MinScore: 30}
	// TOFU: a known host, an exception or a CA.
	TOFU = Policy{Name: "tofu", Required: [][]string{{CheckChain, CheckKnownHost, CheckException}, {CheckSignature}, {CheckKey}}, MinScore: 30}
	// Opportunistic: encrypt even when untrusted (mail transport between
	// servers), and say so.
	Opportunistic = Policy{Name: "opportunistic", Required: Browser.Required, MinScore: Browser.MinScore, Opportunistic: true}
	// MailSTS: the recipient domain's MTA-STS policy (RFC 8461) decides
	// when it is in enforce mode: the MX host must be listed and its
	// certificate must verify (chain, name, validity). In testing mode,
	// or without a policy, opportunistic.
	MailSTS = Policy{Name: "mta-sts", Required: Browser.Required, MinScore: Browser.MinScore, Opportunistic: true, MTASTS: true}
	// MailDANE: validated TLSA records decide (RFC 7672), whatever a CA
	// says; without them MTA-STS, and without that, opportunistic.
	MailDANE = Policy{Name: "dane", Required: Browser.Required, MinScore: Browser.MinScore, Opportunistic: true, MTASTS: true, DANE: true}
)

// forMail returns the policy that decides once the mail checks ran, and
// a phrase that says which one it is.
func (p Policy) forMail(v *Verdict) (Policy, string) {
	if !p.DANE && !p.MTASTS {
		return p, ""
	}
	decides := func(name string) (Check, bool) {
		c, ok := v.Check(name)
		return c, ok && (c.Outcome == Pass || c.Outcome == Fail)
	}
	if _, ok := decides(CheckDANE); ok && p.DANE {
		// RFC 7672 3.1: the records replace the CA (and, for DANE-EE,
		// the name and the dates).
		return Policy{Name: p.Name, Required: [][]string{{CheckDANE}}}, "DANE decides (validated TLSA records)"
	}
	if c, ok := v.Check(CheckDANE); ok && c.Outcome == Warn && p.DANE {
		return p, "DANE: TLS required, no usable TLSA record to authenticate with"
	}
	if _, ok := decides(CheckMTASTS); ok && p.MTASTS {
		return Policy{Name: p.Name, Required: [][]string{{CheckChain}, {CheckName}, {CheckValidity}, {CheckSignature}, {CheckKey}, {CheckMTASTS}},
			MinScore: p.MinScore}, "MTA-STS enforce decides"
	}
	if c, ok := v.Check(CheckMTASTS); ok && c.Outcome == Warn {
		return p, "MTA-STS testing (reported, not enforced)"
	}
	return p, "no DANE or MTA-STS policy applies"
}

// PolicyByName returns a named profile.
func PolicyByName(name string) (Policy, error) {
	for _, p := range []Policy{Browser, Strict, Pinned, TOFU, Opportunistic, MailSTS, MailDANE} {
		if p.Name == name {
			return p, nil
		}
	}
	return Policy{}, fmt.Errorf("trust: no policy %q (browser, strict, pinned, tofu, opportunistic, mta-sts, dane)", name)
}

// finish scores the checks and applies the policy.
func (v *Verdict) finish(p Policy) {
	total, got := 0, 0
	for _, c := range v.Checks {
		switch c.Outcome {
		case Pass:
			total += c.Weight
			got += c.Weight
		case Warn:
			total += c.Weight
			got += c.Weight / 2
		case Fail:
			total += c.Weight
		}
	}
	if total > 0 {
		v.Score = got * 100 / total
	}
	var missing []string
	for _, group := range p.Required {
		ok := false
		for _, name := range group {
			if c, found := v.Check(name); found && (c.Outcome == Pass || c.Outcome == Warn) {
				ok = true
				break
			}
		}
		if !ok {
			missing = append(missing, strings.Join(group, " or "))
		}
	}
	// Some failures are never outweighed: a changed key for a known
	// host, a revoked certificate, a pin that does not match.
	var hard []string
	for _, c := range v.Checks {
		if c.Outcome != Fail {
			continue
		}
		switch {
		case c.Name == CheckKnownHost, c.Name == CheckPin, c.Name == CheckMustStaple,
			c.Name == CheckOCSP && strings.Contains(c.Reason, "revoked"):
			hard = append(hard, c.Name)
		}
	}
	switch {
	case len(hard) > 0:
		v.Trusted = false
		v.Summary = "failed: " + strings.Join(hard, ", ")
	case len(missing) > 0:
		v.Trusted = false
		v.Summary = "required but not met: " + strings.Join(missing, "; ")
	case v.Score < p.MinScore && !pinned(v):
		v.Trusted = false
		v.Summary = fmt.Sprintf("score %d is below the policy's %d", v.Score, p.MinScore)
	default:
		v.Trusted = true
		v.Summary = "all required checks pass"
	}
	if p.Opportunistic && !v.Trusted {
		v.Summary = "UNAUTHENTICATED: encrypting anyway (opportunistic policy); " + v.Summary
		v.Trusted = true
	}
}

// onlyException reports whether trust rests on an exception alone (the
// chain or the name failed).
func (p Policy) onlyException(v *Verdict) bool {
	ex, _ := v.Check(CheckException)
	if ex.Outcome != Pass {
		return false
	}
	for _, n := range []string{CheckChain, CheckName, CheckValidity} {
		if c, _ := v.Check(n); c.Outcome == Fail {
			return true
		}
	}
	return false
}

// pinned: a pin the user configured matches; the user vouched for this
// very key, so the score's threshold does not overrule it.
func pinned(v *Verdict) bool {
	c, ok := v.Check(CheckPin)
	return ok && c.Outcome == Pass
}
