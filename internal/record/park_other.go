//go:build !unix

package record

func (c *Conn) poll(fd uintptr) bool { return true }

// readWake reads the first bytes after idling; where a socket cannot be
// read without waiting through its RawConn, it does not park.
func (c *Conn) readWake() (int, error) { return c.rw.Read(c.wake[:]) }
