//go:build unix

package record

import (
	"net"
	"os"
	"syscall"
)

// poll is the RawConn.Read callback of readWake: it reads without
// waiting; when nothing is there yet the connection is about to sit
// idle, so it parks (once) and asks to wait.
func (c *Conn) poll(fd uintptr) bool {
	c.polled, c.pollErr = syscall.Read(int(fd), c.wake[:])
	if c.pollErr == syscall.EAGAIN {
		if !c.parked {
			c.parked = true
			c.park()
		}
		return false // wait until the socket is readable
	}
	return true
}

// readWake reads the first bytes after idling into c.wake. On a socket,
// once parking is on, it first tries without waiting (poll). Errors,
// deadlines and end of stream are left to the stream's own Read, so that
// callers see them as they would without parking.
func (c *Conn) readWake() (int, error) {
	if !c.parking || c.raw == nil {
		return c.rw.Read(c.wake[:])
	}
	c.parked = false
	err := c.raw.Read(c.pollFn)
	n, rerr := c.polled, c.pollErr
	c.pollErr = nil
	switch {
	case err == nil && rerr == nil && n > 0:
		return n, nil
	case err == nil && rerr != nil && rerr != syscall.EINTR:
		// A socket error (a reset) is reported once: return it as the
		// stream would have, not ask again and read end of stream.
		if nc, ok := c.rw.(net.Conn); ok {
			return 0, &net.OpError{Op: "read", Net: nc.LocalAddr().Network(), Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
		}
		return 0, os.NewSyscallError("read", rerr)
	}
	// End of stream, a deadline, a close: the stream's own Read says so
	// again, in its own words.
	return c.rw.Read(c.wake[:])
}
