package lockpanel

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/hasp-tls/hasp/trust"
)

// The lock panel: this very connection explained, as a page with no
// external resources, readable on a phone, light or dark as the reader's
// system is. The same data is at /.well-known/hasp.json.

// step is one arrow of the handshake diagram.
type step struct {
	FromClient bool
	Label      string
	Detail     string
	// Keys, when set, is a key switch drawn before the arrow.
	Keys string
}

func steps(p *Panel) []step {
	var out []step
	offered := "offers"
	if o := p.Offered; o != nil {
		offered = fmt.Sprintf("offers %s; %d suites; groups %s", strings.Join(o.Versions, ", "), len(o.Suites), firstN(o.Groups, 3))
	}
	tls13 := p.Protocol == "TLS 1.3"
	if p.Resumed {
		offered += "; a ticket from an earlier visit"
	}
	out = append(out, step{FromClient: true, Label: "ClientHello", Detail: offered})
	if p.HelloRetryRequest {
		out = append(out, step{Label: "HelloRetryRequest", Detail: "asks again, for a key share in " + p.KeyExchange},
			step{FromClient: true, Label: "ClientHello", Detail: "again, with a " + p.KeyExchange + " key share"})
	}
	chose := fmt.Sprintf("%s, %s, %s", p.Protocol, p.CipherSuite, p.KeyExchange)
	if p.Resumed {
		chose += ", resuming"
	}
	out = append(out, step{Label: "ServerHello", Detail: "chooses " + chose})
	if tls13 {
		out = append(out, step{Label: "EncryptedExtensions", Detail: "ALPN " + orNone(p.ALPN),
			Keys: "handshake keys: from the " + p.KeyExchange + " shared secret (HKDF)"})
		if !p.Resumed {
			n := len(p.ServerChain)
			out = append(out, step{Label: "Certificate", Detail: fmt.Sprintf("%d certificate%s, %s", n, plural(n), leafName(p))},
				step{Label: "CertificateVerify", Detail: "signs the transcript with " + p.Signature})
		}
		out = append(out, step{Label: "Finished", Detail: "MAC over everything so far"},
			step{FromClient: true, Label: "Finished", Detail: "MAC over everything so far"},
			step{FromClient: true, Label: "GET (" + p.HTTP + ")", Detail: "this request", Keys: "application keys"},
			step{Label: "this page", Detail: "encrypted with " + p.CipherSuite})
		return out
	}
	if !p.Resumed {
		n := len(p.ServerChain)
		out = append(out, step{Label: "Certificate", Detail: fmt.Sprintf("%d certificate%s, %s", n, plural(n), leafName(p))},
			step{Label: "ServerKeyExchange", Detail: p.KeyExchange + " share, signed with " + p.Signature},
			step{Label: "ServerHelloDone"},
			step{FromClient: true, Label: "ClientKeyExchange", Detail: "its " + p.KeyExchange + " share"})
	}
	out = append(out, step{FromClient: !p.Resumed, Label: "ChangeCipherSpec, Finished", Keys: "keys from the master secret (PRF)"},
		step{FromClient: p.Resumed, Label: "ChangeCipherSpec, Finished"},
		step{FromClient: true, Label: "GET (" + p.HTTP + ")", Detail: "this request"},
		step{Label: "this page", Detail: "encrypted with " + p.CipherSuite})
	return out
}

