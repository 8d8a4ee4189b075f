package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRedis is just enough of a Redis server, on a loopback port, for
// go-redis and the store: it refuses HELLO (the client goes on in RESP2),
// answers PING, keeps what SET stores and answers GET with it, or with
// raw[key] sent as it is, and reports every connection the client
// closes.
type fakeRedis struct {
	url    string
	mu     sync.Mutex
	data   map[string][]byte
	raw    map[string]string
	closed chan struct{}
}

func startFakeRedis(t *testing.T) *fakeRedis {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{url: "redis://" + l.Addr().String() + "/0", data: map[string][]byte{}, raw: map[string]string{}, closed: make(chan struct{}, 100)}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.serve(c)
			}()
		}
	}()
	return f
}

func (f *fakeRedis) setRaw(key, reply string) {
	f.mu.Lock()
	f.raw[key] = reply
	f.mu.Unlock()
}

func (f *fakeRedis) serve(c net.Conn) {
	defer c.Close()
	rd := bufio.NewReader(c)
	for {
		args, err := readCommand(rd)
		if err != nil {
			f.closed <- struct{}{}
			return
		}
		var reply string
		f.mu.Lock()
		switch strings.ToUpper(string(args[0])) {
		case "HELLO":
			reply = "-ERR unknown command 'HELLO'\r\n"
		case "PING":
			reply = "+PONG\r\n"
		case "SET":
			f.data[string(args[1])] = args[2]
			reply = "+OK\r\n"
		case "GET":
			if r, ok := f.raw[string(args[1])]; ok {
				reply = r
			} else if v, ok := f.data[string(args[1])]; ok {
				reply = "$" + strconv.Itoa(len(v)) + "\r\n" + string(v) + "\r\n"
			} else {
				reply = "$-1\r\n"
			}
		default:
			reply = "+OK\r\n"
		}
		f.mu.Unlock()
		if _, err := io.WriteString(c, reply); err != nil {
			f.closed <- struct{}{}
			return
		}
	}
}

// readCommand reads a command as clients send it: an array of bulk
// strings.
func readCommand(rd *bufio.Reader) ([][]byte, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 || line[0] != '*' {
		return nil, fmt.Errorf("bad command header %q", line)
	}
	args := make([][]byte, n)
	for i := range args {
		line, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		m, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil || m < 0 || line[0] != '$' {
			return nil, fmt.Errorf("bad argument header %q", line)
		}
		args[i] = make([]byte, m+2)
		if _, err := io.ReadFull(rd, args[i]); err != nil {
			return nil, err
		}
		args[i] = args[i][:m]
	}
	return args, nil
}

// A file over MaxValueSize is refused by Dir.Get with ErrTooLarge and an
// error naming the key, the file and the limit. Put refuses what Get
// could not read back; a value of exactly MaxValueSize round-trips.
func TestDirValueSizeLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := Dir(dir)
	atCap := bytes.Repeat([]byte{'a'}, MaxValueSize)
	if err := d.Put(ctx, "certs/big.pem", atCap); err != nil {
		t.Fatal(err)
	}
	if b, err := d.Get(ctx, "certs/big.pem"); err != nil || !bytes.Equal(b, atCap) {
		t.Fatalf("a value of MaxValueSize: %d bytes, %v", len(b), err)
	}

	over := append(atCap, 'b')
	if err := d.Put(ctx, "certs/over.pem", over); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "certs/over.pem") {
		t.Fatalf("Put over the limit: %v", err)
	}
	if _, err := d.Get(ctx, "certs/over.pem"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused Put wrote something: %v", err)
	}

	// Planted or corrupted: far over the limit (sparse, so cheap).
	for _, size := range []int64{MaxValueSize + 1, 1 << 40} {
		p := filepath.Join(dir, "certs", "planted.pem")
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			t.Fatal(err)
		}
		b, err := d.Get(ctx, "certs/planted.pem")
		if !errors.Is(err, ErrTooLarge) || b != nil {
			t.Fatalf("a %d-byte file: %d bytes, %v", size, len(b), err)
		}
		for _, want := range []string{"certs/planted.pem", p, strconv.Itoa(MaxValueSize)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error %q does not name %q", err, want)
			}
		}
	}

}

// A Redis server that announces a string longer than the store ever
// stores (a hostile server, or something else on its port) gets an error
// naming the key and the limit, before the client allocates what it
// announced; the client closes that connection and the next Get works on
// a new one. Without the guard, go-redis would make([]byte, 1<<40).
func TestRedisGetRefusesHugeLength(t *testing.T) {
	f := startFakeRedis(t)
	ctx := context.Background()
	rs, err := NewRedis(ctx, f.url, testKey())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if err := rs.Put(ctx, "certs/ok.pem", []byte("fine")); err != nil {
		t.Fatal(err)
	}
	limit := strconv.Itoa(maxRESPString)
	for _, tc := range []struct {
		reply    string
		tooLarge bool
	}{
		{"$1099511627776\r\n", true},
		{"$268435456\r\n", true},
		{"$" + strconv.Itoa(maxRESPString+1) + "\r\n", true},
		{"$99999999999999999999999999\r\n", true},
		{"$-2\r\n", false},
		{"$-1099511627776\r\n", false},
		{"*1099511627776\r\n", false},
		{"=1099511627776\r\n", true},
	} {
		f.setRaw("hasp:certs/evil.pem", tc.reply)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b, err := rs.Get(ctx, "certs/evil.pem")
		runtime.ReadMemStats(&m1)
		if err == nil || b != nil {
			t.Fatalf("%q: %d bytes, %v", tc.reply, len(b), err)
		}
		if errors.Is(err, ErrTooLarge) != tc.tooLarge || !strings.Contains(err.Error(), "certs/evil.pem") ||
			tc.tooLarge && !strings.Contains(err.Error(), limit) {
			t.Errorf("%q: the error %q does not say what was refused", tc.reply, err)
		}
		if a := m1.TotalAlloc - m0.TotalAlloc; a > 8<<20 {
			t.Errorf("%q: the refused Get allocated %d bytes", tc.reply, a)
		}
		select {
		case <-f.closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("%q: the client kept the connection", tc.reply)
		}
		// A new connection, in step with the server.
		if b, err := rs.Get(ctx, "certs/ok.pem"); err != nil || string(b) != "fine" {
			t.Fatalf("after %q: %q %v", tc.reply, b, err)
		}
	}
	// Nil (-1) is not refused: nothing is stored.
	f.setRaw("hasp:certs/evil.pem", "$-1\r\n")
	if _, err := rs.Get(ctx, "certs/evil.pem"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("$-1: %v", err)
	}
}

