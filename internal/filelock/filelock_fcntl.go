//go:build aix || (solaris && !illumos)

package filelock

import (
	"os"

	"golang.org/x/sys/unix"
)

// fcntl locks belong to the process (and closing any descriptor of the
// file drops them), so Lock also holds the lock of the process.
const needProcessLock = true

// crossProcess: Lock excludes other processes.
const crossProcess = true

func lockFile(f *os.File) error {
	return fcntl(f, unix.F_WRLCK)
}

func unlockFile(f *os.File) error {
	return fcntl(f, unix.F_UNLCK)
}

func fcntl(f *os.File, typ int16) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := conn.Control(func(fd uintptr) {
		lk := unix.Flock_t{Type: typ, Whence: 0, Start: 0, Len: 0} // the whole file
		for {
			ferr = unix.FcntlFlock(fd, unix.F_SETLKW, &lk)
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}
