package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"image/png"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/scan"
)

func scanTo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr testutil.SyncBuffer
	code := run(context.Background(), append([]string{"scan", "--rate", "0", "--timeout", "5s"}, args...), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// maskScan hides what changes from run to run in a scan's JSON.
func maskScan(s string) string {
	for _, r := range []struct{ re, with string }{
		{`"duration_ms": \d+`, `"duration_ms": N`},
		{`"connections": \d+`, `"connections": N`},
		{`hasp local CA \([^)]*\)`, "hasp local CA (HOST)"},
		{`"score": \d+,\n(\s+)"policy"`, "\"score\": N,\n$1\"policy\""},
		{`\(\d+ days left\)`, "(N days left)"},
		{`expires in \d+ days`, "expires in N days"},
		{`"ticket_lifetime": "[^"]*"`, `"ticket_lifetime": "T"`},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return mask(s)
}

// hasp serve with HSTS grades A+: TLS 1.3 and 1.2 only, AEAD suites with
// forward secrecy, X25519MLKEM768 preferred. The JSON is golden; the HTML
// report is opened in headless Chromium and screenshot.
func TestScanServe(t *testing.T) {
	addr, _ := startServe(t, "--hsts", "8760h")
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	html := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := scanTo(t, "--json", "--cafile", caPath, "--servername", "localhost", "--html", html, "--fail-under", "A", addr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var reps []*scan.Report
	if err := json.Unmarshal([]byte(stdout), &reps); err != nil || len(reps) != 1 {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	r := reps[0]
	if r.Grade.Letter != "A+" || r.GroupPreference != "server prefers X25519MLKEM768" {
		t.Errorf("grade %s, %s", r.Grade.Letter, r.GroupPreference)
	}
	golden(t, "scan-serve.json", maskScan(stdout))

	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte(`aria-label="grade">A&#43;</div>`)) {
		t.Fatalf("HTML report: %v\n%.400s", err, page)
	}
	screenshot(t, html)

	// --fail-under above the grade exits 5.
	if code, _, stderr := scanTo(t, "--quiet", "--cafile", caPath, "--servername", "localhost", "--no-http", "--fail-under", "A+", addr); code != exitGrade || !strings.Contains(stderr, "grades A, below A+") {
		t.Errorf("--no-http --fail-under A+: exit %d\n%s", code, stderr)
	}
}

// screenshot opens the report in headless Chromium; the PNG goes to
// $HASP_ARTIFACTS when set (CI keeps it), else to a temporary directory.
func screenshot(t *testing.T, html string) {
	chromium := testutil.NeedPeer(t, "chromium")
	dir := os.Getenv("HASP_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	out := filepath.Join(dir, "scan-report.png")
	os.Remove(out)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--window-size=1100,1600", "--screenshot="+out, "file://"+html)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The grade box is green (#1a7f37) for an A+: look for it.
	b := img.Bounds()
	green := 0
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 0x30 && g>>8 > 0x70 && g>>8 < 0x90 && bl>>8 > 0x30 && bl>>8 < 0x40 {
				green++
			}
		}
	}
	if green < 100 {
		t.Errorf("the screenshot (%v) shows no green grade box (%d pixels)", b, green)
	}
	t.Logf("screenshot: %s", out)
}

// crypto/tls's defaults with an RSA key: the second golden report.
func TestScanCryptoTLSGolden(t *testing.T) {
	ca := testcerts.NewCA("scan golden CA")
	leaf := ca.Issue(testcerts.RSA2048, "localhost")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key, Leaf: leaf.Cert}},
		NextProtos:   []string{"http/1.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.PEM(), 0o600)
	code, stdout, stderr := scanTo(t, "--json", "--cafile", caFile, "--servername", "localhost", ln.Addr().String())
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var reps []*scan.Report
	if err := json.Unmarshal([]byte(stdout), &reps); err != nil {
		t.Fatal(err)
	}
	var sims []string
	for _, s := range reps[0].Simulations {
		if !s.OK {
			sims = append(sims, s.Client)
		}
	}
	if reps[0].Grade.Letter != "A" || len(sims) != 0 || !slices.Contains(reps[0].ALPN, "http/1.1") {
		t.Errorf("grade %s, failing simulations %v", reps[0].Grade.Letter, sims)
	}
	golden(t, "scan-cryptotls.json", maskScan(stdout))
}

func TestScanUsage(t *testing.T) {
	if code, _, stderr := scanTo(t); code != exitUsage || !strings.Contains(stderr, "Usage: hasp scan") {
		t.Errorf("no target: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := scanTo(t, "--fail-under", "Z", "127.0.0.1:1"); code != exitUsage || !strings.Contains(stderr, "want A+") {
		t.Errorf("bad --fail-under: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := scanTo(t, "--timeout", "1s", "127.0.0.1:1"); code != exitNetwork || !strings.Contains(stdout, "cannot scan") {
		t.Errorf("nothing listening: exit %d\n%s", code, stdout)
	}
}

// --starttls smtp: every probe upgrades first (the hasp-based MX of the
// mail tests, which answers many sessions at once).
func TestScanSTARTTLS(t *testing.T) {
	ca := testcerts.NewCA("scan smtp CA")
	addr := mxServer(t, certOf(ca.Issue(testcerts.P256, "mx.example.test")), true)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.PEM(), 0o600)
	code, stdout, stderr := scanTo(t, "--json", "--starttls", "smtp", "--cafile", caFile, "--servername", "mx.example.test", addr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	var reps []*scan.Report
	if err := json.Unmarshal([]byte(stdout), &reps); err != nil {
		t.Fatal(err)
	}
	r := reps[0]
	var versions []string
	for _, p := range r.Protocols {
		if p.Supported {
			versions = append(versions, p.Name)
		}
	}
	if strings.Join(versions, ",") != "TLS 1.2,TLS 1.3" || r.StartTLS != "smtp" || r.HTTP != nil || len(r.Certificates) != 1 || !r.Certificates[0].Verdict.Trusted {
		t.Errorf("versions %v, starttls %q, http %v, certificates %d", versions, r.StartTLS, r.HTTP, len(r.Certificates))
	}
	if r.Grade.Letter != "A" {
		t.Errorf("grade %s: %v", r.Grade.Letter, r.Grade.Why)
	}
}
