package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/trust"
)

// The rough edges of issue 16, one test each (item numbers in comments).

func runHasp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	isolateConfig(t)
	var stdout, stderr testutil.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// selfSigned serves TLS with a certificate from a CA nobody trusts.
func selfSigned(t *testing.T) (string, *testcerts.Leaf) {
	leaf := testcerts.NewCA("nobody trusts me").Issue(testcerts.P256, "localhost", "127.0.0.1")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), leaf
}

// 1: a pin the user passes makes the verdict trusted for that key.
func TestUXPinTrusts(t *testing.T) {
	addr, leaf := selfSigned(t)
	pin := "sha256/" + trust.SPKIHash(leaf.Cert)
	code, _, stderr := runHasp(t, "connect", "--timeout", "5s", "--known-hosts", "", "--pin", pin, addr)
	if code != exitOK || !strings.Contains(stderr, "Trust: trusted") {
		t.Fatalf("--pin of the server's key: exit %d\n%s", code, stderr)
	}
	// The wrong pin is a hard failure.
	code, _, stderr = runHasp(t, "connect", "--timeout", "5s", "--known-hosts", "", "--pin", "sha256/"+strings.Repeat("A", 43)+"=", addr)
	if code != exitUntrusted {
		t.Fatalf("a wrong pin: exit %d\n%s", code, stderr)
	}
}

// 11: errors that say what happened.
func TestUXErrors(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	addr := strings.TrimPrefix(plain.URL, "http://")
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", addr); code == exitOK || !strings.Contains(stderr, "plain HTTP on this port, not TLS") {
		t.Errorf("plain HTTP port: exit %d\n%s", code, stderr)
	}
	// A port that accepts and never answers.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	if code, _, stderr := runHasp(t, "connect", "--timeout", "1s", ln.Addr().String()); code != exitNetwork || !strings.Contains(stderr, "did not finish the handshake within 1s") {
		t.Errorf("silent port: exit %d\n%s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"connect", "a", "b"}, "one server at a time, got 2 arguments: a b"},
		{[]string{"connect"}, "which server?"},
		{[]string{"connect", "127.0.0.1:"}, "port \"\" is not a number from 1 to 65535"},
		{[]string{"connect", "127.0.0.1:99999"}, "port \"99999\" is not a number from 1 to 65535"},
		{[]string{"connect", "--pin", "abc", "127.0.0.1:1"}, "--pin \"abc\": want sha256/"},
		{[]string{"connect", "--bogus", "127.0.0.1:1"}, "flag provided but not defined: -bogus"},
		{[]string{"help", "bogus"}, "no command \"bogus\""},
	} {
		code, _, stderr := runHasp(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tc.args, code, tc.want, stderr)
		}
		if lines := strings.Count(stderr, "\n"); lines > 4 && tc.args[0] != "help" {
			t.Errorf("%v: %d lines of error, want the reason, not the usage:\n%s", tc.args, lines, stderr)
		}
	}
}

