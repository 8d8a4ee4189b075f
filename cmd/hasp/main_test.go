package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

var urlRE = regexp.MustCompile(`(?:https|tls)://(127\.0\.0\.1:\d+)/`)

// startServe runs 'hasp serve' with args on a free loopback port and
// returns its address; the server stops when the test ends.
func startServe(t *testing.T, args ...string) (string, *testutil.SyncBuffer) {
	t.Helper()
	isolateConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), nil, out, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, out)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not shut down")
		}
	})
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
	}
	t.Fatalf("serve did not start:\n%s", out)
	return "", nil
}

// isolateConfig points the user's config directory (local CA, known hosts)
// at a directory of the test's own, once per test.
func isolateConfig(t *testing.T) {
	if !strings.HasPrefix(os.Getenv("XDG_CONFIG_HOME"), os.TempDir()) {
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	}
}

func connectTo(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	isolateConfig(t)
	var stdout, stderr testutil.SyncBuffer
	code := run(context.Background(), append([]string{"connect", "--timeout", "10s"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestServeLocalCAAndConnect(t *testing.T) {
	addr, out := startServe(t)
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	if !strings.Contains(out.String(), "made a local CA in "+caPath) || !strings.Contains(out.String(), "curl --cacert "+caPath) {
		t.Errorf("serve output does not name the new local CA and how to trust it:\n%s", out)
	}
	if st, err := os.Stat(filepath.Join(filepath.Dir(caPath), "ca.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("CA key: %v, mode %v", err, st.Mode())
	}
	// With the local CA as trust anchor the server is trusted.
	code, _, stderr0 := connectTo(t, "", "--cafile", caPath, addr)
	if code != exitOK || !strings.Contains(stderr0, "Trust: trusted") {
		t.Fatalf("connect --cafile: exit %d\n%s", code, stderr0)
	}
	code, stdout, stderr := connectTo(t, "GET / HTTP/1.0\r\n\r\n", "--insecure", addr)
	if code != 0 {
		t.Fatalf("connect exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"Protocol      TLS 1.3", "Key exchange  X25519MLKEM768", "Verification: SKIPPED", "WARNING: --insecure"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("connect output lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{"HTTP/1.0 200 OK", "<td>TLS 1.3</td>", "<td>X25519MLKEM768</td>", "<td>TLS_AES_128_GCM_SHA256</td>"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("page lacks %q:\n%s", want, stdout)
		}
	}
	// Without --insecure the self-signed certificate is not trusted: the
	// verdict says why, and which flag would accept it.
	code, _, stderr = connectTo(t, "", addr)
	if code != exitUntrusted || !strings.Contains(stderr, "NOT TRUSTED") || !strings.Contains(stderr, "--accept-always") {
		t.Errorf("connect to a self-signed server: exit %d\n%s", code, stderr)
	}
	// --accept-always remembers the key; the next connect trusts it as a
	// known host without asking.
	code, _, stderr = connectTo(t, "", "--accept-always", addr)
	if code != exitOK || !strings.Contains(stderr, "Remembered sha256/") {
		t.Fatalf("--accept-always: exit %d\n%s", code, stderr)
	}
	code, _, stderr = connectTo(t, "", addr)
	if code != exitOK || !strings.Contains(stderr, "same key as first seen") {
		t.Fatalf("second connect: exit %d\n%s", code, stderr)
	}
}

// On a terminal the user is asked: "once" trusts this connection only.
func TestConnectAsks(t *testing.T) {
	addr, _ := startServe(t)
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Reader) bool { return true }
	code, stdout, stderr := connectTo(t, "o\nGET / HTTP/1.0\r\n\r\n", addr)
	if code != exitOK || !strings.Contains(stderr, "[o]nce    connect this time") || !strings.Contains(stderr, "[a]lways  remember this key") ||
		!strings.Contains(stderr, "Server chain:") || !strings.Contains(stdout, "200 OK") {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
	}
	// Once is once: the next connect asks again, and "no" refuses.
	code, _, stderr = connectTo(t, "n\n", addr)
	if code != exitUntrusted || !strings.Contains(stderr, "Not connecting.") {
		t.Fatalf("after once, then no: exit %d\n%s", code, stderr)
	}
}

func TestServeWithCertAndVerifiedConnect(t *testing.T) {
	ca := testcerts.NewCA("cmd test CA")
	l := ca.Issue(testcerts.RSA2048, "localhost", "127.0.0.1")
	dir := t.TempDir()
	files := map[string][]byte{"ca.pem": ca.PEM(), "leaf.pem": l.ChainPEM(), "leaf.key": l.KeyPEM()}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr, _ := startServe(t, "--cert", filepath.Join(dir, "leaf.pem"), "--key", filepath.Join(dir, "leaf.key"))
	code, stdout, stderr := connectTo(t, "GET / HTTP/1.0\r\n\r\n", "--cafile", filepath.Join(dir, "ca.pem"), "--servername", "localhost", "--alpn", "http/1.1", addr)
	if code != 0 {
		t.Fatalf("connect exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"Trust: trusted", "anchored at CN=cmd test CA", "Signature     rsa_pss_rsae_sha256", "ALPN          http/1.1", "names    localhost, 127.0.0.1"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("connect output lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "<td>localhost</td>") {
		t.Errorf("page does not show the SNI:\n%s", stdout)
	}
}

func TestUsage(t *testing.T) {
	var out testutil.SyncBuffer
	if code := run(context.Background(), []string{"help", "serve"}, nil, &out, &out); code != 0 {
		t.Fatalf("help serve: exit %d", code)
	}
	if !strings.Contains(out.String(), "127.0.0.1:8443") {
		t.Errorf("serve's default address is not 127.0.0.1:8443:\n%s", out.String())
	}
	if code := run(context.Background(), []string{"bogus"}, nil, &out, &out); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if code := run(context.Background(), []string{"serve", "--cert", "x"}, nil, &out, &out); code != 2 {
		t.Errorf("--cert without --key: exit %d", code)
	}
	if code, _, _ := connectTo(t, "", "127.0.0.1:1"); code != 3 {
		t.Errorf("connection refused: exit %d, want 3", code)
	}
}

// hasp connect against a self-signed server under a pseudo-terminal
// (util-linux script): the prompt appears, "always" persists, and the
// second connect does not ask.
func TestConnectPromptUnderPTY(t *testing.T) {
	scriptPath := testutil.NeedPeer(t, "script")
	dir := t.TempDir()
	bin := filepath.Join(dir, "hasp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr, _ := startServe(t)
	kh := filepath.Join(dir, "known_hosts")
	run := func(answer string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, scriptPath, "-qfec", bin+" connect --known-hosts "+kh+" "+addr, "/dev/null")
		out := &testutil.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if answer != "" {
			if !out.WaitFor("Your choice?", 15*time.Second) {
				t.Fatalf("no prompt:\n%s", out)
			}
			io.WriteString(in, answer+"\n")
		}
		if !out.WaitFor("---", 15*time.Second) {
			t.Fatalf("no connection:\n%s", out)
		}
		io.WriteString(in, "GET / HTTP/1.0\n\n\x04")
		cmd.Wait()
		return out.String()
	}
	first := run("a")
	if !strings.Contains(first, "Remembered sha256/") || !strings.Contains(first, "HTTP/1.0 200 OK") {
		t.Fatalf("first connect:\n%s", first)
	}
	second := run("")
	if strings.Contains(second, "Your choice?") || !strings.Contains(second, "same key as first seen") || !strings.Contains(second, "200 OK") {
		t.Fatalf("second connect asked again or failed:\n%s", second)
	}
}

// The local CA is made once and reused; the JSON lock panel, the echo
// mode and the http redirect work.
func TestServeFeatures(t *testing.T) {
	isolateConfig(t)
	_, out1 := startServe(t)
	addr, out2 := startServe(t)
	if strings.Contains(out2.String(), "made a local CA") || caLine(out1.String()) != caLine(out2.String()) {
		t.Fatalf("the CA was not reused:\n%s\n%s", out1, out2)
	}
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	code, stdout, stderr := connectTo(t, "GET /.well-known/hasp.json HTTP/1.0\r\n\r\n", "--cafile", caPath, addr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	body := stdout[strings.Index(stdout, "{"):]
	var panel struct {
		Protocol    string `json:"protocol"`
		KeyExchange string `json:"key_exchange"`
		ServerChain []struct {
			DaysLeft int `json:"days_left"`
		} `json:"server_chain"`
	}
	if err := json.Unmarshal([]byte(body), &panel); err != nil {
		t.Fatalf("JSON: %v\n%s", err, body)
	}
	if panel.Protocol != "TLS 1.3" || panel.KeyExchange != "X25519MLKEM768" || len(panel.ServerChain) != 2 || panel.ServerChain[0].DaysLeft < 29 {
		t.Fatalf("panel %+v", panel)
	}

	echoAddr, _ := startServe(t, "--echo", "--tls1.2")
	code, stdout, stderr = connectTo(t, "ping\n", "--cafile", caPath, echoAddr)
	if code != exitOK || stdout != "ping\n" || !strings.Contains(stderr, "TLS 1.2") {
		t.Fatalf("echo: exit %d %q\n%s", code, stdout, stderr)
	}

	_, out := startServe(t, "--redirect-http", "127.0.0.1:0")
	m := waitLine(out, `redirecting http://(\S+)/ to https`)
	if m == nil {
		t.Fatalf("no redirect line:\n%s", out)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + m[1] + "/some/path?q=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(loc, "https://127.0.0.1:") || !strings.HasSuffix(loc, "/some/path?q=1") {
		t.Fatalf("redirect %d %q", resp.StatusCode, loc)
	}
}

func caLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "local CA:") {
			return l
		}
	}
	return ""
}

// curl (OpenSSL underneath) against hasp serve, trusting the local CA:
// TLS 1.3 by default and TLS 1.2 with --tls-max 1.2.
func TestCurlAgainstServe(t *testing.T) {
	curl := testutil.NeedPeer(t, "curl")
	addr, log := startServe(t)
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	// Without the CA curl refuses the certificate, and the server's log
	// says which alert the client gave up with.
	if out, err := exec.Command(curl, "-sS", "--max-time", "10", "https://"+addr+"/").CombinedOutput(); err == nil {
		t.Fatalf("curl trusted the local CA without --cacert:\n%s", out)
	}
	for end := time.Now().Add(5 * time.Second); !strings.Contains(log.String(), "unknown_ca"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no handshake error naming unknown_ca in the log:\n%s", log)
		}
	}
	if !strings.Contains(log.String(), "TLS handshake error from 127.0.0.1:") {
		t.Fatalf("handshake error line lacks the client's address:\n%s", log)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--http1.1"}, "<td>TLS 1.3</td>"},
		{[]string{"--http1.1", "--tls-max", "1.2"}, "<td>TLS 1.2</td>"},
		{[]string{"--http2"}, "<th>HTTP</th><td>HTTP/2.0</td>"},
		{[]string{"--http1.1"}, "<th>HTTP</th><td>HTTP/1.1</td>"},
	} {
		args := append([]string{"-sS", "--max-time", "10", "--cacert", caPath, "https://" + addr + "/"}, tc.args...)
		out, err := exec.Command(curl, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Fatalf("curl %v: %v\n%s", tc.args, err, out)
		}
	}
}

// curl reuses one HTTP/1.1 connection for two requests (keep-alive):
// net/http moves the read deadline into the past after each request, and
// that timeout must not break the connection.
func TestCurlKeepAlive(t *testing.T) {
	curl := testutil.NeedPeer(t, "curl")
	addr, log := startServe(t)
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	out, err := exec.Command(curl, "-sS", "-v", "--http1.1", "--max-time", "10", "--cacert", caPath,
		"https://"+addr+"/", "https://"+addr+"/.well-known/hasp.json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"protocol": "TLS 1.3"`) {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Re-using existing connection") {
		t.Errorf("curl opened a second connection:\n%s", out)
	}
	// Both requests in the access log come from one client port.
	re := regexp.MustCompile(`(127\.0\.0\.1:\d+) "GET (/\S*) HTTP/1\.1"`)
	var deadline = time.Now().Add(5 * time.Second)
	for len(re.FindAllStringSubmatch(log.String(), -1)) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	m := re.FindAllStringSubmatch(log.String(), -1)
	if len(m) != 2 || m[0][1] != m[1][1] {
		t.Errorf("want two requests from one connection in the log:\n%s", log)
	}
}

// connect traces the handshake, one line per message each way.
func TestConnectTrace(t *testing.T) {
	addr, _ := startServe(t)
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	code, _, stderr := connectTo(t, "", "--cafile", caPath, addr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"-> ClientHello          versions [TLS 1.3 TLS 1.2]",
		"key shares [X25519MLKEM768 x25519]",
		"<- ServerHello          version TLS 1.3, suite TLS_AES_128_GCM_SHA256, key share X25519MLKEM768",
		"<- Certificate          2 certificates",
		"<- CertificateVerify    ecdsa_secp256r1_sha256",
		"-> Finished",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("trace lacks %q:\n%s", want, stderr)
		}
	}
	code, _, stderr = connectTo(t, "", "--quiet", "--cafile", caPath, addr)
	if code != exitOK || strings.Contains(stderr, "ClientHello") {
		t.Errorf("--quiet: exit %d\n%s", code, stderr)
	}
}

// connect --json with version, suite and group choices, and a client
// certificate against serve --client-auth.
func TestConnectJSONAndChoices(t *testing.T) {
	isolateConfig(t)
	ca := testcerts.NewCA("client CA")
	client := ca.IssueWith(testcerts.P256, testcerts.Options{Client: true}, "cli")
	dir := t.TempDir()
	for n, b := range map[string][]byte{"ca.pem": ca.PEM(), "c.pem": client.ChainPEM(), "c.key": client.KeyPEM()} {
		os.WriteFile(filepath.Join(dir, n), b, 0o600)
	}
	addr, _ := startServe(t, "--client-auth", "require-and-verify", "--client-ca", filepath.Join(dir, "ca.pem"))
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	code, stdout, stderr := connectTo(t, "GET /.well-known/hasp.json HTTP/1.0\r\n\r\n", "--json", "--cafile", caPath, "--tls1.2",
		"--ciphers", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "--groups", "secp256r1",
		"--cert", filepath.Join(dir, "c.pem"), "--key", filepath.Join(dir, "c.key"), addr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var doc struct {
		Protocol    string `json:"protocol"`
		CipherSuite string `json:"cipher_suite"`
		KeyExchange string `json:"key_exchange"`
		Handshake   []struct {
			Direction, Message string
		} `json:"handshake"`
		Verdict struct {
			Trusted bool `json:"trusted"`
		} `json:"verdict"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	if doc.Protocol != "TLS 1.2" || doc.CipherSuite != "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" || doc.KeyExchange != "secp256r1" || !doc.Verdict.Trusted {
		t.Fatalf("doc %+v", doc)
	}
	var msgs []string
	for _, h := range doc.Handshake {
		msgs = append(msgs, h.Direction+" "+h.Message)
	}
	if !strings.Contains(strings.Join(msgs, ","), "received CertificateRequest,received ServerHelloDone,sent Certificate,sent ClientKeyExchange,sent CertificateVerify") {
		t.Errorf("handshake %v", msgs)
	}
	if !strings.Contains(stdout, `"CN=cli"`) {
		t.Errorf("the page does not show the client certificate:\n%s", stdout)
	}
	if strings.Contains(stderr, "ClientHello") {
		t.Errorf("--json printed the text trace")
	}
}

func TestCertCommands(t *testing.T) {
	isolateConfig(t)
	dir := t.TempDir()
	var out testutil.SyncBuffer
	if code := run(context.Background(), []string{"cert", "ca"}, nil, &out, &out); code != 0 || !strings.Contains(out.String(), "ca         yes") {
		t.Fatalf("cert ca: %d\n%s", code, out.String())
	}
	prefix := filepath.Join(dir, "svc")
	out = testutil.SyncBuffer{}
	if code := run(context.Background(), []string{"cert", "issue", "--rsa", "2048", "--days", "10", "--out", prefix, "svc.test", "127.0.0.2"}, nil, &out, &out); code != 0 {
		t.Fatalf("cert issue: %d\n%s", code, out.String())
	}
	for _, w := range []string{"names      svc.test, 127.0.0.2", "key        RSA 2048 bits", "(9 days left)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("issue output lacks %q:\n%s", w, out.String())
		}
	}
	if st, err := os.Stat(prefix + "-key.pem"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v", err)
	}
	// The issued pair serves, and show decodes both the file and the
	// live chain.
	addr, _ := startServe(t, "--cert", prefix+".pem", "--key", prefix+"-key.pem")
	for _, target := range []string{prefix + ".pem", addr} {
		out = testutil.SyncBuffer{}
		if code := run(context.Background(), []string{"cert", "show", "--json", target}, nil, &out, &out); code != 0 {
			t.Fatalf("cert show %s: %d\n%s", target, code, out.String())
		}
		var chain []struct {
			Subject string   `json:"subject"`
			Names   []string `json:"names"`
		}
		if err := json.Unmarshal([]byte(out.String()), &chain); err != nil || len(chain) != 2 || chain[0].Subject != "CN=svc.test" {
			t.Fatalf("cert show %s: %v\n%s", target, err, out.String())
		}
	}
	if code := run(context.Background(), []string{"cert", "issue", "--rsa", "1024", "x.test"}, nil, &out, &out); code != exitUsage {
		t.Errorf("--rsa 1024 accepted")
	}
}

// hasp get against hasp serve: HTTP/2, -v, -o, a redirect, POST and an
// error status.
func TestGet(t *testing.T) {
	isolateConfig(t)
	files := t.TempDir()
	os.WriteFile(filepath.Join(files, "hello.txt"), []byte("hello from a file\n"), 0o644)
	addr, _ := startServe(t, "--dir", files)
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	var out, errb testutil.SyncBuffer
	code := run(context.Background(), []string{"get", "-v", "--cacert", caPath, "https://" + addr + "/hello.txt"}, nil, &out, &errb)
	if code != 0 || out.String() != "hello from a file\n" || !strings.Contains(errb.String(), "< HTTP/2.0 200 OK") || !strings.Contains(errb.String(), "TLS 1.3") {
		t.Fatalf("get: %d %q\n%s", code, out.String(), errb.String())
	}
	dst := filepath.Join(t.TempDir(), "panel.json")
	out, errb = testutil.SyncBuffer{}, testutil.SyncBuffer{}
	if code := run(context.Background(), []string{"get", "-o", dst, "--cacert", caPath, "https://" + addr + "/.well-known/hasp.json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("get -o: %d\n%s", code, errb.String())
	}
	if b, _ := os.ReadFile(dst); !strings.Contains(string(b), `"http": "HTTP/2.0"`) {
		t.Errorf("saved body: %s", b)
	}
	// The file server redirects a directory without its slash.
	os.Mkdir(filepath.Join(files, "sub"), 0o755)
	os.WriteFile(filepath.Join(files, "sub", "index.html"), []byte("sub index"), 0o644)
	out, errb = testutil.SyncBuffer{}, testutil.SyncBuffer{}
	code = run(context.Background(), []string{"get", "-v", "--cacert", caPath, "https://" + addr + "/sub"}, nil, &out, &errb)
	if code != 0 || out.String() != "sub index" || !strings.Contains(errb.String(), "redirected to") {
		t.Fatalf("redirect: %d %q\n%s", code, out.String(), errb.String())
	}
	out, errb = testutil.SyncBuffer{}, testutil.SyncBuffer{}
	if code := run(context.Background(), []string{"get", "--cacert", caPath, "https://" + addr + "/missing"}, nil, &out, &errb); code != 5 {
		t.Errorf("404: exit %d", code)
	}
	// Untrusted: the verdict and exit 4, as connect (issue 16 item 15).
	errb = testutil.SyncBuffer{}
	if code := run(context.Background(), []string{"get", "https://" + addr + "/"}, nil, &out, &errb); code != exitUntrusted || !strings.Contains(errb.String(), "Trust: NOT TRUSTED") {
		t.Errorf("untrusted CA: exit %d\n%s", code, errb.String())
	}
	// -o to a path that cannot be written: a usage error before any
	// request; -I prints the headers; -H sends one; -v shows the request.
	if code := run(context.Background(), []string{"get", "-o", "/nonexistent/dir/x", "--cacert", caPath, "https://" + addr + "/"}, nil, &out, &errb); code != exitUsage {
		t.Errorf("-o unwritable: exit %d", code)
	}
	out, errb = testutil.SyncBuffer{}, testutil.SyncBuffer{}
	if code := run(context.Background(), []string{"get", "-I", "-v", "-H", "X-Test: yes", "--cacert", caPath, "https://" + addr + "/"}, nil, &out, &errb); code != exitOK ||
		!strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), "Content-Type:") || !strings.Contains(errb.String(), "> HEAD /") || !strings.Contains(errb.String(), "> X-Test: yes") {
		t.Errorf("-I -v -H: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// mask replaces what changes from run to run: addresses, fingerprints,
// dates and times left.
func mask(s string) string {
	for _, r := range []struct{ re, with string }{
		{`127\.0\.0\.1:\d+`, "127.0.0.1:PORT"},
		{`localhost:\d+`, "localhost:PORT"},
		{`"spki_sha256": "[A-Za-z0-9+/=]{44}"`, `"spki_sha256": "SPKI"`},
		{`[0-9A-F]{64}`, "FINGERPRINT"},
		{`sha256/[A-Za-z0-9+/=]{44}`, "sha256/SPKI"},
		{`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`, "TIME"},
		{`\d{4}-\d\d-\d\d`, "DATE"},
		{`\(\d+h\d+m\d+s left\)`, "(LEFT)"},
		{`\(\d+ (days?|hours) left\)`, "(LEFT)"},
		{`valid for \d+ (days|hours) more`, "valid for N more"},
		{`expires in \d+ (days|hours)`, "expires in N"},
		{`"days_left": \d+`, `"days_left": N`},
		// Tickets arrive after the handshake, sooner or later.
		{`(?m)^  <- NewSessionTicket .*\n`, ""},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// Golden outputs of connect, text and JSON, against a server with a
// fixed-name chain and a fixed ALPN.
func TestConnectGolden(t *testing.T) {
	isolateConfig(t)
	ca := testcerts.NewCA("golden CA")
	l := ca.IssueWith(testcerts.P256, testcerts.Options{NotAfter: time.Now().Add(20 * time.Hour)}, "localhost", "127.0.0.1")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca.PEM(), 0o600)
	os.WriteFile(filepath.Join(dir, "leaf.pem"), l.ChainPEM(), 0o600)
	os.WriteFile(filepath.Join(dir, "leaf.key"), l.KeyPEM(), 0o600)
	addr, _ := startServe(t, "--echo", "--cert", filepath.Join(dir, "leaf.pem"), "--key", filepath.Join(dir, "leaf.key"))
	args := []string{"--cafile", filepath.Join(dir, "ca.pem"), "--servername", "localhost", "--groups", "x25519",
		"--ciphers", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", addr}
	code, stdout, stderr := connectTo(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	golden(t, "connect.txt", mask(stderr+stdout))
	code, stdout, stderr = connectTo(t, "", append([]string{"--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	golden(t, "connect.json", mask(stdout))
}

// curl follows --redirect-http's redirect to the https page.
func TestCurlFollowsRedirect(t *testing.T) {
	curl := testutil.NeedPeer(t, "curl")
	_, out := startServe(t, "--redirect-http", "127.0.0.1:0")
	m := waitLine(out, `redirecting http://(\S+)/ to https`)
	if m == nil {
		t.Fatalf("no redirect line:\n%s", out)
	}
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	body := runPeer(t, "", curl, "-sS", "-L", "--max-time", "10", "--cacert", caPath, "http://"+m[1]+"/")
	if !strings.Contains(body, "<td>TLS 1.3</td>") {
		t.Fatalf("curl -L:\n%.1000s", body)
	}
}

// /dev/null is a character device but not a terminal: connect must not
// prompt on it (a prompt there would silently read EOF as "No").
func TestIsTerminalDevNull(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Fatalf("isTerminal(%s) = true", os.DevNull)
	}
}

// Failed handshakes are logged one by one only up to a burst; the rest
// are summed up in one line (on shutdown here, else at the end of the
// minute), so random bytes from one client cannot fill the disk.
func TestServeHandshakeErrorsBounded(t *testing.T) {
	isolateConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testutil.SyncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, nil, out, out) }()
	var addr string
	for end := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve did not start:\n%s", out)
	}
	const junk = 300
	junkBytes := bytes.Repeat([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 0xff}, 4)
	for i := 0; i < junk; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(junkBytes)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c) // until the server's alert and close
		c.Close()
	}
	// The server still serves a real client.
	if code, _, stderr := connectTo(t, "", "--insecure", "--quiet", addr); code != exitOK {
		t.Fatalf("connect after junk: exit %d\n%s", code, stderr)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
	log := out.String()
	if n := strings.Count(log, "TLS handshake error from"); n != 10 {
		t.Errorf("%d handshake errors logged one by one, want 10:\n%s", n, log)
	}
	// The last few handshake goroutines may still be logging when the
	// server returns; the summary counts those that finished.
	m := regexp.MustCompile(`(\d+) more failed TLS handshakes in the last 1m0s \(not logged one by one\); top reasons: \d+ sent illegal_parameter`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no summary of the other failures:\n%s", log)
	}
	if n, _ := strconv.Atoi(m[1]); n < junk-20 || n > junk-10 {
		t.Errorf("summary counts %d failures, want about %d", n, junk-10)
	}
	if len(log) > 8000 {
		t.Errorf("log of %d bytes for %d junk connections", len(log), junk)
	}
}

// waitLine waits (5 s at most) for serve's output to show a line matching
// re: the lines after "listening on" come a moment after startServe
// returns.
func waitLine(out *testutil.SyncBuffer, re string) []string {
	rx := regexp.MustCompile(re)
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := rx.FindStringSubmatch(out.String()); m != nil || time.Now().After(end) {
			return m
		}
	}
}
