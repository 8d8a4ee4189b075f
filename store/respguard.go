package store

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// go-redis reads a reply by allocating what its header announces: a
// bulk string "$<n>\r\n" gets make([]byte, n+2), an aggregate "*<n>\r\n"
// make([]any, n), before a byte of the content arrives. A hostile or
// misconfigured server (or anything answering on its port) could so make
// a member allocate without bound with a few bytes. Every connection of
// a Redis store therefore reads through a respGuard, which follows the
// RESP2/RESP3 framing of the bytes go-redis is about to read and refuses,
// before go-redis sees the header, one that announces more than the store
// ever reads.
//
// The store's commands (GET, SET, SET NX, the lock scripts, PING, and
// go-redis's own HELLO and CLIENT SETINFO) get short answers, or one
// sealed record; the limits are set from that.
const (
	// sealOverhead is what sealing adds to a value: the AES-GCM nonce
	// and tag.
	sealOverhead = 12 + 16
	// maxRESPString bounds a bulk string ($), blob error (!) or verbatim
	// string (=): the largest record Put writes.
	maxRESPString = MaxValueSize + sealOverhead
	// maxRESPElements bounds the count of an aggregate (*, ~, >; pairs for
	// %, |). The largest the store meets is HELLO's map of 7 pairs.
	maxRESPElements = 1024
	// maxRESPDepth bounds the nesting of aggregates (HELLO's is 3).
	maxRESPDepth = 16
	// maxRESPReply bounds one whole reply, headers included, so that a
	// reply of many small parts cannot go on for ever either.
	maxRESPReply = maxRESPString + 64<<10
	// maxRESPDigits: a length of more digits is refused as it comes (a
	// length above 10^18 does not fit the count of the announcement).
	maxRESPDigits = 18
)

// respRefused is an answer from the Redis server that the store does not
// read: it announces more than the store's limits, or breaks the RESP
// framing. The connection it came on is closed: what follows on it
// cannot be trusted to start a reply.
type respRefused struct {
	msg      string
	tooLarge bool // announces a string longer than maxRESPString
}

func (e *respRefused) Error() string {
	return "refused the server's answer: " + e.msg + "; the connection is closed"
}

// Unwrap makes an over-long string ErrTooLarge.
func (e *respRefused) Unwrap() error {
	if e.tooLarge {
		return ErrTooLarge
	}
	return nil
}

const (
	respType    = iota // expecting a type byte
	respSimple         // in a one-line reply (+ - : _ , # (), until \n
	respLen            // in the length of a $ ! = * ~ > % | header
	respLenLF          // after the length's \r
	respPayload        // in the content of a string (and its \r\n)
)

type respFrame struct {
	left int64 // elements still to come
	attr bool  // an attribute (|): it precedes the element it describes
}

// respGuard follows a stream of RESP replies, byte by byte, as go-redis
// frames them: a header line up to its \n; a string's content, n+2
// bytes, unread; an attribute not counted as an element.
type respGuard struct {
	state      int
	typ        byte
	neg        bool
	digits     int
	n          int64
	skip       int64 // content bytes left, \r\n included
	stack      []respFrame
	replyBytes int64 // bytes of the reply under way
	err        error
}

func (g *respGuard) fail(tooLarge bool, format string, args ...any) error {
	g.err = &respRefused{msg: fmt.Sprintf(format, args...), tooLarge: tooLarge}
	return g.err
}