// 12: flags after the host work as before it.
func TestUXFlagsAnywhere(t *testing.T) {
	addr, leaf := selfSigned(t)
	pin := "sha256/" + trust.SPKIHash(leaf.Cert)
	code, stdout, stderr := runHasp(t, "connect", addr, "--json", "--known-hosts", "", "--pin", pin, "--timeout", "5s")
	if code != exitOK || !strings.HasPrefix(strings.TrimSpace(stdout), "{") {
		t.Fatalf("flags after the host: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// 14: serve refuses what cannot work, before it announces anything.
func TestUXServeRefusals(t *testing.T) {
	busy, _ := net.Listen("tcp", "127.0.0.1:0")
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--client-auth", "require-and-verify"}, exitUsage, "--client-ca FILE"},
		{[]string{"--client-auth", "verify-if-given"}, exitUsage, "--client-ca FILE"},
		{[]string{"--dir", "/nonexistent/hasp"}, exitUsage, "not a directory"},
		{[]string{"--redirect-http", busy.Addr().String()}, 1, "--redirect-http"},
		{[]string{"extra"}, exitUsage, "unexpected argument \"extra\""},
	} {
		code, stdout, stderr := runHasp(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Contains(stdout, "listening on") {
			t.Errorf("%v: exit %d (want %d)\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout, stderr)
		}
	}
}

// 14: the echo server's banner says how to reach it; the access log has
// the status and the size; /favicon.ico is not the panel.
func TestUXServeBannerAndLog(t *testing.T) {
	_, out := startServe(t, "--echo")
	if !strings.Contains(out.String(), "TLS echo (not HTTP) listening on tls://127.0.0.1:") || !strings.Contains(out.String(), "try it:   hasp connect --cafile ") || strings.Contains(out.String(), "curl") {
		t.Errorf("echo banner:\n%s", out)
	}
	addr, out := startServe(t)
	code, _, stderr := runHasp(t, "get", "--cacert", filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem"), "https://"+addr+"/favicon.ico")
	if code == exitOK {
		t.Errorf("/favicon.ico: exit 0\n%s", stderr)
	}
	for end := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), `/favicon.ico HTTP/2.0" 404 `) && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
	}
	if !regexp.MustCompile(`"GET /favicon.ico HTTP/2\.0" 404 \d+ TLS 1\.3`).MatchString(out.String()) {
		t.Errorf("access log:\n%s", out)
	}
}

// 16: cert issue refuses bad names and does not overwrite; durations
// read as days.
func TestUXCertIssue(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "site")
	if code, _, stderr := runHasp(t, "cert", "issue", "--out", out, "bad name!"); code != exitUsage || !strings.Contains(stderr, "neither a DNS name") {
		t.Errorf("bad name: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runHasp(t, "cert", "issue", "--out", out, "site.test", "--days", "3")
	if code != exitOK || !regexp.MustCompile(`\((2|3) days left\)`).MatchString(stdout) {
		t.Fatalf("issue: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runHasp(t, "cert", "issue", "--out", out, "site.test"); code != exitUsage || !strings.Contains(stderr, "exists; --force replaces it") {
		t.Errorf("overwrite: exit %d\n%s", code, stderr)
	}
	if code, _, _ := runHasp(t, "cert", "issue", "--force", "--out", out, "*.site.test"); code != exitOK {
		t.Errorf("--force with a wildcard: exit %d", code)
	}
	for when, want := range map[time.Duration]string{48*time.Hour + time.Minute: "2 days left", 25 * time.Hour: "1 day left", 5*time.Hour + time.Minute: "5 hours left", -49 * time.Hour: "EXPIRED 2 days ago"} {
		if got := daysLeft(time.Now().Add(when)); got != want {
			t.Errorf("daysLeft(%v) = %q, want %q", when, got, want)
		}
	}
}

// serveLeaf serves TLS with leaf until the test ends.
func serveLeaf(t *testing.T, leaf *testcerts.Leaf) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: leaf.Chain, PrivateKey: leaf.Key}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// 2, 3, 9, 10: hints and choices that work, and the chain shown when
// the server is not trusted.
func TestUXUntrustedChoices(t *testing.T) {
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)
	ca := testcerts.NewCA("untrusted CA")
	expired := serveLeaf(t, ca.IssueWith(testcerts.P256, testcerts.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, "127.0.0.1"))
	mismatch := serveLeaf(t, ca.Issue(testcerts.P256, "other.test"))

	isTerminal = func(io.Reader) bool { return false }
	code, _, stderr := runHasp(t, "connect", "--timeout", "5s", expired)
	if code != exitUntrusted || !strings.Contains(stderr, "Server chain:") || !strings.Contains(stderr, "no flag fixes this: the certificate is outside its validity") ||
		strings.Contains(stderr, "--accept-always "+expired) {
		t.Errorf("expired, non-interactive: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", "--accept-always", expired); code != exitUntrusted || !strings.Contains(stderr, "--accept-always cannot help") {
		t.Errorf("expired, --accept-always: exit %d\n%s", code, stderr)
	}
	// The name mismatch: a pin works (and is suggested), always does not.
	code, _, stderr = runHasp(t, "connect", "--timeout", "5s", mismatch)
	pin := regexp.MustCompile(`--pin (sha256/\S+) `).FindStringSubmatch(stderr)
	if code != exitUntrusted || pin == nil || strings.Contains(stderr, "--accept-always "+mismatch) {
		t.Fatalf("mismatch, non-interactive: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", "--pin", pin[1], mismatch); code != exitOK {
		t.Errorf("the suggested --pin: exit %d\n%s", code, stderr)
	}

	isTerminal = func(io.Reader) bool { return true }
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", expired); code != exitUntrusted || !strings.Contains(stderr, "(always is not offered: the certificate is outside its validity") {
		t.Errorf("expired, prompt: exit %d\n%s", code, stderr)
	}
	isTerminal = func(io.Reader) bool { return true }
	var stdout, errb testutil.SyncBuffer
	isolateConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code = run(ctx, []string{"connect", "--timeout", "5s", expired}, strings.NewReader("a\n"), &stdout, &errb)
	if code != exitUntrusted || !strings.Contains(errb.String(), "always cannot help") {
		t.Errorf("expired, answer always: exit %d\n%s", code, errb.String())
	}
	errb = testutil.SyncBuffer{}
	code = run(ctx, []string{"connect", "--timeout", "5s", expired}, strings.NewReader("yes\n"), &stdout, &errb)
	if code != exitOK {
		t.Errorf("expired, answer yes (once): exit %d\n%s", code, errb.String())
	}

	// hasp serve's own local CA: the hint names the --cafile to use.
	isTerminal = func(io.Reader) bool { return false }
	addr, _ := startServe(t)
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", addr); code != exitUntrusted || !strings.Contains(stderr, "it is issued by hasp's local CA: hasp connect --cafile ") {
		t.Errorf("local CA hint: exit %d\n%s", code, stderr)
	}
}

// 5: --json prints one document whatever happens.
func TestUXJSONAlways(t *testing.T) {
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Reader) bool { return false }
	untrusted, _ := selfSigned(t)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		addr  string
		code  int
		check func(doc map[string]any) bool
	}{
		{untrusted, exitUntrusted, func(d map[string]any) bool {
			return d["verdict"] != nil && strings.Contains(d["error"].(string), "not trusted")
		}},
		{closedAddr, exitNetwork, func(d map[string]any) bool { return strings.Contains(d["error"].(string), "refused") }},
	} {
		code, stdout, stderr := runHasp(t, "connect", "--json", "--timeout", "5s", "--known-hosts", "", tc.addr)
		var doc map[string]any
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != tc.code || doc["exit_code"] != float64(tc.code) || !tc.check(doc) {
			t.Errorf("%s: exit %d, JSON %v (%v)\nstdout: %s\nstderr: %s", tc.addr, code, doc, err, stdout, stderr)
		}
	}
}

// 4: Ctrl-C ends connect at the prompt and while copying.
func TestUXInterrupt(t *testing.T) {
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Reader) bool { return true }
	untrusted, _ := selfSigned(t)
	isolateConfig(t)
	for name, args := range map[string][]string{
		"at the prompt": {"connect", "--timeout", "5s", untrusted},
		"while copying": {"connect", "--timeout", "5s", "--insecure", untrusted},
	} {
		stdin, w := io.Pipe() // never written: the user does nothing
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr testutil.SyncBuffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, args, stdin, &stdout, &stderr) }()
		time.Sleep(500 * time.Millisecond)
		cancel()
		select {
		case code := <-done:
			if code != exitInterrupted {
				t.Errorf("%s: exit %d\n%s", name, code, stderr.String())
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: Ctrl-C did not end connect\n%s", name, stderr.String())
		}
		w.Close()
	}
}

