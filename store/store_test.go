package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hasp-tls/hasp/internal/testutil"
)

func startRedis(t *testing.T) (url string, addr string) {
	bin := testutil.NeedPeer(t, "redis-server")
	port, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--requirepass", "pw")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	addr = "127.0.0.1:" + strconv.Itoa(port)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c := redis.NewClient(&redis.Options{Addr: addr, Password: "pw"})
		err := c.Ping(context.Background()).Err()
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("redis-server: %v", err)
		}
	}
	return "redis://:pw@" + addr + "/0", addr
}

func testKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// Both stores: what is put comes back; locks exclude; keys are checked.
func TestStores(t *testing.T) {
	url, addr := startRedis(t)
	ctx := context.Background()
	key := testKey()
	rs, err := NewRedis(ctx, url, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	rs.Lease = time.Second
	for name, s := range map[string]Store{"dir": Dir(t.TempDir()), "redis": rs} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Get(ctx, "certs/a.pem"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("missing key: %v", err)
			}
			if err := s.Put(ctx, "certs/a.pem", []byte("hello")); err != nil {
				t.Fatal(err)
			}
			if b, err := s.Get(ctx, "certs/a.pem"); err != nil || string(b) != "hello" {
				t.Fatalf("got %q %v", b, err)
			}
			// A value of MaxValueSize round-trips; one byte more is
			// refused by Put.
			atCap := bytes.Repeat([]byte{'c'}, MaxValueSize)
			if err := s.Put(ctx, "certs/cap.pem", atCap); err != nil {
				t.Fatal(err)
			}
			if b, err := s.Get(ctx, "certs/cap.pem"); err != nil || !bytes.Equal(b, atCap) {
				t.Fatalf("a value of MaxValueSize: %d bytes, %v", len(b), err)
			}
			if err := s.Put(ctx, "certs/cap.pem", append(atCap, 'd')); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("a value over MaxValueSize: %v", err)
			}
			unlock, err := s.Lock(ctx, "x")
			if err != nil {
				t.Fatal(err)
			}
			lctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			if _, err := s.Lock(lctx, "x"); err == nil {
				t.Fatal("a held lock was taken again")
			}
			cancel()
			unlock()
			unlock2, err := s.Lock(ctx, "x")
			if err != nil {
				t.Fatal(err)
			}
			unlock2()
		})
	}
	// Dir refuses keys that climb out of it.
	if err := Dir(t.TempDir()).Put(ctx, "../x", nil); err == nil {
		t.Error("Dir accepted ../x")
	}
	// Sealed: the raw Redis value is not the data, and does not open
	// under another key or another name.
	rc := redis.NewClient(&redis.Options{Addr: addr, Password: "pw"})
	defer rc.Close()
	raw, _ := rc.Get(ctx, "hasp:certs/a.pem").Bytes()
	if bytes.Contains(raw, []byte("hello")) {
		t.Fatal("the Redis value holds the data in the clear")
	}
	other, _ := NewRedis(ctx, url, testKey())
	defer other.Close()
	if _, err := other.Get(ctx, "certs/a.pem"); !errors.Is(err, ErrSealed) {
		t.Fatalf("another store key: %v", err)
	}
	rc.Set(ctx, "hasp:certs/b.pem", raw, 0)
	if _, err := rs.Get(ctx, "certs/b.pem"); !errors.Is(err, ErrSealed) {
		t.Fatalf("a record moved to another name: %v", err)
	}
	// A lock whose holder died is free again after its lease.
	rc.Set(ctx, "hasp:lock:dead", "someone", time.Second)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if u, err := rs.Lock(lctx, "dead"); err != nil {
		t.Fatalf("a dead holder's lock: %v", err)
	} else {
		u()
	}
	// Bad input.
	for _, bad := range []string{"redis//x", "http://x/", "redis://"} {
		t.Setenv("HASP_STORE_KEY", hex.EncodeToString(key))
		if _, err := Open(ctx, bad); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	if _, err := NewRedis(ctx, strings.Replace(url, ":pw@", ":wrong@", 1), key); err == nil {
		t.Error("a wrong password accepted")
	}
	for _, k := range []string{"", "abc", strings.Repeat("z", 64)} {
		if _, err := ParseKey(k); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}

// A writer killed with SIGKILL in the middle of its writes leaves every
// record whole: each one opens (Redis) or parses (Dir) as one of the
// values written, never a part.
func TestKilledWriterLeavesNoCorruptState(t *testing.T) {
	if os.Getenv("HASP_STORE_WRITER") != "" {
		writer()
		return
	}
	url, _ := startRedis(t)
	key := hex.EncodeToString(testKey())
	dir := t.TempDir()
	found := 0
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestKilledWriterLeavesNoCorruptState$")
		cmd.Env = append(os.Environ(), "HASP_STORE_WRITER=1", "HASP_STORE_KEY="+key, "HASP_STORE_URL="+url, "HASP_STORE_DIR="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+100*round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		ctx := context.Background()
		k, _ := ParseKey(key)
		rs, err := NewRedis(ctx, url, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []Store{rs, Dir(dir)} {
			for i := 0; i < 4; i++ {
				b, err := s.Get(ctx, fmt.Sprintf("records/%d", i))
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil || !wholeRecord(b) {
					t.Fatalf("round %d: record %d is not whole (%d bytes, %v)\nwriter: %s", round, i, len(b), err, out.String())
				}
				found++
			}
		}
		rs.Close()
		// No lock held by the dead writer stays held past its lease.
	}
	if found == 0 {
		t.Fatal("the writer wrote nothing before it was killed: the test shows nothing")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "records", "*.tmp*"))
	t.Logf("temporary files left by killed writers: %d (the next Put of the same key removes them once stale)", len(matches))
}

// wholeRecord: 64 KiB of one repeated byte, as writer writes them.
func wholeRecord(b []byte) bool {
	if len(b) != 64<<10 {
		return false
	}
	return bytes.Count(b, b[:1]) == len(b)
}

func writer() {
	ctx := context.Background()
	k, _ := ParseKey(os.Getenv("HASP_STORE_KEY"))
	rs, err := NewRedis(ctx, os.Getenv("HASP_STORE_URL"), k)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	d := Dir(os.Getenv("HASP_STORE_DIR"))
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				v := bytes.Repeat([]byte{byte(n)}, 64<<10)
				key := fmt.Sprintf("records/%d", w)
				rs.Put(ctx, key, v)
				d.Put(ctx, key, v)
			}
		}()
	}
	wg.Wait()
}

func netListen() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
