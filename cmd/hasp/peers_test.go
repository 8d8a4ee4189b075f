package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

func runPeer(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Run()
	return out.String()
}

// openssl s_client and gnutls-cli against hasp serve, verifying with the
// local CA.
func TestPeersAgainstServe(t *testing.T) {
	addr, _ := startServe(t)
	ca := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	host, port, _ := strings.Cut(addr, ":")
	t.Run("openssl s_client", func(t *testing.T) {
		out := runPeer(t, "GET / HTTP/1.0\r\n\r\n", testutil.NeedPeer(t, "openssl"), "s_client", "-connect", addr, "-servername", "localhost",
			"-CAfile", ca, "-verify_return_error", "-ign_eof")
		for _, w := range []string{"Verify return code: 0 (ok)", "<td>TLS 1.3</td>", "HTTP/1.0 200 OK"} {
			if !strings.Contains(out, w) {
				t.Errorf("s_client output lacks %q:\n%.2000s", w, out)
			}
		}
	})
	t.Run("gnutls-cli", func(t *testing.T) {
		out := runPeer(t, "GET / HTTP/1.0\r\n\r\n", testutil.NeedPeer(t, "gnutls-cli"), "--x509cafile", ca, "--verify-hostname", "localhost",
			"--sni-hostname", "localhost", "-p", port, host)
		for _, w := range []string{"(TLS1.3-X.509)", "<td>TLS 1.3</td>"} {
			if !strings.Contains(out, w) {
				t.Errorf("gnutls-cli output lacks %q:\n%.2000s", w, out)
			}
		}
	})
}

