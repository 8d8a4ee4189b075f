package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
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
