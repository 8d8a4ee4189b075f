package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testutil"
)

var udpRE = regexp.MustCompile(`DTLS 1\.2 echo on udp (127\.0\.0\.1:\d+)`)

// hasp serve --dtls is an echo service; hasp connect --dtls sends each
// line as a datagram, with the same trace, verdict and flags as TLS.
func TestServeAndConnectDTLS(t *testing.T) {
	isolateConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--dtls", "--addr", "127.0.0.1:0", "--mtu", "600"}, nil, out, out)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, out)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("serve did not shut down")
		}
	}()
	var addr string
	for end := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := udpRE.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve --dtls did not start:\n%s", out)
	}
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	code, stdout, stderr := connectTo(t, "hello over udp\nsecond line\n", "--dtls", "--mtu", "600", "--cafile", caPath, addr)
	if code != exitOK {
		t.Fatalf("connect --dtls: exit %d\n%s", code, stderr)
	}
	if stdout != "hello over udp\nsecond line\n" {
		t.Errorf("echo %q", stdout)
	}
	for _, want := range []string{"DTLS 1.2", "Trust: trusted", "-> ClientHello", "<- HelloVerifyRequest"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("connect output lacks %q:\n%s", want, stderr)
		}
	}
	if !out.WaitFor("DTLS 1.2 TLS_ECDHE_", 5*time.Second) {
		t.Errorf("serve logged no connection summary:\n%s", out)
	}
	// Untrusted without the CA, as over TLS.
	if code, _, stderr := connectTo(t, "", "--dtls", addr); code != exitUntrusted {
		t.Errorf("connect --dtls to an untrusted server: exit %d\n%s", code, stderr)
	}
}
