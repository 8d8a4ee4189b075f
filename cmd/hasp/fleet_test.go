package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/store"
)

// redisServer is redis-server from Debian on a loopback port, with a
// password, no persistence, its files in a temporary directory.
type redisServer struct {
	t        *testing.T
	port     int
	password string
	cmd      *exec.Cmd
	dir      string
}

func startRedis(t *testing.T) *redisServer {
	bin := testutil.NeedPeer(t, "redis-server")
	var pw [12]byte
	rand.Read(pw[:])
	r := &redisServer{t: t, port: freeTCPPort(t), password: hex.EncodeToString(pw[:]), dir: t.TempDir()}
	r.start(bin)
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) start(bin string) {
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--requirepass", r.password, "--daemonize", "no", "--protected-mode", "yes")
	log, _ := os.Create(filepath.Join(r.dir, "redis.log"))
	r.cmd.Stdout, r.cmd.Stderr = log, log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c := redis.NewClient(&redis.Options{Addr: r.addr(), Password: r.password})
		err := c.Ping(context.Background()).Err()
		c.Close()
		if err == nil {
			return
		}
		if time.Now().After(end) {
			r.t.Fatalf("redis-server does not answer: %v", err)
		}
	}
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Signal(syscall.SIGTERM)
		r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }
func (r *redisServer) url() string  { return "redis://:" + r.password + "@" + r.addr() + "/0" }

// resume dials addr with the shared session cache and says whether the
// handshake resumed; it waits for a ticket before closing.
func resume(t *testing.T, addr string, cfg *hasp.Config) bool {
	t.Helper()
	c, err := hasp.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	io.WriteString(c, "GET /.well-known/hasp.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
	return c.ConnectionState().DidResume
}

// Two hasp serve members on one Redis: a ticket from one resumes on the
// other, keys rotate and old tickets still resume, Redis going away and
// coming back empty, a corrupted record.
func TestFleetOnRedis(t *testing.T) {
	r := startRedis(t)
	var key [32]byte
	rand.Read(key[:])
	t.Setenv("HASP_STORE_KEY", hex.EncodeToString(key[:]))
	a, outA := startServe(t, "--store", r.url(), "--ticket-rotation", "2s")
	b, outB := startServe(t, "--store", r.url(), "--ticket-rotation", "2s")
	for _, out := range []*testutil.SyncBuffer{outA, outB} {
		if !strings.Contains(out.String(), "fleet store: redis://:xxxxx@"+r.addr()+"/0; ticket keys shared") {
			t.Fatalf("serve output:\n%s", out)
		}
	}
	caPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "hasp", "ca.pem")
	pem, _ := os.ReadFile(caPath)
	pool := newPool(t, pem)
	cfg := &hasp.Config{ServerName: "localhost", RootCAs: pool, ClientSessionCache: anyPort(), NextProtos: []string{"http/1.1"}}
	for _, v := range []uint16{hasp.VersionTLS13, hasp.VersionTLS12} {
		c := cfg.Clone()
		c.MinVersion, c.MaxVersion = v, v
		c.ClientSessionCache = anyPort()
		if resume(t, a, c) {
			t.Fatalf("%x: resumed on a first connection", v)
		}
		if !resume(t, b, c) {
			t.Fatalf("%x: a ticket from member A does not resume on member B", v)
		}
	}
	// TLS 1.2 by session ID (OpenSSL without tickets): the session
	// stored by A, sealed in Redis, resumes on B.
	if openssl, err := exec.LookPath("openssl"); err == nil {
		sess := filepath.Join(t.TempDir(), "sess.pem")
		sclient := func(addr string, args ...string) string {
			cmd := exec.Command(openssl, append([]string{"s_client", "-connect", addr, "-tls1_2", "-no_ticket", "-servername", "localhost", "-CAfile", caPath}, args...)...)
			cmd.Stdin = strings.NewReader("")
			out, _ := cmd.CombinedOutput()
			return string(out)
		}
		if out := sclient(a, "-sess_out", sess); !strings.Contains(out, "New, TLSv1.2") {
			t.Fatalf("openssl to A:\n%s", out)
		}
		if out := sclient(b, "-sess_in", sess); !strings.Contains(out, "Reused, TLSv1.2") {
			t.Fatalf("a TLS 1.2 session ID from A does not resume on B:\n%s", out)
		}
	} else if os.Getenv("HASP_CI") != "" {
		t.Fatal("openssl missing")
	}
	// Rotation: after it, a ticket from before still resumes.
	old := cfg.Clone()
	old.ClientSessionCache = anyPort()
	resume(t, a, old)
	st, err := store.NewRedis(context.Background(), r.url(), key[:])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keysNow := func() string { b, _ := st.Get(context.Background(), "tickets/keys"); return string(b) }
	before := keysNow()
	time.Sleep(3 * time.Second)
	if keysNow() == before {
		t.Fatal("the ticket keys did not rotate")
	}
	if !resume(t, b, old) {
		t.Fatal("a ticket from before the rotation no longer resumes")
	}
	// Redis goes away: both members keep serving and resuming.
	fresh := cfg.Clone()
	fresh.ClientSessionCache = anyPort()
	r.stop()
	time.Sleep(1500 * time.Millisecond)
	resume(t, a, fresh)
	if !resume(t, b, fresh) {
		t.Fatal("with Redis down, tickets no longer resume across members")
	}
	if !strings.Contains(outA.String()+outB.String(), "the store fails") {
		t.Errorf("the store failure is not logged:\n%s\n%s", outA, outB)
	}
	// Redis comes back empty: the members give it their keys back.
	r.start(testutil.NeedPeer(t, "redis-server"))
	time.Sleep(1500 * time.Millisecond)
	if !resume(t, a, fresh) {
		t.Fatal("after Redis came back, an earlier ticket no longer resumes")
	}
	if !strings.Contains(outA.String()+outB.String(), "the store answers again") {
		t.Errorf("no re-sync logged:\n%s\n%s", outA, outB)
	}
	// A corrupted record is refused and never used.
	rc := redis.NewClient(&redis.Options{Addr: r.addr(), Password: r.password})
	defer rc.Close()
	rc.Set(context.Background(), "hasp:tickets/keys", "not a sealed record at all, but long enough", 0)
	time.Sleep(1500 * time.Millisecond)
	if !strings.Contains(outA.String()+outB.String(), "does not open") {
		t.Errorf("the corrupted record is not reported:\n%s\n%s", outA, outB)
	}
	if !resume(t, b, fresh) {
		t.Fatal("a corrupted record broke resumption")
	}
}

