// Package memconn is an in-memory, buffered net.Conn pair for tests and
// benchmarks: writes do not wait for the reader (unlike net.Pipe) until
// a socket-sized buffer is full, and read deadlines work.
package memconn

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

type addr struct{}

func (addr) Network() string { return "mem" }
func (addr) String() string  { return "mem" }

type pipe struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	off    int
	closed bool // writer closed
	rdl    time.Time
	timer  *time.Timer
}

func newPipe() *pipe {
	p := &pipe{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *pipe) read(b []byte, readerClosed *bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.off == len(p.buf) {
		if *readerClosed {
			return 0, net.ErrClosed
		}
		if p.closed {
			return 0, io.EOF
		}
		if !p.rdl.IsZero() && !time.Now().Before(p.rdl) {
			return 0, os.ErrDeadlineExceeded
		}
		p.cond.Wait()
	}
	n := copy(b, p.buf[p.off:])
	p.off += n
	if p.off == len(p.buf) {
		p.off = 0
		p.buf = p.buf[:0]
	}
	p.cond.Broadcast() // room for a waiting writer
	return n, nil
}

// bufferLimit is how much a writer may get ahead of the reader, like a
// socket's buffers.
const bufferLimit = 256 << 10

func (p *pipe) write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.buf)-p.off > bufferLimit && !p.closed {
		p.cond.Wait()
	}
	if p.closed {
		return 0, net.ErrClosed
	}
	if p.off > 0 && p.off >= len(p.buf)/2 {
		// Keep the buffer from growing while the reader trails behind.
		n := copy(p.buf, p.buf[p.off:])
		p.buf, p.off = p.buf[:n], 0
	}
	p.buf = append(p.buf, b...)
	p.cond.Broadcast()
	return len(b), nil
}

func (p *pipe) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *pipe) setReadDeadline(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rdl = t
	if p.timer != nil {
		p.timer.Stop()
	}
	if !t.IsZero() {
		p.timer = time.AfterFunc(time.Until(t), func() {
			p.mu.Lock()
			p.cond.Broadcast()
			p.mu.Unlock()
		})
	}
	p.cond.Broadcast()
}

// Conn is one end of a pair.
type Conn struct {
	r, w   *pipe
	mu     sync.Mutex
	closed bool
}

// Pipe returns two connected ends.
func Pipe() (*Conn, *Conn) {
	a, b := newPipe(), newPipe()
	return &Conn{r: a, w: b}, &Conn{r: b, w: a}
}

func (c *Conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	return c.r.read(b, &closed)
}

func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	return c.w.write(b)
}

// Close closes both directions: the peer reads EOF, our reads fail.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.w.close()
	c.r.mu.Lock()
	c.r.closed = true
	c.r.cond.Broadcast()
	c.r.mu.Unlock()
	return nil
}

func (c *Conn) LocalAddr() net.Addr                { return addr{} }
func (c *Conn) RemoteAddr() net.Addr               { return addr{} }
func (c *Conn) SetDeadline(t time.Time) error      { c.r.setReadDeadline(t); return nil }
func (c *Conn) SetReadDeadline(t time.Time) error  { c.r.setReadDeadline(t); return nil }
func (c *Conn) SetWriteDeadline(t time.Time) error { return nil }
