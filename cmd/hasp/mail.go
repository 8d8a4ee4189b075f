package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/trust"
)

// The mail policies of hasp connect: --policy mta-sts looks the
// recipient domain's MTA-STS policy up (RFC 8461), --policy dane the MX
// host's TLSA records (RFC 7672) and then MTA-STS; the verdict lets
// them decide.

// policyHostAddr maps the policy host's address before dialing (tests
// point mta-sts.DOMAIN:443 at a loopback port).
var policyHostAddr = func(addr string) string { return addr }

// mailLookups is what was found before connecting.
type mailLookups struct {
	sts  *trust.STSPolicy
	dane *trust.DANERecords
}

// requiresTLS: a policy that forbids falling back to plaintext.
func (m mailLookups) requiresTLS() string {
	if m.dane != nil && m.dane.Secure && len(m.dane.Records) > 0 {
		return "validated TLSA records at " + m.dane.Name + " (RFC 7672 2.2)"
	}
	if m.sts != nil && m.sts.Mode == trust.STSEnforce {
		return m.sts.Domain + "'s MTA-STS policy in enforce mode (RFC 8461 5)"
	}
	return ""
}

func resolverFor(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

// lookupMail does the lookups the policy asks for, printing what it
// found; an error means: do not connect (a TLSA lookup that failed).
func lookupMail(ctx context.Context, policy trust.Policy, host, port, domain, resolver string, roots *x509.CertPool, timeout time.Duration, quiet bool, stderr io.Writer) (mailLookups, error) {
	var m mailLookups
	say := func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(stderr, "  "+format+"\n", args...)
		}
	}
	if policy.DANE {
		p, _ := strconv.Atoi(port)
		r := &trust.DANEResolver{Addr: resolver, Timeout: timeout}
		d, err := r.LookupTLSA(ctx, host, p)
		if err != nil {
			return m, fmt.Errorf("%v (RFC 7672 2.2: a TLSA lookup that fails is not \"no records\"; do not deliver to %s until it answers)", err, host)
		}
		m.dane = d
		switch {
		case len(d.Records) == 0:
			say("DANE: no TLSA records at %s", d.Name)
		case !d.Secure:
			say("DANE: %d TLSA records at %s, NOT validated by the resolver (no AD bit): ignored", len(d.Records), d.Name)
		default:
			say("DANE: %d validated TLSA records at %s:", len(d.Records), d.Name)
			for _, r := range d.Records {
				say("  %s", r)
			}
		}
	}
	if policy.MTASTS {
		if domain == "" {
			if _, rest, ok := strings.Cut(host, "."); ok && strings.Contains(rest, ".") {
				domain = rest
			} else {
				domain = host
			}
			say("MTA-STS: recipient domain %s (from the host; --mail-domain to say otherwise)", domain)
		}
		pcfg := &hasp.Config{Trust: &trust.Verifier{Roots: roots, Policy: trust.Browser}}
		dialer := &net.Dialer{Timeout: timeout, Resolver: resolverFor(resolver)}
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{
			DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				name, _, _ := net.SplitHostPort(addr)
				raw, err := dialer.DialContext(ctx, network, policyHostAddr(addr))
				if err != nil {
					return nil, err
				}
				cfg := pcfg.Clone()
				cfg.ServerName = name
				cfg.NextProtos = []string{"http/1.1"}
				c := hasp.Client(raw, cfg)
				if err := c.HandshakeContext(ctx); err != nil {
					raw.Close()
					return nil, err
				}
				return c, nil
			},
			DisableKeepAlives: true,
		}}
		lookupTXT := resolverFor(resolver).LookupTXT
		if resolver != "" {
			// The resolver's errors name the system's server, not the
			// one every query went to.
			lookupTXT = func(ctx context.Context, name string) ([]string, error) {
				txt, err := resolverFor(resolver).LookupTXT(ctx, name)
				var de *net.DNSError
				if errors.As(err, &de) {
					de.Server = resolver
				}
				return txt, err
			}
		}
		sts := &trust.MTASTS{LookupTXT: lookupTXT, HTTPClient: client, Timeout: timeout}
		p, err := sts.Policy(ctx, domain)
		switch {
		case errors.Is(err, trust.ErrNoSTSPolicy):
			say("MTA-STS: %v", err)
		case err != nil:
			return m, err
		default:
			m.sts = p
			say("MTA-STS: %s policy %s: mode %s, mx %s, max_age %s", p.Domain, p.ID, p.Mode, strings.Join(p.MX, " "), p.MaxAge)
		}
	}
	return m, nil
}