func TestFleetBadInput(t *testing.T) {
	r := startRedis(t)
	t.Setenv("HASP_STORE_KEY", strings.Repeat("ab", 32))
	for _, tc := range []struct {
		url, want string
	}{
		{"redis//127.0.0.1:1", "want redis://host:port/db or a directory"},
		{"redis://:wrong@" + r.addr() + "/0", "WRONGPASS"},
		{"http://example.invalid/", "want redis://"},
	} {
		var stdout, stderr testutil.SyncBuffer
		isolateConfig(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store", tc.url}, nil, &stdout, &stderr)
		cancel()
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("--store %s: exit %d\n%s", tc.url, code, stderr.String())
		}
	}
	t.Setenv("HASP_STORE_KEY", "short")
	var stdout, stderr testutil.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store", r.url()}, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "32 bytes") {
		t.Errorf("short key: exit %d\n%s", code, stderr.String())
	}
}

func newPool(t *testing.T, pem []byte) *x509.CertPool {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("no certificates")
	}
	return p
}

// anyPort is a client session cache that keys sessions by name alone:
// the two members listen on two ports here, where a fleet behind a load
// balancer shares one address (hasp's own cache keys by name and port).
type anyPortCache struct{ hasp.ClientSessionCache }

func anyPort() hasp.ClientSessionCache {
	return anyPortCache{hasp.NewLRUClientSessionCache(8)}
}

func (c anyPortCache) Get(key string) (*hasp.ClientSessionState, bool) {
	h, _, _ := net.SplitHostPort(key)
	return c.ClientSessionCache.Get(h)
}

func (c anyPortCache) Put(key string, cs *hasp.ClientSessionState) {
	h, _, _ := net.SplitHostPort(key)
	c.ClientSessionCache.Put(h, cs)
}
