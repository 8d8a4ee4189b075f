package dtls_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

// peerFiles writes the test CA and a leaf of type kt as PEM files.
func peerFiles(t *testing.T, kt testcerts.KeyType) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	l := testCA.Issue(kt, "localhost", "127.0.0.1")
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.key")
	for name, data := range map[string][]byte{ca: testCA.PEM(), cert: l.ChainPEM(), key: l.KeyPEM()} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return
}

type peer struct {
	stdin io.WriteCloser
	out   *testutil.SyncBuffer
}

// startOpenSSL runs openssl with args until the test ends (killed by its
// PID through exec).
func startOpenSSL(t *testing.T, args ...string) *peer {
	t.Helper()
	return startProgram(t, testutil.NeedPeer(t, "openssl"), args...)
}

// startProgram runs a program with a stdin pipe until the test ends.
func startProgram(t *testing.T, path string, args ...string) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, path, args...)
	p := &peer{out: &testutil.SyncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = w
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Close()
		cmd.Process.Kill()
		cmd.Wait()
		cancel()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(path), p.out.String())
		}
	})
	return p
}

// acceptAddr waits for s_server's ACCEPT line and returns its address.
func acceptAddr(t *testing.T, p *peer) string {
	t.Helper()
	if !p.out.WaitFor("ACCEPT", 10*time.Second) {
		t.Fatal("s_server did not start")
	}
	sc := bufio.NewScanner(strings.NewReader(p.out.String()))
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			return strings.TrimSpace(a)
		}
	}
	t.Fatal("no ACCEPT line")
	return ""
}

// hasp client against openssl s_server -dtls1_2, with an MTU that makes
// both sides fragment the certificate flight.
func TestOpenSSLServer(t *testing.T) {
	for _, tc := range []struct {
		kt     testcerts.KeyType
		cipher string
		mtu    int
	}{
		{testcerts.P256, "ECDHE-ECDSA-AES128-GCM-SHA256", 1200},
		{testcerts.P256, "ECDHE-ECDSA-CHACHA20-POLY1305", 1200},
		{testcerts.RSA2048, "ECDHE-RSA-AES256-GCM-SHA384", 400},
		{testcerts.P256, "ECDHE-ECDSA-AES128-CCM8", 1200},
		{testcerts.P256, "ECDHE-ECDSA-AES128-CCM", 1200},
	} {
		t.Run(tc.cipher, func(t *testing.T) {
			_, cert, key := peerFiles(t, tc.kt)
			p := startOpenSSL(t, "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-naccept", "1",
				"-cert", cert, "-key", key, "-cipher", tc.cipher, "-mtu", fmt.Sprint(tc.mtu))
			if !p.out.WaitFor("ACCEPT", 10*time.Second) {
				t.Fatal("s_server did not start")
			}
			var addr string
			sc := bufio.NewScanner(strings.NewReader(p.out.String()))
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
					addr = strings.TrimSpace(a)
				}
			}
			cfg := clientConfig()
			if strings.Contains(tc.cipher, "CCM") {
				// Offered only when named.
				cfg.CipherSuites = []uint16{hasp.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, hasp.TLS_ECDHE_ECDSA_WITH_AES_128_CCM}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			c, err := dtls.DialContext(ctx, "udp", addr, cfg, dtls.WithMTU(tc.mtu))
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("hello from hasp\n")); err != nil {
				t.Fatal(err)
			}
			if !p.out.WaitFor("hello from hasp", 10*time.Second) {
				t.Fatal("s_server did not print what hasp sent")
			}
			io.WriteString(p.stdin, "hello from openssl\n")
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 2048)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "hello from openssl\n" {
				t.Fatalf("read %q, %v", buf[:n], err)
			}
		})
	}
}