func firstN(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func leafName(p *Panel) string {
	if len(p.ServerChain) == 0 {
		return "none"
	}
	if len(p.ServerChain[0].Names) > 0 {
		return "for " + p.ServerChain[0].Names[0]
	}
	return p.ServerChain[0].Subject
}

// diagram draws the steps as an SVG sequence diagram.
func diagram(p *Panel) template.HTML {
	st := steps(p)
	const w, left, right, rowH, top = 640, 70, 570, 46, 56
	y := top
	var b strings.Builder
	var body strings.Builder
	for _, s := range st {
		if s.Keys != "" {
			y += 8
			fmt.Fprintf(&body, `<line x1="20" x2="%d" y1="%d" y2="%d" class="keys"/><text x="%d" y="%d" class="keytext">%s</text>`,
				w-20, y, y, w/2, y+16, template.HTMLEscapeString("keys switch: "+s.Keys))
			y += 30
		}
		x1, x2 := left, right
		if !s.FromClient {
			x1, x2 = right, left
		}
		fmt.Fprintf(&body, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="msg" marker-end="url(#arrow)"/>`, x1, x2, y+16, y+16)
		fmt.Fprintf(&body, `<text x="%d" y="%d" class="label">%s</text>`, w/2, y+10, template.HTMLEscapeString(s.Label))
		if s.Detail != "" {
			fmt.Fprintf(&body, `<text x="%d" y="%d" class="detail">%s</text>`, w/2, y+32, template.HTMLEscapeString(s.Detail))
		}
		y += rowH
	}
	h := y + 10
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="handshake diagram" class="seq">`, w, h)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="head"/></marker></defs>`)
	fmt.Fprintf(&b, `<text x="%d" y="24" class="lane">your browser</text><text x="%d" y="24" class="lane">this server</text>`, left, right)
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="34" y2="%d" class="life"/><line x1="%d" x2="%d" y1="34" y2="%d" class="life"/>`, left, left, h-4, right, right, h-4)
	b.WriteString(body.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type pageData struct {
	*Panel
	Headline, Sub, Mood string
	Diagram             template.HTML
	Checks              []trust.Check
	Now                 string
	Ends                []string
}

func human(d time.Duration) string {
	unit := func(n time.Duration, name string) string { return fmt.Sprintf("%d %s%s", n, name, plural(int(n))) }
	switch {
	case d%(24*time.Hour) == 0:
		return unit(d/(24*time.Hour), "day")
	case d%time.Hour == 0:
		return unit(d/time.Hour, "hour")
	case d%time.Minute == 0:
		return unit(d/time.Minute, "minute")
	}
	return d.String()
}

func page(w http.ResponseWriter, r *http.Request, f Facts) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return
	}
	p, ok := For(r)
	if !ok {
		http.Error(w, "not a TLS connection", http.StatusInternalServerError)
		return
	}
	d := pageData{Panel: p, Diagram: diagram(p), Now: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	if f.TicketLifetime > 0 {
		d.Ends = append(d.Ends, "a ticket resumes for "+human(f.TicketLifetime))
	} else {
		d.Ends = append(d.Ends, "a ticket resumes for up to 7 days (hasp's default)")
	}
	if f.IdleTimeout > 0 {
		d.Ends = append(d.Ends, "an idle connection closes after "+human(f.IdleTimeout))
	}
	if f.MaxSessionAge > 0 {
		d.Ends = append(d.Ends, "a connection closes "+human(f.MaxSessionAge)+" after its handshake")
	}
	var good []string
	if p.ForwardSecret {
		good = append(good, "forward secret")
	}
	if p.PostQuantum {
		good = append(good, "post-quantum key exchange")
	}
	d.Sub = strings.Join(append([]string{p.Protocol, p.CipherSuite, p.KeyExchange}, good...), " · ")
	switch {
	case p.Verdict == nil:
		d.Headline, d.Mood = "Encrypted", "warn"
	case p.Verdict.Trusted:
		d.Headline, d.Mood = "Secure connection", "good"
	default:
		d.Headline, d.Mood = "Encrypted, but the certificate is not trusted by the system's roots", "warn"
	}
	if p.Verdict != nil {
		for _, c := range p.Verdict.Checks {
			if c.Outcome != trust.NotApplicable {
				d.Checks = append(d.Checks, c)
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	if err := pageTmpl.Execute(w, d); err != nil {
		fmt.Fprintf(w, "<!-- %s -->", template.HTMLEscapeString(err.Error()))
	}
}

var pageTmpl = template.Must(template.New("panel").Funcs(template.FuncMap{"join": strings.Join}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{.Headline}} · hasp</title>
<style>
:root { --bg:#f6f8fa; --card:#fff; --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --good:#1a7f37; --warn:#9a6700; --bad:#cf222e; --accent:#0969da; --keys:#8250df; }
@media (prefers-color-scheme: dark) { :root { --bg:#0d1117; --card:#151b23; --fg:#e6edf3; --muted:#9198a1; --line:#3d444d; --good:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#4493f8; --keys:#ab7df8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 920px; margin: 0 auto; padding: 20px 16px 40px; }
header.verdict { border-radius: 14px; padding: 22px 24px; color: #fff; margin-bottom: 22px; }
header.good { background: linear-gradient(135deg, #1a7f37, #2da44e); } header.warn { background: linear-gradient(135deg, #9a6700, #bf8700); }
header h1 { margin: 0 0 4px; font-size: 1.6rem; line-height: 1.25; }
header p { margin: 0; opacity: .95; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 18px 20px; margin: 0 0 18px; }
h2 { font-size: 1.1rem; margin: 0 0 12px; }
.seq { width: 100%; height: auto; display: block; }
.seqwrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
.seq .lane { font: 600 14px system-ui, sans-serif; fill: var(--fg); text-anchor: middle; }
.seq .life { stroke: var(--line); stroke-width: 2; }
.seq .msg { stroke: var(--accent); stroke-width: 2; }
.seq .head { fill: var(--accent); }
.seq .label { font: 600 13px system-ui, sans-serif; fill: var(--fg); text-anchor: middle; }
.seq .detail { font: 12px system-ui, sans-serif; fill: var(--muted); text-anchor: middle; }
.seq .keys { stroke: var(--keys); stroke-dasharray: 5 4; }
.seq .keytext { font: 12px system-ui, sans-serif; fill: var(--keys); text-anchor: middle; }
.chips span { display: inline-block; border: 1px solid var(--line); border-radius: 999px; padding: 1px 9px; margin: 2px 3px 2px 0; font-size: .82rem; }
.chips span.chosen { border-color: var(--good); color: var(--good); font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.chain { display: grid; gap: 10px; }
.cert { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; position: relative; }
.cert + .cert::before { content: "▲ issued by the one below"; position: absolute; top: -10px; left: 14px; font-size: .72rem; color: var(--muted); background: var(--card); padding: 0 6px; }
.cert h3 { margin: 0 0 6px; font-size: 1rem; overflow-wrap: anywhere; }
.bar { height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; margin: 6px 0; }
.bar i { display: block; height: 100%; background: var(--good); }
.bar.late i { background: var(--warn); }
code { font: .8rem ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
td, th { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
.pass { color: var(--good); font-weight: 600; } .warn { color: var(--warn); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
footer { color: var(--muted); font-size: .85rem; text-align: center; }
a { color: var(--accent); }
@media (max-width: 560px) { .seq { min-width: 520px; } header h1 { font-size: 1.3rem; } dl { grid-template-columns: 1fr; } dt { margin-top: 6px; } }
</style></head><body><main>
<header class="verdict {{.Mood}}" id="verdict">
<h1>{{.Headline}}</h1>
<p id="summary">{{.Sub}}</p>
</header>

<section id="handshake"><h2>How this connection was made</h2>
<div class="seqwrap">{{.Diagram}}</div>
</section>

{{with .Offered}}<section id="offered"><h2>What your browser offered, and what the server chose</h2>
<dl>
<dt>Versions</dt><dd class="chips">{{range .Versions}}<span{{if eq . $.Protocol}} class="chosen"{{end}}>{{.}}</span>{{end}}</dd>
<dt>Cipher suites</dt><dd class="chips">{{range .Suites}}<span{{if eq . $.CipherSuite}} class="chosen"{{end}}>{{.}}</span>{{end}}</dd>
<dt>Groups</dt><dd class="chips">{{range .Groups}}<span{{if eq . $.KeyExchange}} class="chosen"{{end}}>{{.}}</span>{{end}}</dd>
<dt>Signatures</dt><dd class="chips">{{range .Signatures}}<span{{if eq . $.Signature}} class="chosen"{{end}}>{{.}}</span>{{end}}</dd>
<dt>ALPN</dt><dd class="chips">{{range .ALPN}}<span{{if eq . $.ALPN}} class="chosen"{{end}}>{{.}}</span>{{end}}</dd>
</dl>
<p><small>The server picks from the client's lists; the green ones are what it chose.</small></p>
</section>{{end}}

<section id="chain"><h2>The certificate chain, leaf to root</h2>
<div class="chain">
{{range .ServerChain}}<div class="cert">
<h3>{{.Subject}}</h3>
<dl>
{{if .Names}}<dt>Names</dt><dd>{{join .Names ", "}}</dd>{{end}}
<dt>Issuer</dt><dd>{{.Issuer}}</dd>
<dt>Key</dt><dd>{{.Key}}</dd>
<dt>Valid</dt><dd>{{.NotBefore}} to {{.NotAfter}} ({{.DaysLeft}} days left)
<div class="bar{{if gt .Elapsed 80}} late{{end}}" title="{{.Elapsed}}% of its life used"><i style="width: {{.Elapsed}}%"></i></div></dd>
<dt>SHA-256</dt><dd><code>{{.SHA256}}</code></dd>
<dt>SPKI pin</dt><dd><code>sha256/{{.SPKI}}</code></dd>
</dl>
</div>{{end}}
</div>
</section>

{{if .Checks}}<section id="trust"><h2>Trust verdict: {{.Verdict.Summary}}</h2>
<table><tr><th>Check</th><th>Result</th><th>Weight</th><th>Why</th></tr>
{{range .Checks}}<tr><td>{{.Name}}</td><td class="{{.Outcome}}">{{.Outcome}}</td><td>{{.Weight}}</td><td>{{.Reason}}</td></tr>{{end}}
</table>
<p><small>Score {{.Verdict.Score}}/100 under the {{.Verdict.Policy}} policy, judged with this machine's system roots. Your browser may trust more (a local CA you installed) or less.</small></p>
</section>{{end}}

<section id="session"><h2>This session</h2>
<table id="negotiated">
<tr><th>Protocol</th><td>{{.Protocol}}</td></tr>
<tr><th>HTTP</th><td>{{.HTTP}}</td></tr>
<tr><th>Cipher suite</th><td>{{.CipherSuite}}</td></tr>
<tr><th>Key exchange</th><td>{{.KeyExchange}}</td></tr>
<tr><th>Signature</th><td>{{.Signature}}</td></tr>
<tr><th>ALPN</th><td>{{if .ALPN}}{{.ALPN}}{{else}}(none){{end}}</td></tr>
<tr><th>SNI</th><td>{{if .SNI}}{{.SNI}}{{else}}(none){{end}}</td></tr>
{{with .ClientCertificate}}<tr><th>Client certificate</th><td>{{.Subject}}</td></tr>{{end}}
</table>
<dl style="margin-top:10px">
<dt>Resumed</dt><dd>{{if .Resumed}}yes: no certificate was sent, a ticket from an earlier visit was accepted{{else}}no: a full handshake{{end}}</dd>
<dt>HelloRetryRequest</dt><dd>{{if .HelloRetryRequest}}yes: the first key share did not fit{{else}}no{{end}}</dd>
<dt>Server name (SNI)</dt><dd>{{if .SNI}}{{.SNI}}{{else}}none sent{{end}}</dd>
<dt>HTTP</dt><dd>{{.HTTP}}{{if .ALPN}} (ALPN {{.ALPN}}){{end}}</dd>
<dt>Ends</dt><dd>{{range .Ends}}{{.}}; {{end}}{{if .ServerChain}}{{with index .ServerChain 0}}and never past the certificate ({{.NotAfter}}){{end}}{{end}}</dd>
</dl>
</section>
<footer>hasp · {{.Now}} · <a href="/.well-known/hasp.json">the same as JSON</a></footer>
</main></body></html>
`))
