package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps values in a Redis server, each sealed with AES-256-GCM
// under the fleet's store key, with the value's own key as additional
// data (a record copied under another key does not open). Someone who
// reads the Redis data without the store key learns nothing of ticket
// keys or private keys.
type Redis struct {
	client *redis.Client
	prefix string
	aead   cipher.AEAD
	// Lease is how long a lock outlives a holder that died (default
	// 30 s; a live holder extends it).
	Lease time.Duration
}

// ErrSealed: a stored record does not open under the store key (it was
// changed, or sealed under another key). It is never used.
var ErrSealed = errors.New("store: a sealed record does not open (corrupted, or sealed under another store key)")

// NewRedis connects to the Redis server of rawURL
// (redis://[:password@]host:port/db, or rediss:// for TLS) and seals with
// key (32 bytes). It checks the server answers and accepts the password.
func NewRedis(ctx context.Context, rawURL string, key []byte) (*Redis, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("store: %q is not a redis://host:port/db URL", rawURL)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: %q: %v", rawURL, err)
	}
	opts.DialTimeout = 3 * time.Second
	opts.ReadTimeout = 3 * time.Second
	opts.WriteTimeout = 3 * time.Second
	opts.MaxRetries = 1
	// go-redis allocates what a reply announces ($<n>, *<n>) before it
	// reads it: every connection reads through a guard that refuses, and
	// closes the connection on, an announcement over the store's limits.
	opts.Dialer = guardDialer(redis.NewDialer(opts))
	// go-redis logs dial failures on its own; the store's callers say
	// what failed, once.
	redis.SetLogger(quietLogger{})
	if len(key) != 32 {
		return nil, errors.New("store: the store key must be 32 bytes")
	}
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	r := &Redis{client: redis.NewClient(opts), prefix: "hasp:", aead: aead}
	if err := r.client.Ping(ctx).Err(); err != nil {
		r.client.Close()
		return nil, fmt.Errorf("store: redis at %s: %v", opts.Addr, err)
	}
	return r, nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) seal(key string, data []byte) []byte {
	nonce := make([]byte, r.aead.NonceSize(), r.aead.NonceSize()+len(data)+r.aead.Overhead())
	rand.Read(nonce)
	return r.aead.Seal(nonce, nonce, data, []byte(key))
}

func (r *Redis) open(key string, rec []byte) ([]byte, error) {
	n := r.aead.NonceSize()
	if len(rec) < n+r.aead.Overhead() {
		return nil, fmt.Errorf("%w: %s", ErrSealed, key)
	}
	data, err := r.aead.Open(nil, rec[:n], rec[n:], []byte(key))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSealed, key)
	}
	return data, nil
}

// Get implements Store. A record the server announces as longer than
// MaxValueSize (sealed) is refused before anything is allocated for it
// (ErrTooLarge), and the connection it came on is closed.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	rec, err := r.client.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: redis: get %s: %w", key, err)
	}
	return r.open(key, rec)
}

// Put implements Store; it refuses data over MaxValueSize.
func (r *Redis) Put(ctx context.Context, key string, data []byte) error {
	if err := checkSize(key, data); err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.prefix+key, r.seal(key, data), 0).Err(); err != nil {
		return fmt.Errorf("store: redis: %v", err)
	}
	return nil
}

// PutExpiring is Put with an expiry.
func (r *Redis) PutExpiring(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	if err := checkSize(key, data); err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.prefix+key, r.seal(key, data), ttl).Err(); err != nil {
		return fmt.Errorf("store: redis: %v", err)
	}
	return nil
}

// unlockScript deletes the lock only if it still holds our token.
var unlockScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)

// extendScript renews the lease only if the lock is still ours.
var extendScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`)

// Lock implements Store: SET NX with a lease, extended while held.
func (r *Redis) Lock(ctx context.Context, name string) (func(), error) {
	lease := r.Lease
	if lease <= 0 {
		lease = 30 * time.Second
	}
	var tok [16]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	key := r.prefix + "lock:" + name
	for wait := 50 * time.Millisecond; ; wait = min(wait*2, time.Second) {
		ok, err := r.client.SetNX(ctx, key, token, lease).Result()
		if err != nil {
			return nil, fmt.Errorf("store: redis lock %s: %v", name, err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				extendScript.Run(context.Background(), r.client, []string{key}, token, lease.Milliseconds())
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(done)
		unlockScript.Run(context.Background(), r.client, []string{key}, token)
	}), nil
}

// KeyFromEnv reads the store key: the file named by $HASP_STORE_KEY_FILE,
// else $HASP_STORE_KEY; either holds 32 bytes as 64 hex digits or as
// base64. The key never goes into Redis.
func KeyFromEnv() ([]byte, error) {
	var text string
	switch f := os.Getenv("HASP_STORE_KEY_FILE"); {
	case f != "":
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("store: HASP_STORE_KEY_FILE: %v", err)
		}
		text = string(b)
	case os.Getenv("HASP_STORE_KEY") != "":
		text = os.Getenv("HASP_STORE_KEY")
	default:
		return nil, errors.New("store: a Redis store needs a key to seal with: set HASP_STORE_KEY_FILE (a file holding 32 random bytes, hex or base64; the same on every member) or HASP_STORE_KEY")
	}
	return ParseKey(text)
}

// ParseKey reads 32 bytes written as hex or base64.
func ParseKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("store: the store key is not 32 bytes in hex or base64")
}

// KeyID names a store key without revealing it (for logs).
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("hasp store key id "), key...))
	return hex.EncodeToString(sum[:4])
}

// Open opens a store from a URL: redis://... (sealed with KeyFromEnv), or
// a directory path (or dir:PATH).
func Open(ctx context.Context, spec string) (Store, error) {
	switch {
	case strings.HasPrefix(strings.ToLower(spec), "redis") && !strings.HasPrefix(spec, "redis://") && !strings.HasPrefix(spec, "rediss://"):
		return nil, fmt.Errorf("store: %q: want redis://host:port/db or a directory", spec)
	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"):
		key, err := KeyFromEnv()
		if err != nil {
			return nil, err
		}
		return NewRedis(ctx, spec, key)
	case strings.Contains(spec, "://"):
		return nil, fmt.Errorf("store: %q: want redis://host:port/db or a directory", spec)
	}
	return Dir(strings.TrimPrefix(spec, "dir:")), nil
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
