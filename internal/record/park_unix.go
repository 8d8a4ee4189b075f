//go:build unix

package record

import (
	"net"
	"os"
	"syscall"
	"time"
)

// poll is the RawConn.Read callback of readWake. It reads straight into a
// record buffer, several records at once when they are there. When the
// socket has nothing yet it gives the buffer back (a waiting connection
// holds none) and notes the wait, with the park timer running: a wait
// that lasts parkAfter parks (parkTick), and the next read remakes the
// AEADs.
func (c *Conn) poll(fd uintptr) bool {
	// Called again after a wait: the socket is readable, the wait is over
	// (before the buffer is taken, so that the timer and IdleState see a
	// waiting read only while it holds nothing).
	c.endWait()
	if c.rbuf == nil {
		c.takeReadBuffer()
	}
	n, err := syscall.Read(int(fd), *c.rbuf)
	c.polled, c.pollErr = int32(n), err
	if c.pollErr == syscall.EAGAIN {
		c.dropReadBuffer()
		c.parkMu.Lock()
		if !c.waiting {
			c.waiting = true
			c.waitSeq++
			if !c.armed && c.writeLock != nil { // parked only once Park said so
				c.armed = true
				if c.timer == nil {
					c.timer = time.AfterFunc(parkAfter, c.parkTick)
				} else {
					c.timer.Reset(parkAfter)
				}
			}
		}
		c.parkMu.Unlock()
		return false // wait until the socket is readable
	}
	return true
}

func (c *Conn) endWait() {
	if c.waiting { // only this goroutine sets it
		c.parkMu.Lock()
		c.waiting = false
		c.parkMu.Unlock()
	}
}

// readWake reads the first bytes after the last record was consumed: on
// a socket once Park found one, through poll, into a record buffer it
// takes; otherwise into c.wake. It returns with c.rbuf holding the bytes,
// or nil and the bytes in c.wake. Errors, deadlines and end of stream are
// left to the stream's own Read, so that callers see them as they would
// without parking.
func (c *Conn) readWake() (int, error) {
	if c.raw == nil {
		return c.rw.Read(c.wake[:])
	}
	err := c.raw.Read(c.pollFn)
	c.endWait()
	n, rerr := int(c.polled), c.pollErr
	c.pollErr = nil
	if err == nil && rerr == nil && n > 0 {
		return n, nil
	}
	c.dropReadBuffer()
	if err == nil && rerr != nil && rerr != syscall.EINTR {
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
