package scan

import (
	"html/template"
	"io"
	"strings"
)

// HTML writes one self-contained page (no scripts, no external files)
// for the reports: per target the grade, a bar chart of the three
// scores, and every finding coloured by severity, then the details.
func HTML(w io.Writer, reports []*Report) error {
	return page.Execute(w, reports)
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"gradeClass": func(l string) string {
		switch {
		case strings.HasPrefix(l, "A"):
			return "ga"
		case l == "B":
			return "gb"
		case l == "C":
			return "gc"
		}
		return "gf"
	},
	"join": strings.Join,
	"pct":  func(n int) int { return max(0, min(100, n)) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hasp scan{{range .}} · {{.Target}}{{end}}</title>
<style>
:root { --good:#1a7f37; --info:#57606a; --low:#9a6700; --medium:#bc4c00; --high:#cf222e; --critical:#82071e; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }
main { max-width: 1040px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 10px; padding: 20px 24px; margin: 0 0 28px; }
.top { display: flex; gap: 28px; align-items: center; flex-wrap: wrap; }
.grade { width: 120px; height: 120px; border-radius: 16px; color: #fff; font-size: 64px; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.ga { background: #1a7f37; } .gb { background: #9a6700; } .gc { background: #bc4c00; } .gf { background: #cf222e; }
.bars { flex: 1; min-width: 300px; }
.bar { display: grid; grid-template-columns: 120px 1fr 40px; align-items: center; gap: 10px; margin: 6px 0; }
.track { background: #eaeef2; border-radius: 6px; height: 16px; overflow: hidden; }
.fill { background: linear-gradient(90deg, #2da44e, #1a7f37); height: 100%; }
.why { color: #57606a; font-size: 13px; margin-top: 10px; }
.finding { border-left: 5px solid var(--info); padding: 6px 12px; margin: 6px 0; background: #fff; }
.finding b { display: block; }
.finding small { color: #57606a; }
.good { border-color: var(--good); } .info { border-color: var(--info); } .low { border-color: var(--low); }
.medium { border-color: var(--medium); } .high { border-color: var(--high); } .critical { border-color: var(--critical); background: #ffebe9; }
.sev { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; font-weight: 700; margin-right: 6px; }
.good .sev { color: var(--good); } .info .sev { color: var(--info); } .low .sev { color: var(--low); }
.medium .sev { color: var(--medium); } .high .sev, .critical .sev { color: var(--high); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { color: #57606a; font-weight: 600; }
.yes { color: var(--good); font-weight: 600; } .no { color: #8c959f; }
.weak { color: var(--high); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
footer { color: #8c959f; font-size: 12px; text-align: center; padding: 12px; }
</style></head><body><main>
{{range .}}
<section class="card">
<h1>{{.Target}}</h1>
<div class="why">{{.Address}}{{if .ServerName}} · SNI {{.ServerName}}{{end}}{{if .StartTLS}} · {{.StartTLS}} STARTTLS{{end}} · {{.Time.Format "2006-01-02 15:04 UTC"}} · {{.Connections}} connections in {{.DurationMS}} ms</div>
{{if .Error}}<div class="finding critical"><span class="sev">cannot scan</span>{{.Error}}</div>{{else}}
<div class="top">
  <div class="grade {{gradeClass .Grade.Letter}}" aria-label="grade">{{.Grade.Letter}}</div>
  <div class="bars">
    <div class="bar"><span>Protocol</span><div class="track"><div class="fill" style="width:{{pct .Grade.Protocol}}%"></div></div><b>{{.Grade.Protocol}}</b></div>
    <div class="bar"><span>Key exchange</span><div class="track"><div class="fill" style="width:{{pct .Grade.KeyExchange}}%"></div></div><b>{{.Grade.KeyExchange}}</b></div>
    <div class="bar"><span>Cipher strength</span><div class="track"><div class="fill" style="width:{{pct .Grade.Cipher}}%"></div></div><b>{{.Grade.Cipher}}</b></div>
    <div class="why">{{range .Grade.Why}}{{.}}<br>{{end}}</div>
  </div>
</div>
<h2>Findings</h2>
{{range .Findings}}<div class="finding {{.Severity}}"><b><span class="sev">{{.Severity}}</span>{{.Title}}</b>{{if .Detail}}<small>{{.Detail}}</small>{{end}}</div>
{{end}}
<h2>Protocols</h2>
<table><tr><th>Version</th><th>Accepted</th><th>Answer</th></tr>
{{range .Protocols}}<tr><td>{{.Name}}</td><td>{{if .Supported}}<span class="yes">yes</span>{{else}}<span class="no">no</span>{{end}}</td><td>{{.Answer}}</td></tr>{{end}}
</table>
{{range .Suites}}<h2>Cipher suites, {{.Version}}{{if .ServerPreference}} (server's order){{end}}</h2>
<table><tr><th>Suite</th><th>Bits</th><th>Key exchange</th><th></th></tr>
{{range .Suites}}<tr><td><code>{{.Name}}</code></td><td>{{.Bits}}</td><td>{{.Kx}}</td><td class="weak">{{join .Weak ", "}}</td></tr>{{end}}
</table>{{end}}
<h2>Groups and signatures</h2>
<table><tr><th>Group</th><th>TLS 1.3</th><th>TLS 1.2</th><th></th></tr>
{{range .Groups}}<tr><td>{{.Name}}</td><td>{{if .TLS13}}<span class="yes">yes</span>{{end}}</td><td>{{if .TLS12}}<span class="yes">yes</span>{{end}}</td><td>{{if .PQ}}post-quantum hybrid{{end}}</td></tr>{{end}}
</table>
<p>{{if .GroupPreference}}Order: {{.GroupPreference}}. {{end}}{{.HRR}}</p>
<p>Signature schemes: {{join .SignatureSchemes ", "}}{{if .ALPN}}<br>ALPN: {{join .ALPN ", "}}{{end}}</p>
{{range .Certificates}}<h2>Certificate: {{.KeyType}}</h2>
<table>
<tr><th>Subject</th><td>{{.Subject}}</td></tr><tr><th>Names</th><td>{{join .Names ", "}}</td></tr>
<tr><th>Issuer</th><td>{{.Issuer}}</td></tr>
<tr><th>Valid</th><td>{{.NotBefore.Format "2006-01-02"}} to {{.NotAfter.Format "2006-01-02"}} ({{.DaysLeft}} days left)</td></tr>
<tr><th>Chain</th><td>{{join .Chain " ← "}}{{if .ChainProblem}}<br><span class="weak">{{.ChainProblem}}</span>{{end}}</td></tr>
<tr><th>Seen with</th><td>{{join .Seen "; "}}</td></tr>
<tr><th>Verdict</th><td>{{if .Verdict.Trusted}}<span class="yes">trusted</span>{{else}}<span class="weak">not trusted</span>{{end}} (score {{.Verdict.Score}}): {{.Verdict.Summary}}
{{range .Verdict.Checks}}{{if ne .Outcome.String "n/a"}}<br><code>[{{.Outcome}}]</code> {{.Name}}: {{.Reason}}{{end}}{{end}}</td></tr>
</table>{{end}}
<h2>Sessions and HTTP</h2>
<p>TLS 1.3 resumption: {{.Sessions.TLS13PSK}} · TLS 1.2 ticket resumption: {{.Sessions.TLS12Ticket}} · {{.Sessions.TLS12ID}} · 0-RTT: {{.Sessions.EarlyData}}
{{with .HTTP}}<br>HTTP: {{.Status}} · HSTS: {{if .HSTS}}{{.HSTS}}{{else}}none{{end}}{{end}}</p>
{{if .Simulations}}<h2>Client simulations</h2>
<table><tr><th>Client</th><th>Version</th><th>Suite</th><th>Key exchange</th></tr>
{{range .Simulations}}<tr><td>{{.Client}}</td>{{if .OK}}<td>{{.Version}}</td><td><code>{{.Suite}}</code></td><td>{{.Group}}</td>{{else}}<td colspan="3" class="weak">fails: {{.Error}}</td>{{end}}</tr>{{end}}
</table>{{end}}
{{end}}
</section>
{{end}}
<footer>hasp scan · grading rules: docs/scan-grading.md</footer>
</main></body></html>
`))
