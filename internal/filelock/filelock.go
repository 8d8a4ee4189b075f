// Package filelock takes exclusive, advisory locks on files, to keep
// processes (and goroutines of one process) that change the same files
// from running at once.
//
// The lock is taken on a file of its own (for example dir/ca.lock), which
// Lock creates if need be and never removes; the files it guards are
// changed only while it is held. The operating system drops the lock when
// the process ends, however it ends, so a killed process leaves no stale
// lock behind.
//
// How it is done:
//
//   - Linux, Android, macOS, iOS, the BSDs and illumos: flock(2) with
//     LOCK_EX. The lock belongs to the open file, so two Locks of the same
//     path exclude each other within one process too.
//   - Windows: LockFileEx with LOCKFILE_EXCLUSIVE_LOCK on the whole file;
//     also per open handle.
//   - AIX and Solaris: fcntl(2) F_SETLKW record locks. These belong to the
//     process, not the open file, so Lock also holds a lock of the process
//     on the path (see below) while it holds the fcntl lock.
//   - Everything else (Plan 9, js/wasm, wasip1): no lock between
//     processes. Lock only excludes other Locks of the same path in this
//     process. These systems either have no file locking Go can reach or
//     run a single process.
//
// The lock of the process is keyed by the absolute, cleaned path, so two
// spellings of one file through symbolic links are different locks there.
package filelock

import (
	"os"
	"path/filepath"
	"sync"
)

// File is a held lock. Unlock releases it.
type File struct {
	f       *os.File
	release func() // the lock of the process, where used
}

// Lock opens path (creating it, mode 0600, if it does not exist) and
// waits until it holds an exclusive lock on it.
func Lock(path string) (*File, error) {
	var release func()
	if needProcessLock {
		var err error
		if release, err = processLock(path); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		if err = lockFile(f); err != nil {
			f.Close()
			err = &os.PathError{Op: "lock", Path: path, Err: err}
		}
	}
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	return &File{f: f, release: release}, nil
}

// Unlock releases the lock and closes the file. Calling it again does
// nothing. It must not be called from two goroutines at once.
func (l *File) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	if l.release != nil {
		l.release()
		l.release = nil
	}
	return err
}

// processLocks holds the locks of this process, by absolute path: a
// channel with room for one token, and how many Locks use the entry.
var processLocks struct {
	sync.Mutex
	m map[string]*processEntry
}

type processEntry struct {
	ch    chan struct{}
	users int
}

// processLock waits for the lock of this process on path and returns
// the function that releases it.
func processLock(path string) (func(), error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	processLocks.Lock()
	if processLocks.m == nil {
		processLocks.m = make(map[string]*processEntry)
	}
	e := processLocks.m[abs]
	if e == nil {
		e = &processEntry{ch: make(chan struct{}, 1)}
		processLocks.m[abs] = e
	}
	e.users++
	processLocks.Unlock()

	e.ch <- struct{}{}
	return func() {
		<-e.ch
		processLocks.Lock()
		if e.users--; e.users == 0 {
			delete(processLocks.m, abs)
		}
		processLocks.Unlock()
	}, nil
}