// scan follows b, the next bytes from the server. It returns an error
// (and every later call the same error) if they must not reach go-redis;
// it is refused before the \n that would end an offending header.
func (g *respGuard) scan(b []byte) error {
	if g.err != nil {
		return g.err
	}
	for len(b) > 0 {
		if g.state == respPayload {
			k := min(int64(len(b)), g.skip)
			if g.replyBytes += k; g.replyBytes > maxRESPReply {
				return g.fail(false, "it runs past %d bytes", maxRESPReply)
			}
			g.skip -= k
			b = b[k:]
			if g.skip == 0 {
				g.state = respType
				g.element()
			}
			continue
		}
		c := b[0]
		b = b[1:]
		if g.replyBytes++; g.replyBytes > maxRESPReply {
			return g.fail(false, "it runs past %d bytes", maxRESPReply)
		}
		switch g.state {
		case respType:
			switch c {
			case '+', '-', ':', '_', ',', '#', '(':
				g.state = respSimple
			case '$', '!', '=', '*', '~', '>', '%', '|':
				g.typ, g.state, g.neg, g.digits, g.n = c, respLen, false, 0, 0
			default:
				return g.fail(false, "it is of no RESP type (%q)", c)
			}
		case respSimple:
			if c == '\n' {
				g.state = respType
				g.element()
			}
		case respLen:
			switch {
			case c == '-' && !g.neg && g.digits == 0:
				g.neg = true
			case '0' <= c && c <= '9':
				if g.digits++; g.digits > maxRESPDigits {
					if g.typ == '$' || g.typ == '!' || g.typ == '=' {
						return g.fail(true, "it announces a string of 10^%d bytes or more, over the %d-byte limit (store.MaxValueSize %d, sealed)", maxRESPDigits, maxRESPString, MaxValueSize)
					}
					return g.fail(false, "its %q header announces 10^%d elements or more, over the limit of %d", g.typ, maxRESPDigits, maxRESPElements)
				}
				g.n = g.n*10 + int64(c-'0')
			case c == '\r' && g.digits > 0:
				g.state = respLenLF
			default:
				return g.fail(false, "its %q header has a malformed length (%q)", g.typ, c)
			}
		case respLenLF:
			if c != '\n' {
				return g.fail(false, "its %q header has a \\r not followed by \\n", g.typ)
			}
			if err := g.header(); err != nil {
				return err
			}
		}
	}
	return nil
}

// header checks a complete length header, before its \n reaches go-redis.
func (g *respGuard) header() error {
	g.state = respType
	if g.neg {
		if g.n != 1 {
			return g.fail(false, "its %q header announces a length of -%d (only -1, nil, is valid)", g.typ, g.n)
		}
		// Nil: no content. A nil attribute describes nothing and is not an
		// element.
		if g.typ != '|' {
			g.element()
		}
		return nil
	}
	switch g.typ {
	case '$', '!', '=':
		if g.n > maxRESPString {
			return g.fail(true, "it announces a %d-byte string, over the %d-byte limit (store.MaxValueSize %d, sealed)", g.n, maxRESPString, MaxValueSize)
		}
		g.skip, g.state = g.n+2, respPayload
		return nil
	}
	if g.n > maxRESPElements {
		return g.fail(false, "its %q header announces %d elements, over the limit of %d", g.typ, g.n, maxRESPElements)
	}
	left := g.n
	if g.typ == '%' || g.typ == '|' {
		left *= 2
	}
	if left == 0 {
		if g.typ != '|' {
			g.element()
		}
		return nil
	}
	if len(g.stack) >= maxRESPDepth {
		return g.fail(false, "it nests aggregates more than %d deep", maxRESPDepth)
	}
	g.stack = append(g.stack, respFrame{left: left, attr: g.typ == '|'})
	return nil
}

// element counts one complete element against the aggregates it closes.
func (g *respGuard) element() {
	for len(g.stack) > 0 {
		top := &g.stack[len(g.stack)-1]
		if top.left--; top.left > 0 {
			return
		}
		attr := top.attr
		g.stack = g.stack[:len(g.stack)-1]
		if attr {
			// The attribute is whole; the element it describes follows.
			return
		}
	}
	g.replyBytes = 0 // a whole reply
}

// guardConn reads through a respGuard. On a refusal it closes the
// connection and fails every later read: go-redis then drops it from its
// pool as a bad connection, and the next command dials a new one.
type guardConn struct {
	net.Conn
	g respGuard
}

func (c *guardConn) Read(p []byte) (int, error) {
	if c.g.err != nil {
		return 0, c.g.err
	}
	n, err := c.Conn.Read(p)
	if gerr := c.g.scan(p[:n]); gerr != nil {
		// None of p is handed over: the offending header's \n is in it.
		c.Conn.Close()
		return 0, gerr
	}
	return n, err
}

// NetConn returns the connection read (for go-redis's check of whether
// data waits, which only peeks).
func (c *guardConn) NetConn() net.Conn { return c.Conn }

// guardSysConn is a guardConn over a connection with a file descriptor:
// go-redis's health check of an idle pooled connection peeks at it
// (MSG_PEEK, consuming nothing the guard must see).
type guardSysConn struct{ *guardConn }

func (c guardSysConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

func guardDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		gc := &guardConn{Conn: conn}
		if _, ok := conn.(syscall.Conn); ok {
			return guardSysConn{gc}, nil
		}
		return gc, nil
	}
}