// Java's JSSE: a small client compiled here, trusting the local CA through
// a PKCS#12 trust store made by keytool, fetches the page over TLS 1.3.
func TestJavaAgainstServe(t *testing.T) {
	javac, java, keytool := testutil.NeedPeer(t, "javac"), testutil.NeedPeer(t, "java"), testutil.NeedPeer(t, "keytool")
	addr, _ := startServe(t)
	ca := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	dir := t.TempDir()
	src := `import javax.net.ssl.*;
import java.net.URL;
public class Get {
  public static void main(String[] a) throws Exception {
    HttpsURLConnection c = (HttpsURLConnection) new URL(a[0]).openConnection();
    byte[] body = c.getInputStream().readAllBytes();
    System.out.write(body);
    System.out.println("\nJSSE cipher " + c.getCipherSuite());
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "Get.java"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := runPeer(t, "", javac, "-d", dir, filepath.Join(dir, "Get.java")); out != "" {
		t.Fatalf("javac: %s", out)
	}
	ts := filepath.Join(dir, "ts.p12")
	runPeer(t, "", keytool, "-importcert", "-noprompt", "-alias", "hasp", "-file", ca, "-keystore", ts, "-storetype", "PKCS12", "-storepass", "changeit")
	out := runPeer(t, "", java, "-Djavax.net.ssl.trustStore="+ts, "-Djavax.net.ssl.trustStorePassword=changeit",
		"-Djdk.tls.client.protocols=TLSv1.3", "-cp", dir, "Get", "https://"+addr+"/")
	for _, w := range []string{"<td>TLS 1.3</td>", "JSSE cipher TLS_AES_"} {
		if !strings.Contains(out, w) {
			t.Errorf("java output lacks %q:\n%.2000s", w, out)
		}
	}
}

// Headless Chromium trusts the local CA through an NSS database made with
// certutil under a fresh HOME, loads hasp serve's page, and the lock
// panel shows TLS 1.3 and X25519MLKEM768. With an empty NSS database the
// same load fails: Chromium exits 0 on certificate errors, so the DOM and
// stderr are checked, not the exit code.
func TestChromiumAgainstServe(t *testing.T) {
	chromium := testutil.NeedPeer(t, "chromium")
	certutil := testutil.NeedPeer(t, "certutil")
	addr, _ := startServe(t)
	load := func(trustCA bool, extra ...string) string {
		home := t.TempDir()
		db := filepath.Join(home, ".pki", "nssdb")
		if err := os.MkdirAll(db, 0o700); err != nil {
			t.Fatal(err)
		}
		if trustCA {
			// hasp cert trust makes the NSS database and adds the CA
			// (issue 16 item 13), as a user would.
			t.Setenv("HOME", home)
			var o, e testutil.SyncBuffer
			if code := run(context.Background(), []string{"cert", "trust", "--no-system"}, nil, &o, &e); code != exitOK || !strings.Contains(o.String(), "trusted in "+db) {
				t.Fatalf("hasp cert trust: exit %d\n%s\n%s", code, o.String(), e.String())
			}
		} else {
			runPeer(t, "", certutil, "-N", "-d", "sql:"+db, "--empty-password")
		}
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir()}, extra...)
		args = append(args, "https://"+addr+"/")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, args...)
		cmd.Env = append(os.Environ(), "HOME="+home)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Run()
		return out.String() + "\n--- stderr ---\n" + errb.String()
	}
	got := load(true, "--dump-dom")
	// The handshake diagram names what was negotiated; the offered lists
	// mark the chosen group; the chain and the verdict are there.
	for _, w := range []string{"chooses TLS 1.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768", `class="chosen">X25519MLKEM768<`,
		`aria-label="handshake diagram"`, "CertificateVerify", "GET (HTTP/2.0)", `id="chain"`, "SPKI pin", "post-quantum key exchange",
		"an idle connection closes after 1 minute", "and never past the certificate"} {
		if !strings.Contains(got, w) {
			t.Errorf("Chromium's DOM lacks %s:\n%.3000s", w, got)
		}
	}
	// The negative control: no trusted CA, no page.
	neg := load(false, "--dump-dom")
	if strings.Contains(neg, "aria-label=\"handshake diagram\"") {
		t.Errorf("Chromium loaded the page without trusting the CA:\n%.2000s", neg)
	}
	if !strings.Contains(neg, "ERR_CERT_AUTHORITY_INVALID") {
		t.Logf("negative control output (no ERR_CERT_AUTHORITY_INVALID seen):\n%.2000s", neg)
	}
	// Screenshots of the lock panel at desktop and phone widths, kept as
	// artifacts ($HASP_ARTIFACTS under CI).
	art := os.Getenv("HASP_ARTIFACTS")
	if art == "" {
		art = filepath.Join(os.TempDir(), "hasp-artifacts")
	}
	os.MkdirAll(art, 0o755)
	for _, v := range []struct{ name, size string }{{"lock-panel-desktop.png", "1200,1700"}, {"lock-panel-phone.png", "390,1800"}} {
		shot := filepath.Join(art, v.name)
		os.Remove(shot)
		load(true, "--screenshot="+shot, "--window-size="+v.size, "--force-device-scale-factor=1")
		if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
			t.Errorf("no screenshot %s: %v", v.name, err)
		} else {
			t.Logf("screenshot: %s", shot)
		}
	}
}

// hasp connect against openssl s_server and gnutls-serv, verifying with
// the test CA.
func TestConnectAgainstPeers(t *testing.T) {
	ca := testcerts.NewCA("peer CA")
	l := ca.Issue(testcerts.P256, "localhost", "127.0.0.1")
	dir := t.TempDir()
	caFile, certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.key")
	os.WriteFile(caFile, ca.PEM(), 0o600)
	os.WriteFile(certFile, l.ChainPEM(), 0o600)
	os.WriteFile(keyFile, l.KeyPEM(), 0o600)
	t.Run("openssl s_server", func(t *testing.T) {
		openssl := testutil.NeedPeer(t, "openssl")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, openssl, "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert", certFile, "-key", keyFile, "-www")
		out := &testutil.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		if !out.WaitFor("ACCEPT", 10*time.Second) {
			t.Fatal("s_server did not start")
		}
		addr := strings.TrimSpace(strings.SplitN(strings.SplitN(out.String(), "ACCEPT ", 2)[1], "\n", 2)[0])
		code, stdout, stderr := connectTo(t, "GET / HTTP/1.0\r\n\r\n", "--cafile", caFile, "--servername", "localhost", addr)
		if code != exitOK || !strings.Contains(stderr, "Trust: trusted") || !strings.Contains(stdout, "New, TLSv1.3") {
			t.Fatalf("exit %d\n%s\n%.500s", code, stderr, stdout)
		}
	})
	t.Run("gnutls-serv", func(t *testing.T) {
		serv := testutil.NeedPeer(t, "gnutls-serv")
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, serv, "-p", strconv.Itoa(port), "--echo", "--x509certfile", certFile, "--x509keyfile", keyFile)
		out := &testutil.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		out.WaitFor("listening", 10*time.Second)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		var code int
		var stdout, stderr string
		for i := 0; i < 40; i++ {
			if code, stdout, stderr = connectTo(t, "echo me\n", "--cafile", caFile, "--servername", "localhost", addr); code != exitNetwork {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if code != exitOK || !strings.Contains(stdout, "echo me") || !strings.Contains(stderr, "Protocol      TLS 1.3") {
			t.Fatalf("exit %d\n%s\n%s", code, stderr, stdout)
		}
	})
}
