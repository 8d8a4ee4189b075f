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
	return onHandle(f, func(h windows.Handle) error {
		return windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK, 0, allBytes, allBytes, new(windows.Overlapped))
	})
}

func unlockFile(f *os.File) error {
	return onHandle(f, func(h windows.Handle) error {
		return windows.UnlockFileEx(h, 0, allBytes, allBytes, new(windows.Overlapped))
	})
}

// onHandle runs op on the file's handle.
func onHandle(f *os.File, op func(windows.Handle) error) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var oerr error
	if err := conn.Control(func(h uintptr) { oerr = op(windows.Handle(h)) }); err != nil {
		return err
	}
	return oerr
}
