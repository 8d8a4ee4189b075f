//go:build windows

package filelock

import (
	"os"

	"golang.org/x/sys/windows"
)

// LockFileEx locks belong to the handle, so they exclude goroutines that
// opened the file separately as well.
const needProcessLock = false

// crossProcess: Lock excludes other processes.
const crossProcess = true

// The whole file, as far as it could ever reach.
const allBytes = ^uint32(0)

func lockFile(f *os.File) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := conn.Control(func(h uintptr) {
		ol := new(windows.Overlapped)
		lerr = windows.LockFileEx(windows.Handle(h), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, allBytes, allBytes, ol)
	}); err != nil {
		return err
	}
	return lerr
}

func unlockFile(f *os.File) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := conn.Control(func(h uintptr) {
		ol := new(windows.Overlapped)
		lerr = windows.UnlockFileEx(windows.Handle(h), 0, allBytes, allBytes, ol)
	}); err != nil {
		return err
	}
	return lerr
}
