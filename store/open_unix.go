//go:build unix

package store

import "syscall"

// openNonblock opens a FIFO or a device without waiting; it changes
// nothing for a regular file.
const openNonblock = syscall.O_NONBLOCK
