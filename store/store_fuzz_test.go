package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzTicketKeysRecord: a tickets/keys record read back from the store
// is refused, or gives between one and Keep keys, none of them zero or
// undated.
func FuzzTicketKeysRecord(f *testing.F) {
	f.Add([]byte(keysRecord(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 3)))
	f.Add([]byte(`[{"created":"2029-12-31T00:00:00Z","key":[1]}]`))
	f.Add([]byte(`[{"created":"2029-12-31T00:00:00Z","key":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]}]`))
	f.Add([]byte(`[null]`))
	f.Fuzz(func(t *testing.T, rec []byte) {
		tk := &TicketKeys{Store: memStore{ticketKeysKey: rec}}
		keys, err := tk.read(context.Background())
		if err != nil {
			return
		}
		if len(keys) == 0 || len(keys) > tk.keep() {
			t.Fatalf("%d keys", len(keys))
		}
		for _, k := range keys {
			if k.Key == ([32]byte{}) || k.Created.IsZero() {
				t.Fatalf("accepted %+v", k)
			}
		}
		if _, err := json.Marshal(keys); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzOpenSealed: a Redis record (corrupted, truncated, sealed under
// another key or for another key) opens to what was sealed or is
// ErrSealed.
func FuzzOpenSealed(f *testing.F) {
	block, _ := aes.NewCipher(make([]byte, 32))
	aead, _ := cipher.NewGCM(block)
	r := &Redis{aead: aead}
	good := r.seal("k", []byte("value"))
	f.Add(good)
	f.Add(good[:12])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, rec []byte) {
		data, err := r.open("k", rec)
		if err == nil && !bytes.Equal(data, []byte("value")) && bytes.Equal(rec, good) {
			t.Fatal("opened to something else")
		}
	})
}

// FuzzRESPGuard: whatever a Redis server sends, and however it is cut
// into reads, the guard in front of go-redis gives the same verdict; it
// lets through no header announcing more than the store's limits (a
// string over MaxValueSize sealed, an aggregate over maxRESPElements or
// nested over maxRESPDepth, a negative length but -1, a reply over
// maxRESPReply), checked against respRef, a reading of the same stream
// straight from the protocol; and it refuses nothing that respRef reads
// as well-formed and within the limits.
func FuzzRESPGuard(f *testing.F) {
	f.Add([]byte("$1099511627776\r\n"), uint16(3))
	f.Add([]byte("$"+strconv.Itoa(maxRESPString)+"\r\n"), uint16(0))
	f.Add([]byte("$"+strconv.Itoa(maxRESPString+1)+"\r\n"), uint16(5))
	f.Add([]byte("+OK\r\n$5\r\nhello\r\n$-1\r\n$-2\r\n"), uint16(9))
	f.Add([]byte("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nmodules\r\n*0\r\n"), uint16(17))
	f.Add([]byte("|1\r\n+ttl\r\n:3\r\n*2\r\n|-1\r\n$1\r\nv\r\n_\r\n"), uint16(4))
	f.Add([]byte(strings.Repeat("*1\r\n", maxRESPDepth+1)+":1\r\n"), uint16(2))
	f.Add([]byte("*1025\r\n>2\r\n=8\r\ntxt:abcd\r\n!3\r\nERR\r\n"), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		var whole respGuard
		errWhole := whole.scan(data)

		var split respGuard
		k := int(cut) % (len(data) + 1)
		errSplit := split.scan(data[:k])
		if errSplit == nil {
			errSplit = split.scan(data[k:])
		}
		var bytewise respGuard
		var errBytes error
		for i := 0; i < len(data) && errBytes == nil; i++ {
			errBytes = bytewise.scan(data[i : i+1])
		}
		if fmt.Sprint(errWhole) != fmt.Sprint(errSplit) || fmt.Sprint(errWhole) != fmt.Sprint(errBytes) {
			t.Fatalf("verdicts differ: whole %v; cut at %d %v; byte by byte %v", errWhole, k, errSplit, errBytes)
		}
		if errWhole != nil && whole.scan([]byte("+OK\r\n")) == nil {
			t.Fatal("the guard read on after refusing")
		}

		bad, incomplete := respRefCheck(data)
		if bad && errWhole == nil {
			t.Fatalf("the guard let through what breaks the limits: %q", data)
		}
		if errWhole != nil && !bad && !incomplete {
			t.Fatalf("the guard refused a well-formed stream within the limits (%v): %q", errWhole, data)
		}
		if errors.Is(errWhole, ErrTooLarge) && !bytes.ContainsAny(data, "$!=") {
			t.Fatalf("ErrTooLarge without a string header: %v", errWhole)
		}
	})
}

// respRef reads RESP replies as the protocol writes them, recursively, on
// a whole buffer, with the store's limits.
type respRef struct {
	b   []byte
	pos int
}

var (
	errRefBad        = errors.New("over the limits or malformed")
	errRefIncomplete = errors.New("incomplete")
)

// respRefCheck: bad if a complete header or reply of b is malformed or
// breaks the limits; incomplete if b ends inside a reply.
func respRefCheck(b []byte) (bad, incomplete bool) {
	r := &respRef{b: b}
	for r.pos < len(b) {
		start := r.pos
		switch err := r.value(0); {
		case err == errRefBad:
			return true, false
		case err == errRefIncomplete:
			return false, true
		case r.pos-start > maxRESPReply:
			return true, false
		}
	}
	return false, false
}

func (r *respRef) line() ([]byte, error) {
	i := bytes.IndexByte(r.b[r.pos:], '\n')
	if i < 0 {
		r.pos = len(r.b)
		return nil, errRefIncomplete
	}
	l := r.b[r.pos : r.pos+i+1]
	r.pos += i + 1
	return l, nil
}

// value reads one element, at depth aggregates down (an attribute with
// the element it describes).
func (r *respRef) value(depth int) error {
	l, err := r.line()
	if err != nil {
		return err
	}
	switch l[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '!', '=', '*', '~', '>', '%', '|':
	default:
		return errRefBad
	}
	if len(l) < 4 || l[len(l)-2] != '\r' {
		return errRefBad
	}
	num := string(l[1 : len(l)-2])
	digits := strings.TrimPrefix(num, "-")
	if digits == "" || len(digits) > maxRESPDigits || strings.Trim(digits, "0123456789") != "" {
		return errRefBad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < -1 || (n != -1 && num[0] == '-') {
		return errRefBad
	}
	if n == -1 {
		if l[0] == '|' {
			return r.value(depth)
		}
		return nil
	}
	switch l[0] {
	case '$', '!', '=':
		if n > maxRESPString {
			return errRefBad
		}
		if int64(len(r.b)-r.pos) < n+2 {
			r.pos = len(r.b)
			return errRefIncomplete
		}
		r.pos += int(n) + 2
		return nil
	}
	if n > maxRESPElements {
		return errRefBad
	}
	count := n
	if l[0] == '%' || l[0] == '|' {
		count *= 2
	}
	if count > 0 && depth >= maxRESPDepth {
		return errRefBad
	}
	for range count {
		if err := r.value(depth + 1); err != nil {
			return err
		}
	}
	if l[0] == '|' {
		return r.value(depth)
	}
	return nil
}

// FuzzParseKey: a store key is exactly 32 bytes or an error.
func FuzzParseKey(f *testing.F) {
	f.Add("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	f.Add("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseKey(s); err == nil && len(k) != 32 {
			t.Fatalf("%d bytes", len(k))
		}
	})
}

// memStore is a Store over a map (reads only).
type memStore map[string][]byte

func (m memStore) Get(_ context.Context, key string) ([]byte, error) {
	if b, ok := m[key]; ok {
		return b, nil
	}
	return nil, ErrNotFound
}

func (m memStore) Put(_ context.Context, key string, data []byte) error {
	m[key] = data
	return nil
}

func (m memStore) Lock(context.Context, string) (func(), error) { return func() {}, nil }