// Through the guard, a value of exactly MaxValueSize round-trips (sealed,
// it is the longest string the guard lets through); Put and PutExpiring
// refuse one byte more, so the store never writes what it could not read
// back.
func TestRedisValueAtCapRoundTrips(t *testing.T) {
	f := startFakeRedis(t)
	ctx := context.Background()
	rs, err := NewRedis(ctx, f.url, testKey())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	atCap := bytes.Repeat([]byte{'v'}, MaxValueSize)
	if err := rs.Put(ctx, "tickets/keys", atCap); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	stored := len(f.data["hasp:tickets/keys"])
	f.mu.Unlock()
	if stored != maxRESPString {
		t.Fatalf("a sealed value of MaxValueSize is %d bytes, the guard's limit %d", stored, maxRESPString)
	}
	if b, err := rs.Get(ctx, "tickets/keys"); err != nil || !bytes.Equal(b, atCap) {
		t.Fatalf("a value of MaxValueSize: %d bytes, %v", len(b), err)
	}
	over := append(atCap, 'w')
	if err := rs.Put(ctx, "tickets/over", over); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "tickets/over") {
		t.Fatalf("Put over the limit: %v", err)
	}
	if err := rs.PutExpiring(ctx, "tickets/over", over, time.Minute); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("PutExpiring over the limit: %v", err)
	}
	if _, err := rs.Get(ctx, "tickets/over"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused Put wrote something: %v", err)
	}
}

// The guard follows RESP framing as go-redis reads it, whichever way the
// bytes are cut into reads, and refuses an offending header before the
// \n that would let go-redis act on it.
func TestRESPGuard(t *testing.T) {
	big := "$" + strconv.Itoa(maxRESPString) + "\r\n" + strings.Repeat("x", maxRESPString) + "\r\n"
	nest := func(n int) string { return strings.Repeat("*1\r\n", n) + ":1\r\n" }
	for _, tc := range []struct {
		stream string
		ok     bool
	}{
		{"+OK\r\n:1\r\n-ERR no\r\n_\r\n#t\r\n,1.5\r\n(123\r\n", true},
		{"$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n", true},
		{"*2\r\n$3\r\nfoo\r\n*1\r\n:1\r\n+after\r\n", true},
		// HELLO's answer in RESP3, with an attribute before a value.
		{"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nmodules\r\n*0\r\n|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", true},
		{">2\r\n$7\r\nmessage\r\n=8\r\ntxt:abcd\r\n!3\r\nERR\r\n", true},
		{big + big, true},
		{nest(maxRESPDepth), true},
		{"*" + strconv.Itoa(maxRESPElements) + "\r\n" + strings.Repeat(":1\r\n", maxRESPElements) + "+OK\r\n", true},

		{"$" + strconv.Itoa(maxRESPString+1) + "\r\n", false},
		{"$1099511627776\r\n", false},
		{"!1099511627776\r\n", false},
		{"$1234567890123456789\r\n", false},
		{"$-2\r\n", false},
		{"$-0\r\n", false},
		{"$\r\n", false},
		{"$1x\r\n", false},
		{"$5\rx", false},
		{"*" + strconv.Itoa(maxRESPElements+1) + "\r\n", false},
		{"%" + strconv.Itoa(maxRESPElements+1) + "\r\n", false},
		{nest(maxRESPDepth + 1), false},
		{"?\r\n", false},
		{"\r\n", false},
		{"+" + strings.Repeat("x", maxRESPReply) + "\r\n", false},
		{"*2\r\n" + big + big, false},
	} {
		name := tc.stream
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		var whole respGuard
		errWhole := whole.scan([]byte(tc.stream))
		if (errWhole == nil) != tc.ok {
			t.Errorf("%q: %v", name, errWhole)
			continue
		}
		// Byte by byte: the same verdict, and an offending length
		// header is refused at the latest on its \n.
		var bytewise respGuard
		var errBytes error
		at := -1
		for i := 0; i < len(tc.stream) && errBytes == nil; i++ {
			if errBytes = bytewise.scan([]byte{tc.stream[i]}); errBytes != nil {
				at = i
			}
		}
		if fmt.Sprint(errBytes) != fmt.Sprint(errWhole) {
			t.Errorf("%q: whole %v, byte by byte %v", name, errWhole, errBytes)
		}
		if nl := strings.IndexByte(tc.stream, '\n'); !tc.ok && tc.stream[0] == '$' && nl >= 0 && at > nl {
			t.Errorf("%q: refused at byte %d, after the header's \\n at %d", name, at, nl)
		}
		if errBytes != nil && bytewise.scan([]byte("+OK\r\n")) == nil {
			t.Errorf("%q: the guard read on after refusing", name)
		}
	}
}