// openssl s_client -dtls1_2 against a hasp Listener (cookie exchange
// included), verifying hasp's chain.
func TestOpenSSLClient(t *testing.T) {
	for _, tc := range []struct {
		kt     testcerts.KeyType
		cipher string
		mtu    int
	}{
		{testcerts.P256, "ECDHE-ECDSA-AES256-GCM-SHA384", 1200},
		{testcerts.RSA2048, "ECDHE-RSA-CHACHA20-POLY1305", 500},
		{testcerts.P256, "ECDHE-ECDSA-AES128-CCM8", 1200},
	} {
		t.Run(tc.cipher, func(t *testing.T) {
			ca, _, _ := peerFiles(t, tc.kt)
			sc := serverConfig(tc.kt)
			if strings.Contains(tc.cipher, "CCM") {
				sc.CipherSuites = []uint16{hasp.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8}
			}
			l, err := dtls.Listen("udp", "127.0.0.1:0", sc, dtls.WithMTU(tc.mtu))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go serveEcho(l)
			p := startOpenSSL(t, "s_client", "-dtls1_2", "-connect", l.Addr().String(), "-servername", "localhost",
				"-CAfile", ca, "-verify_return_error", "-cipher", tc.cipher, "-mtu", fmt.Sprint(tc.mtu), "-ign_eof")
			if !p.out.WaitFor("Verify return code: 0 (ok)", 15*time.Second) {
				t.Fatal("s_client did not verify hasp's chain")
			}
			io.WriteString(p.stdin, "ping from openssl\n")
			// s_client prints what the echo sends back.
			if !strings.Contains(p.out.String(), tc.cipher) {
				t.Errorf("s_client did not negotiate %s", tc.cipher)
			}
			time.Sleep(100 * time.Millisecond)
			io.WriteString(p.stdin, "again\n")
			if !p.out.WaitFor("again", 10*time.Second) {
				t.Fatal("no echo seen by s_client")
			}
		})
	}
}

// DTLS-SRTP with OpenSSL: s_server agrees on the profile and prints the
// exported keying material, which must be what hasp derived.
func TestOpenSSLSRTP(t *testing.T) {
	_, cert, key := peerFiles(t, testcerts.P256)
	p := startOpenSSL(t, "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-naccept", "1", "-cert", cert, "-key", key,
		"-use_srtp", "SRTP_AEAD_AES_128_GCM", "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56")
	if !p.out.WaitFor("ACCEPT", 10*time.Second) {
		t.Fatal("s_server did not start")
	}
	var addr string
	sc := bufio.NewScanner(strings.NewReader(p.out.String()))
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			addr = strings.TrimSpace(a)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := dtls.DialContext(ctx, "udp", addr, clientConfig(), dtls.WithSRTP(dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.SRTP_AEAD_AES_128_GCM))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.SRTPProtectionProfile() != dtls.SRTP_AEAD_AES_128_GCM {
		t.Fatalf("profile %04x", c.SRTPProtectionProfile())
	}
	km, err := c.SRTPKeyingMaterial()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ToUpper(hex.EncodeToString(km))
	c.Write([]byte("x\n")) // s_server prints its session details once data flows
	if !p.out.WaitFor(want, 10*time.Second) {
		t.Fatalf("s_server's keying material is not %s", want)
	}
}

// openssl s_client resumes a session a hasp Listener gave it (-sess_out,
// then -sess_in), by ticket.
func TestOpenSSLResumption(t *testing.T) {
	ca, _, _ := peerFiles(t, testcerts.P256)
	l, err := dtls.Listen("udp", "127.0.0.1:0", serverConfig(testcerts.P256))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveEcho(l)
	sess := filepath.Join(t.TempDir(), "session.pem")
	for i, args := range [][]string{{"-sess_out", sess}, {"-sess_in", sess}} {
		p := startOpenSSL(t, append([]string{"s_client", "-dtls1_2", "-connect", l.Addr().String(), "-servername", "localhost",
			"-CAfile", ca, "-verify_return_error", "-ign_eof"}, args...)...)
		want := "New, TLSv1.2"
		if i == 1 {
			want = "Reused, TLSv1.2"
		}
		if !p.out.WaitFor(want, 15*time.Second) {
			t.Fatalf("connection %d: s_client did not say %q", i, want)
		}
		io.WriteString(p.stdin, "ping\n")
		if !p.out.WaitFor("ping", 10*time.Second) {
			t.Fatalf("connection %d: no echo", i)
		}
		if i == 0 {
			// s_client writes the session file as it goes; let it.
			for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
				if st, err := os.Stat(sess); err == nil && st.Size() > 0 {
					break
				}
			}
		}
		p.stdin.Close()
	}
}

// A hasp client resumes with openssl s_server.
func TestOpenSSLServerResumption(t *testing.T) {
	_, cert, key := peerFiles(t, testcerts.P256)
	p := startOpenSSL(t, "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-naccept", "2", "-cert", cert, "-key", key)
	addr := acceptAddr(t, p)
	cfg := clientConfig()
	cfg.ClientSessionCache = hasp.NewLRUClientSessionCache(4)
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		c, err := dtls.DialContext(ctx, "udp", addr, cfg)
		cancel()
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if got := c.ConnectionState().DidResume; got != (i == 1) {
			t.Fatalf("connection %d: resumed %v", i, got)
		}
		c.Write([]byte(fmt.Sprintf("connection %d\n", i)))
		if !p.out.WaitFor(fmt.Sprintf("connection %d", i), 10*time.Second) {
			t.Fatalf("s_server did not print connection %d's data", i)
		}
		c.Close()
	}
}
