package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// JSON writes the report as one indented JSON document.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

var sevMark = map[Severity]string{Good: "ok  ", Info: "info", Low: "low ", Medium: "MED ", High: "HIGH", Critical: "CRIT"}

// Text writes the report for a terminal.
func (r *Report) Text(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	head := r.Address
	if r.ServerName != "" && !strings.HasPrefix(r.Address, r.ServerName+":") {
		head += " (SNI " + r.ServerName + ")"
	}
	if r.StartTLS != "" {
		head += " via " + r.StartTLS + " STARTTLS"
	}
	p("Scan of %s: %d connections in %.1f s", head, r.Connections, float64(r.DurationMS)/1000)
	if r.Error != "" {
		p("  cannot scan: %s", r.Error)
		return
	}
	p("")
	p("Grade %s  (score %d: protocol %d, key exchange %d, cipher %d)", r.Grade.Letter, r.Grade.Score, r.Grade.Protocol, r.Grade.KeyExchange, r.Grade.Cipher)
	for _, why := range r.Grade.Why {
		p("  %s", why)
	}
	p("")
	p("Protocols")
	for _, pr := range r.Protocols {
		mark := "no "
		if pr.Supported {
			mark = "YES"
		}
		p("  %-8s %s  %s", pr.Name, mark, pr.Answer)
	}
	if len(r.SSLv2Ciphers) > 0 {
		p("  SSLv2 ciphers: %s", strings.Join(r.SSLv2Ciphers, ", "))
	}
	for _, vs := range r.Suites {
		order := "the client's order decides"
		if vs.ServerPreference {
			order = "server's order"
		}
		if len(vs.Suites) < 2 {
			order = ""
		}
		p("")
		p("Cipher suites, %s (%d) %s", vs.Version, len(vs.Suites), order)
		for _, su := range vs.Suites {
			weak := ""
			if len(su.Weak) > 0 {
				weak = "  <- " + strings.Join(su.Weak, ", ")
			}
			p("  %-48s %3d bits  %s%s", su.Name, su.Bits, su.Kx, weak)
		}
		if vs.Truncated {
			p("  (stopped after %d suites)", len(vs.Suites))
		}
	}
	p("")
	p("Groups")
	for _, g := range r.Groups {
		where := []string{}
		if g.TLS13 {
			where = append(where, "TLS 1.3")
		}
		if g.TLS12 {
			where = append(where, "TLS 1.2")
		}
		pq := ""
		if g.PQ {
			pq = "  post-quantum hybrid"
		}
		p("  %-22s %s%s", g.Name, strings.Join(where, ", "), pq)
	}
	if r.GroupPreference != "" {
		p("  order: %s", r.GroupPreference)
	}
	if r.HRR != "" {
		p("  %s", r.HRR)
	}
	if len(r.SignatureSchemes) > 0 {
		p("")
		p("Signature schemes: %s", strings.Join(r.SignatureSchemes, ", "))
	}
	if len(r.ALPN) > 0 {
		p("ALPN: %s", strings.Join(r.ALPN, ", "))
	}
	for i, c := range r.Certificates {
		p("")
		p("Certificate %d: %s, seen with %s", i+1, c.KeyType, strings.Join(c.Seen, "; "))
		p("  subject   %s", c.Subject)
		p("  names     %s", strings.Join(c.Names, ", "))
		p("  issuer    %s", c.Issuer)
		p("  valid     %s to %s (%d days left)", c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"), c.DaysLeft)
		p("  signature %s; OCSP staple: %v; SCTs: %d", c.Signature, c.OCSPStapled, c.SCTs)
		p("  chain     %s", strings.Join(c.Chain, " <- "))
		if c.ChainProblem != "" {
			p("  problem   %s", c.ChainProblem)
		}
		for _, line := range strings.Split(strings.TrimRight(c.Verdict.String(), "\n"), "\n") {
			p("  %s", line)
		}
	}
	p("")
	p("Sessions: TLS 1.3 resumption %s; TLS 1.2 ticket resumption %s; %s; 0-RTT %s", r.Sessions.TLS13PSK, r.Sessions.TLS12Ticket, r.Sessions.TLS12ID, r.Sessions.EarlyData)
	if r.Sessions.TicketHint != "" {
		p("  sessions are offered for %s", r.Sessions.TicketHint)
	}
	if r.HTTP != nil {
		hsts := r.HTTP.HSTS
		if hsts == "" {
			hsts = "none"
		}
		p("HTTP: %s; HSTS: %s", r.HTTP.Status, hsts)
	}
	if len(r.Simulations) > 0 {
		p("")
		p("Client simulations")
		for _, s := range r.Simulations {
			if s.OK {
				p("  %-40s %-8s %-44s %s", s.Client, s.Version, s.Suite, s.Group)
			} else {
				p("  %-40s FAILS: %s", s.Client, s.Error)
			}
		}
	}
	p("")
	p("Findings")
	for _, f := range r.Findings {
		p("  [%s] %s", sevMark[f.Severity], f.Title)
		if f.Detail != "" {
			p("         %s", f.Detail)
		}
	}
}
