// Package store keeps what the servers of a fleet share: ticket keys,
// ACME accounts and certificates, locks so that one member acts for all.
// Dir keeps it in a directory (one machine); Redis in a Redis server, with
// every value sealed so that the Redis data alone exposes nothing.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// MaxValueSize bounds one stored value: Put refuses a larger one, and Get
// reads no more than this (from a file, or as a Redis server announces
// it) before it fails with ErrTooLarge, so a corrupted or planted file, or
// a hostile or misconfigured Redis server, cannot make a member allocate
// without bound.
//
// The largest legitimate values are far smaller: a certificate chain with
// its private key (a few KiB; some tens with post-quantum keys or long
// name lists), the ticket-key record (about 120 bytes of JSON per key, 4
// keys by default), a TLS 1.2 session (a few KiB with a client's chain),
// the ACME account key (a few hundred bytes). 1 MiB leaves them more than
// a hundredfold room and still bounds what one Get costs.
const MaxValueSize = 1 << 20

// ErrTooLarge: a value is over MaxValueSize (Put refuses it; Get found one
// stored, or a Redis server announced one).
var ErrTooLarge = errors.New("store: value too large")

// checkSize refuses data that Get could not read back.
func checkSize(key string, data []byte) error {
	if len(data) > MaxValueSize {
		return fmt.Errorf("%w: %s: %d bytes, over the %d-byte limit (store.MaxValueSize)", ErrTooLarge, key, len(data), MaxValueSize)
	}
	return nil
}

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

// Get implements Store. It reads at most MaxValueSize bytes: a larger
// file, or one that is not a regular file (a FIFO would block, a device
// never end), is refused with an error naming it.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	// Non-blocking where that means something, so that opening a FIFO
	// does not wait for a writer (Stat below then refuses it).
	f, err := os.OpenFile(p, os.O_RDONLY|openNonblock, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("store: %s: %s is not a regular file (%v)", key, p, fi.Mode().Type())
	}
	tooLarge := func(size string) error {
		return fmt.Errorf("%w: %s: the file %s holds %s bytes, over the %d-byte limit (store.MaxValueSize)", ErrTooLarge, key, p, size, MaxValueSize)
	}
	if fi.Size() > MaxValueSize {
		return nil, tooLarge(fmt.Sprint(fi.Size()))
	}
	// The file may grow after Stat (another writer does not write in
	// place, but a hostile one might): the read itself stops one byte
	// past the limit.
	b, err := io.ReadAll(io.LimitReader(f, MaxValueSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxValueSize {
		return nil, tooLarge("more than " + fmt.Sprint(MaxValueSize))
	}
	return b, nil
}

// Put implements Store; it refuses data over MaxValueSize.
func (d Dir) Put(_ context.Context, key string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := checkSize(key, data); err != nil {
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
