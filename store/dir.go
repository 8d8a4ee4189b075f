// Package store keeps what the servers of a fleet share: ticket keys,
// ACME accounts and certificates, locks so that one member acts for all.
// Dir keeps it in a directory (one machine); Redis in a Redis server, with
// every value sealed so that the Redis data alone exposes nothing.
package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/hasp-tls/hasp/internal/atomicfile"
	"github.com/hasp-tls/hasp/internal/filelock"
)

// Store keeps small values under short path-like keys ("account.key",
// "certs/example.com.pem", "tickets/keys"). A fleet shares one Store.
type Store interface {
	// Get returns the data stored under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put replaces the data under key; a reader sees the old data or the
	// new, never a part.
	Put(ctx context.Context, key string, data []byte) error
	// Lock takes the named lock (one member acts for all: one order per
	// name, one ticket-key rotation); unlock releases it. A lock whose
	// holder dies is released after a lease (Redis) or with the process
	// (Dir).
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// ErrNotFound: nothing is stored under the key.
var ErrNotFound = errors.New("store: not found")

// Dir keeps everything in a directory: files written atomically, 0600,
// locks are lock files.
type Dir string

func (d Dir) path(key string) (string, error) {
	clean := filepath.Clean("/" + key)[1:]
	if clean == "" || clean != key || strings.Contains(key, "..") {
		return "", errors.New("store: bad key " + key)
	}
	return filepath.Join(string(d), filepath.FromSlash(clean)), nil
}

// Get implements Store.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// Put implements Store.
func (d Dir) Put(_ context.Context, key string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	// A writer killed mid-write leaves its temporary copy (of a key,
	// maybe); remove those once they are surely abandoned.
	atomicfile.CleanStale(p)
	return atomicfile.Write(p, data, 0o600)
}

// Lock implements Store with a lock file beside the data.
func (d Dir) Lock(ctx context.Context, name string) (func(), error) {
	p, err := d.path("locks/" + name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	type res struct {
		f   *filelock.File
		err error
	}
	ch := make(chan res, 1)
	go func() {
		f, err := filelock.Lock(p)
		ch <- res{f, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		return func() { r.f.Unlock() }, nil
	case <-ctx.Done():
		// The lock is released as soon as it is taken.
		go func() {
			if r := <-ch; r.err == nil {
				r.f.Unlock()
			}
		}()
		return nil, ctx.Err()
	}
}