// 8: hasp serve keeps its key across restarts, so a remembered key stays
// right; known-hosts lists and forgets.
func TestUXServeKeyAndKnownHosts(t *testing.T) {
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Reader) bool { return false }
	isolateConfig(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	ctx1, stop1 := context.WithCancel(context.Background())
	var out1 testutil.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx1, []string{"serve", "--addr", "127.0.0.1:0"}, nil, &out1, &out1) }()
	m := waitLine(&out1, `https://(127\.0\.0\.1:\d+)/`)
	if m == nil {
		t.Fatalf("serve:\n%s", out1.String())
	}
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", "--known-hosts", kh, "--accept-always", m[1]); code != exitOK {
		t.Fatalf("accept-always: exit %d\n%s", code, stderr)
	}
	stop1()
	<-done
	// A restart: a new certificate, the same key.
	addr, _ := startServe(t)
	hostport := "127.0.0.1:" + strings.Split(addr, ":")[1]
	var khData []byte
	khData, _ = os.ReadFile(kh)
	os.WriteFile(kh, []byte(strings.ReplaceAll(string(khData), m[1], hostport)), 0o600)
	if code, _, stderr := runHasp(t, "connect", "--timeout", "5s", "--known-hosts", kh, addr); code != exitOK || !strings.Contains(stderr, "same key as first seen") {
		t.Fatalf("after a restart: exit %d\n%s", code, stderr)
	}
	code, stdout, _ := runHasp(t, "known-hosts", "--known-hosts", kh, "list")
	if code != exitOK || !strings.Contains(stdout, hostport) {
		t.Fatalf("list: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := runHasp(t, "known-hosts", "forget", hostport, "--known-hosts", kh); code != exitOK || !strings.Contains(stdout, "forgot") {
		t.Fatalf("forget: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := runHasp(t, "known-hosts", "--known-hosts", kh, "forget", hostport); code != 1 || !strings.Contains(stderr, "is not in") {
		t.Fatalf("forget twice: exit %d\n%s", code, stderr)
	}
	if st, err := os.Stat(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "server.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("server.key: %v %v", err, st)
	}
}

// 7: a server that requires a client certificate: exit 1 and what to
// pass.
func TestUXClientCertRequired(t *testing.T) {
	addr, _ := startServe(t, "--client-auth", "require")
	ca := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	code, _, stderr := runHasp(t, "connect", "--timeout", "5s", "--cafile", ca, addr)
	if code != exitHandshake || !strings.Contains(stderr, "--cert FILE --key FILE") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// 16: cert show takes a host, cert ca says where the CA is, bad files are
// named.
func TestUXCertShowAndErrors(t *testing.T) {
	addr, _ := startServe(t)
	_, port, _ := net.SplitHostPort(addr)
	if code, stdout, stderr := runHasp(t, "cert", "show", "localhost:"+port); code != exitOK || !strings.Contains(stdout, "CN=localhost") {
		t.Errorf("cert show host:port: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ := runHasp(t, "cert", "ca")
	if code != exitOK || !strings.Contains(stdout, "the local CA is ") || !strings.Contains(stdout, "trust it:") {
		t.Errorf("cert ca: exit %d\n%s", code, stdout)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not pem"), 0o600)
	if code, _, stderr := runHasp(t, "serve", "--addr", "127.0.0.1:0", "--cert", bad, "--key", bad); code == exitOK || !strings.Contains(stderr, bad) {
		t.Errorf("bad --cert: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := runHasp(t, "help", "cert"); code != exitOK || !strings.Contains(stdout, "--out PREFIX") || !strings.Contains(stdout, "--force") {
		t.Errorf("help cert:\n%s", stdout)
	}
}

// 13: cert trust makes the NSS database and adds the local CA; untrust
// takes it out.
func TestUXCertTrustUntrust(t *testing.T) {
	certutil := testutil.NeedPeer(t, "certutil")
	home := t.TempDir()
	t.Setenv("HOME", home)
	db := filepath.Join(home, ".pki", "nssdb")
	if code, stdout, stderr := runHasp(t, "cert", "trust", "--no-system"); code != exitOK || !strings.Contains(stdout, "trusted in "+db) {
		t.Fatalf("trust: exit %d\n%s\n%s", code, stdout, stderr)
	}
	list := func() string {
		out, _ := exec.Command(certutil, "-L", "-d", "sql:"+db).CombinedOutput()
		return string(out)
	}
	if !strings.Contains(list(), "hasp-local-ca") {
		t.Fatalf("not in the database:\n%s", list())
	}
	if code, stdout, _ := runHasp(t, "cert", "untrust", "--no-system"); code != exitOK || !strings.Contains(stdout, "removed from "+db) {
		t.Fatalf("untrust: exit %d\n%s", code, stdout)
	}
	if strings.Contains(list(), "hasp-local-ca") {
		t.Fatalf("still in the database:\n%s", list())
	}
}

// 15: a redirect to the same host rides the same connection.
func TestUXGetRedirectReusesConnection(t *testing.T) {
	site := t.TempDir()
	os.MkdirAll(filepath.Join(site, "sub"), 0o755)
	os.WriteFile(filepath.Join(site, "sub", "index.html"), []byte("hello"), 0o644)
	addr, out := startServe(t, "--dir", site)
	ca := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	code, stdout, stderr := runHasp(t, "get", "-v", "--cacert", ca, "https://"+addr+"/sub")
	if code != exitOK || stdout != "hello" || !strings.Contains(stderr, "redirected to") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "* 127.0.0.1:"); n != 1 {
		t.Errorf("%d connections for a redirect to the same host:\n%s", n, stderr)
	}
	m := waitLine(out, `(127\.0\.0\.1:\d+) "GET /sub/ `)
	if m == nil || !strings.Contains(out.String(), m[1]+` "GET /sub HTTP`) {
		t.Errorf("the two requests came on different connections:\n%s", out)
	}
}
