// Package record carries TLS records over a byte stream: framing, sequence
// numbers, size limits and the buffers (record protection itself is
// internal/protect), which are reused so that steady-state reads and writes
// allocate nothing.
package record

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/hasp-tls/hasp/internal/protect"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

const (
	HeaderLen = 5
	// MaxPlaintext is 2^14, the largest record payload (RFC 8446 5.1).
	MaxPlaintext = 1 << 14
	// MaxCiphertext13 bounds a protected TLS 1.3 record (RFC 8446 5.2).
	MaxCiphertext13 = MaxPlaintext + 256
	// maxRecord is the largest record on the wire we read.
	maxRecord = HeaderLen + MaxPlaintext + 2048
)

// wakeLen is a record header's worth, and a little more: what the first
// read after idling takes where the socket cannot be polled (see
// readWake) before a record buffer is taken for the rest.
const wakeLen = 8

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2*maxRecord); return &b }}

// Conn reads and writes records on a stream. Reading and writing may run
// concurrently; each side is used by one goroutine at a time.
type Conn struct {
	rw io.ReadWriter

	// Record protection of each direction, and the sequence number of
	// the next record under its key (RFC 8446 section 5.3, RFC 5246
	// section 6.1).
	in, out       protect.Half
	inSeq, outSeq uint64

	rbuf *[]byte // raw bytes read, not yet consumed
	wbuf *[]byte

	// raw is set on a socket (useSocket; see readWake), with the function
	// it polls with, made once so that waiting allocates nothing.
	raw     syscall.RawConn
	pollFn  func(fd uintptr) bool
	pollErr error
	// Under parkMu, shared with the park timer: waiting says a read is
	// waiting for the socket; waitSeq counts the waits and firedSeq is
	// its value at the timer's last tick, so a tick that finds the same
	// wait still going parks. The timer runs while reads wait and stops
	// once it parked or the connection stopped reading.
	parkMu sync.Mutex
	timer  *time.Timer
	// writeLock guards the write side; park takes it only if it is free.
	writeLock interface {
		TryLock() bool
		Unlock()
	}

	// wake takes the first bytes that arrive while no read buffer is held.
	wake         [wakeLen]byte
	rstart, rend int

	// WriteLimit is the largest plaintext per record (record_size_limit).
	WriteLimit int32
	// skipEarly is how many bytes of undecryptable 0-RTT records may still
	// be dropped (a server that declined early data).
	skipEarly         int32
	polled            int32
	waitSeq, firedSeq uint32
	waiting, armed    bool
	// Whether each direction is protected yet.
	inProtected, outProtected bool
	// wroteRecord: a record was written (the first gets version 0x0301
	// when it is a client's first ClientHello).
	wroteRecord bool
	// ccsOwed: a change_cipher_spec goes before the next record (SendCCS).
	ccsOwed bool
	// The fields are ordered by size, so that the struct stays within
	// 416 bytes (Go's size class; an idle connection keeps one).
}

// Park lets a connection waiting for its peer with nothing buffered drop
// the AEAD state of both directions (Half.Sleep) once the stream, a
// socket, says it has nothing to read yet: what an idle connection holds
// shrinks by about 1.5 KB with AES-GCM, and the state is made again when
// bytes move. writeLock is the lock the writer holds around WriteRecord
// and Flush: the write side sleeps only when it is free and has nothing
// queued. Call it after the handshake, from the reading side.
func (c *Conn) Park(writeLock interface {
	TryLock() bool
	Unlock()
}) {
	c.parkMu.Lock()
	c.writeLock = writeLock
	c.parkMu.Unlock()
}

// useSocket makes reads of a socket go through its RawConn (readWake),
// from the first record on: one system call reads what is there straight
// into a record buffer, where reading a header's worth first would take
// two, and a wait holds no buffer.
func (c *Conn) useSocket() {
	// Only a stream socket whose Read is the system call: a wrapper that
	// embeds one (a *net.TCPConn inside a type that buffers or counts
	// bytes) also has SyscallConn, and reading the descriptor would go
	// around it; a unixpacket socket's reads are not a stream.
	var sc syscall.Conn
	switch s := c.rw.(type) {
	case *net.TCPConn:
		sc = s
	case *net.UnixConn:
		if a := s.LocalAddr(); a != nil && a.Network() == "unix" {
			sc = s
		}
	}
	if sc != nil {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw, c.pollFn = raw, c.poll
		}
	}
}

// IdleState reports, for tests, whether a read is waiting on the socket,
// whether a record buffer is held, and whether each direction's AEAD is
// asleep. A read that is waiting published the first two before it
// waited; parking publishes the rest, both under parkMu.
func (c *Conn) IdleState() (waiting, holdsBuffer, readAsleep, writeAsleep bool) {
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	if !c.waiting {
		return false, false, false, false
	}
	return true, c.rbuf != nil, c.in.Asleep(), c.out.Asleep()
}

// parkTick is the park timer's function (see poll).
func (c *Conn) parkTick() {
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	if c.timer == nil {
		return // closed while this tick was on its way
	}
	switch {
	case c.waiting && c.waitSeq == c.firedSeq:
		// The wait that was going at the last tick still is: the
		// connection has been idle for parkAfter at least.
		c.park()
		c.armed, c.timer = false, nil
	case c.waiting || c.waitSeq != c.firedSeq:
		// Bytes are moving, or a wait began since: look again later.
		c.firedSeq = c.waitSeq
		c.timer.Reset(parkAfter)
	default:
		// Nobody is reading: nothing to park for.
		c.armed = false
	}
}

// parkAfter: a read that has waited this long (up to twice as long)
// parks. Far above the gaps of a stream in flight, where remaking the
// AEADs for each record would cost more than it saves; far below an idle
// keep-alive connection's wait.
const parkAfter = 5 * time.Millisecond

// park drops what an idle connection need not hold: the read AEAD's
// state, and the write AEAD's if the writer is not busy. parkMu is held
// and the reader is waiting, so it does not use the read side.
func (c *Conn) park() {
	c.in.Sleep()
	if c.writeLock != nil && c.writeLock.TryLock() {
		if c.wbuf == nil {
			c.out.Sleep()
		}
		c.writeLock.Unlock()
	}
}

// New wraps a stream.
func New(rw io.ReadWriter) *Conn {
	c := &Conn{rw: rw, WriteLimit: MaxPlaintext}
	c.useSocket()
	return c
}

// SetReadKey installs (or with a nil suite removes) the read protection.
func (c *Conn) SetReadKey(s *suite.Suite, secret []byte) error {
	c.inProtected = s != nil
	if s == nil {
		c.in = protect.Half{}
		return nil
	}
	if err := c.in.SetTLS13(s, secret); err != nil {
		return err
	}
	c.inSeq = 0 // RFC 8446 section 5.3
	return nil
}

// SetReadKeys installs TLS 1.3 read protection from a key and IV already
// derived from the traffic secret.
func (c *Conn) SetReadKeys(s *suite.Suite, key, iv []byte) error {
	if err := c.in.SetTLS13Keys(s, key, iv); err != nil {
		return err
	}
	c.inProtected, c.inSeq = true, 0
	return nil
}

// SetWriteKeys is SetReadKeys for the write side.
func (c *Conn) SetWriteKeys(s *suite.Suite, key, iv []byte) error {
	if err := c.out.SetTLS13Keys(s, key, iv); err != nil {
		return err
	}
	c.outProtected, c.outSeq = true, 0
	return nil
}

// SetWriteKey installs (or with a nil suite removes) the write protection.
func (c *Conn) SetWriteKey(s *suite.Suite, secret []byte) error {
	c.outProtected = s != nil
	if s == nil {
		c.out = protect.Half{}
		return nil
	}
	if err := c.out.SetTLS13(s, secret); err != nil {
		return err
	}
	c.outSeq = 0 // RFC 8446 section 5.3
	return nil
}

// SetReadKey12 installs TLS 1.2 read keys.
func (c *Conn) SetReadKey12(s *suite.Suite, key, iv []byte) error {
	c.inProtected = true
	if err := c.in.SetTLS12(s, key, iv); err != nil {
		return err
	}
	c.inSeq = 0 // RFC 5246 section 6.1
	return nil
}

// SetWriteKey12 installs TLS 1.2 write keys.
func (c *Conn) SetWriteKey12(s *suite.Suite, key, iv []byte) error {
	c.outProtected = true
	if err := c.out.SetTLS12(s, key, iv); err != nil {
		return err
	}
	c.outSeq = 0 // RFC 5246 section 6.1
	return nil
}

// MaxCiphertext12 bounds a protected TLS 1.2 record (RFC 5246 6.2.3).
const MaxCiphertext12 = MaxPlaintext + 2048

// ReadProtected reports whether reads are decrypted.
func (c *Conn) ReadProtected() bool { return c.inProtected }

// WriteRecords returns how many records were written under the current
// write key.
func (c *Conn) WriteRecords() uint64 { return c.out.Records() }

// SkipEarlyData lets the next n bytes of records that fail to decrypt be
// dropped: 0-RTT data of a client whose early data the server declined
// (RFC 8446 section 4.2.10).
func (c *Conn) SkipEarlyData(n int) { c.skipEarly = int32(min(n, 1<<30)) }

// Buffered reports whether raw input is waiting.
func (c *Conn) Buffered() bool { return c.rend > c.rstart }

// Wait waits until the peer's next bytes arrive, holding no record
// buffer meanwhile, and returns with them buffered (or with the stream's
// error). A reader about to wait calls it before ReadRecord, so that an
// idle connection's goroutine parks in a shallow stack: the runtime halves
// a parked goroutine's stack only when less than a quarter of it is in
// use, counting 800 bytes more than the frames (runtime.shrinkstack), and
// ReadRecord's deep frames kept the stack a handshake grew at 8 KiB.
func (c *Conn) Wait() error {
	if c.rbuf != nil {
		return nil
	}
	return c.fill(HeaderLen)
}

func (c *Conn) fill(need int) error {
	if c.rbuf == nil {
		// Nothing held: readWake waits without a record buffer (on a
		// socket it reads into one only once bytes are there; elsewhere
		// into the small wake array) and returns holding none on error.
		n, err := c.readWake()
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return err
		}
		if c.rbuf == nil {
			c.takeReadBuffer()
			c.rstart, c.rend = 0, copy(*c.rbuf, c.wake[:n])
		} else {
			c.rstart, c.rend = 0, n
		}
		if c.rend < need && err != nil {
			// The stream's error came with the bytes.
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	if c.compacted() && c.rend-c.rstart < need {
		// The bytes Compact kept, and more to read: into a record
		// buffer.
		small := (*c.rbuf)[c.rstart:c.rend]
		c.takeReadBuffer()
		c.rstart, c.rend = 0, copy(*c.rbuf, small)
	}
	buf := *c.rbuf
	if c.rstart+need > len(buf) {
		n := copy(buf, buf[c.rstart:c.rend])
		c.rstart, c.rend = 0, n
	}
	for c.rend-c.rstart < need {
		n, err := c.rw.Read(buf[c.rend:])
		c.rend += n
		if c.rend-c.rstart >= need {
			break
		}
		if err != nil {
			if err == io.EOF && c.rend > c.rstart {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func (c *Conn) takeReadBuffer() {
	c.rbuf = bufPool.Get().(*[]byte)
	*c.rbuf = (*c.rbuf)[:cap(*c.rbuf)]
}

// dropReadBuffer gives the read buffer back; what it held is dropped.
func (c *Conn) dropReadBuffer() {
	if c.rbuf != nil {
		if !c.compacted() { // a Compact buffer is not the pool's size
			bufPool.Put(c.rbuf)
		}
		c.rbuf = nil
		c.rstart, c.rend = 0, 0
	}
}

// compactMax is the most Compact moves out of a record buffer.
const compactMax = 4 << 10

// Compact gives the read buffer back to the pool, keeping what is pending
// (up to compactMax bytes: a server's tickets after its flight) in a
// buffer of its own size, which the next read that needs more room
// trades for a pooled one. Call it from the reading side only.
func (c *Conn) Compact() {
	n := c.rend - c.rstart
	switch {
	case c.rbuf == nil || c.compacted():
	case n == 0:
		c.dropReadBuffer()
	case n <= compactMax:
		small := make([]byte, n)
		copy(small, (*c.rbuf)[c.rstart:c.rend])
		c.dropReadBuffer()
		c.rbuf = &small
		c.rstart, c.rend = 0, n
	}
}

// compacted reports whether rbuf is the exact-size buffer Compact made
// (at most compactMax bytes) rather than a pooled record buffer.
func (c *Conn) compacted() bool { return c.rbuf != nil && cap(*c.rbuf) <= compactMax }

// Held reports, for tests, how many bytes the read buffer holds and
// whether it is a pooled record buffer.
func (c *Conn) Held() (pending int, pooled bool) {
	return c.rend - c.rstart, c.rbuf != nil && !c.compacted()
}

// Release gives the read buffer back to the pool when nothing is pending;
// a connection waiting for data then holds no record buffers. Call it
// from the reading side only.
func (c *Conn) Release() {
	if c.rstart == c.rend {
		c.dropReadBuffer()
	}
}

// Close gives both buffers back to the pool; the Conn must not be used
// for reading or writing afterwards.
func (c *Conn) Close() {
	c.parkMu.Lock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer, c.armed = nil, false
	}
	c.parkMu.Unlock()
	c.dropReadBuffer()
	if c.wbuf != nil {
		*c.wbuf = (*c.wbuf)[:0]
		bufPool.Put(c.wbuf)
		c.wbuf = nil
	}
}

// notTLS is the decode_error for a first record header that is no TLS
// at all, carrying the header (hasp.RecordHeaderError reports it).
func notTLS(hdr []byte, format string) error {
	return &wire.Error{Alert: wire.AlertDecodeError, Reason: fmt.Sprintf(format, hdr), NotTLS: slices.Clone(hdr)}
}

// printable: bytes of text, as a plain-text protocol sends them.
func printable(b []byte) bool {
	for _, x := range b {
		if (x < 0x20 || x > 0x7e) && x != '\r' && x != '\n' && x != '\t' {
			return false
		}
	}
	return true
}

// ReadRecord reads the next record and removes its protection. The payload
// is valid until the next call.
func (c *Conn) ReadRecord() (wire.ContentType, []byte, error) {
	for {
		if err := c.fill(HeaderLen); err != nil {
			return 0, nil, err
		}
		hdr := (*c.rbuf)[c.rstart : c.rstart+HeaderLen]
		typ := wire.ContentType(hdr[0])
		n := int(binary.BigEndian.Uint16(hdr[3:]))
		switch typ {
		case wire.TypeChangeCipherSpec, wire.TypeAlert, wire.TypeHandshake, wire.TypeApplicationData:
		default:
			if hdr[0]&0x80 != 0 && hdr[2] == 1 {
				// An SSL 2.0-format ClientHello: msg_type 1 then the
				// version the client wants at most.
				return 0, nil, wire.Errorf(wire.AlertProtocolVersion, "SSL 2.0 ClientHello asking for %s; hasp speaks TLS 1.2 and 1.3",
					wire.VersionName(uint16(hdr[3])<<8|uint16(hdr[4])))
			}
			if string(hdr) == "HTTP/" {
				return 0, nil, notTLS(hdr, "the peer speaks plain HTTP on this port, not TLS (it answered %q)")
			}
			if printable(hdr) {
				return 0, nil, notTLS(hdr, "the peer does not speak TLS: it sent text (%q), plain HTTP or another protocol on this port?")
			}
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "record of unknown content type %d", hdr[0])
		}
		if hdr[1] != 3 {
			return 0, nil, wire.Errorf(wire.AlertDecodeError, "record version 0x%02x%02x", hdr[1], hdr[2])
		}
		// A plaintext record holds at most 2^14 bytes; 0-RTT records a
		// server skips after a HelloRetryRequest are ciphertext, though
		// read before any key is set (RFC 8446 sections 5.1, 5.2).
		plaintext := !c.inProtected && (typ != wire.TypeApplicationData || c.skipEarly == 0)
		if n > MaxCiphertext12 || (!c.in.TLS12() && n > MaxCiphertext13) || (plaintext && n > MaxPlaintext) {
			return 0, nil, wire.Errorf(wire.AlertRecordOverflow, "record of %d bytes", n)
		}
		if err := c.fill(HeaderLen + n); err != nil {
			return 0, nil, err
		}
		buf := *c.rbuf
		hdr = buf[c.rstart : c.rstart+HeaderLen]
		payload := buf[c.rstart+HeaderLen : c.rstart+HeaderLen+n]
		c.rstart += HeaderLen + n

		if !c.inProtected || typ == wire.TypeChangeCipherSpec {
			if typ != wire.TypeApplicationData && n == 0 {
				return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "empty %s record", typ)
			}
			if c.inProtected || typ != wire.TypeApplicationData {
				if typ == wire.TypeHandshake {
					// Early data a server skips after a HelloRetryRequest
					// ends where ClientHello2 begins (RFC 8446 4.2.10).
					c.skipEarly = 0
				}
				return typ, payload, nil
			}
			if c.skipEarly > 0 {
				// 0-RTT data before the handshake keys: dropped.
				if n > int(c.skipEarly) {
					return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "too much early data")
				}
				c.skipEarly -= int32(n)
				continue
			}
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "application data before the handshake keys")
		}
		if c.in.TLS12() {
			if hdr[1] != 3 || hdr[2] != 3 {
				// Once TLS 1.2 is agreed, every record carries its
				// version (RFC 5246 6.2.1); TLS 1.3 ignores the field.
				return 0, nil, wire.Errorf(wire.AlertProtocolVersion, "record version 0x%02x%02x in a TLS 1.2 connection", hdr[1], hdr[2])
			}
			return c.open12(typ, payload)
		}
		if typ != wire.TypeApplicationData {
			if typ == wire.TypeAlert && n == 2 {
				// Some peers (OpenSSL clients rejecting our certificate)
				// send their alert before switching keys. RFC 8446 section
				// 5 still makes it unexpected; name its content so the
				// operator learns why the peer gave up.
				return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "unprotected alert record after keys were set (it carried %s)", wire.Alert(payload[1]))
			}
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "unprotected %s record after keys were set", typ)
		}
		// RFC 8446 section 5.4: the whole TLSInnerPlaintext (content,
		// type and padding) is at most 2^14 + 1 bytes; a record whose
		// ciphertext could hold more is refused before it is decrypted.
		// (Overhead counts the tag and the type byte.)
		if innerLen := n - c.in.Overhead() + 1; innerLen > MaxPlaintext+1 {
			return 0, nil, wire.Errorf(wire.AlertRecordOverflow, "TLSInnerPlaintext of %d bytes", innerLen)
		}
		inner, content, err := c.in.Open13(c.inSeq, hdr, payload)
		switch err {
		case nil:
		case protect.ErrDecrypt, protect.ErrShort:
			if c.skipEarly > 0 {
				// RFC 8446 section 4.2.10: skip 0-RTT records that do
				// not decrypt, up to the early data limit; the sequence
				// number stays for the next record.
				if n > int(c.skipEarly) {
					return 0, nil, wire.Errorf(wire.AlertBadRecordMAC, "record does not decrypt")
				}
				c.skipEarly -= int32(n)
				continue
			}
			if err == protect.ErrShort {
				return 0, nil, wire.Errorf(wire.AlertBadRecordMAC, "record too short to be protected")
			}
			c.inSeq++
			return 0, nil, wire.Errorf(wire.AlertBadRecordMAC, "record does not decrypt")
		case protect.ErrNoContentType:
			c.inSeq++
			c.skipEarly = 0
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "protected record with no content type")
		default:
			return 0, nil, wire.Errorf(wire.AlertInternalError, "record protection: %v", err)
		}
		c.inSeq++
		c.skipEarly = 0
		if inner == wire.TypeChangeCipherSpec {
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "protected change_cipher_spec")
		}
		if inner != wire.TypeApplicationData && len(content) == 0 {
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "empty %s record", inner)
		}
		return inner, content, nil
	}
}

// open12 removes TLS 1.2 AEAD protection.
func (c *Conn) open12(typ wire.ContentType, payload []byte) (wire.ContentType, []byte, error) {
	plain, err := c.in.Open12(c.inSeq, typ, wire.VersionTLS12, payload)
	switch err {
	case nil:
	case protect.ErrDecrypt:
		c.inSeq++
		return 0, nil, wire.Errorf(wire.AlertBadRecordMAC, "record does not decrypt")
	case protect.ErrShortNonce:
		return 0, nil, wire.Errorf(wire.AlertBadRecordMAC, "record too short for its nonce")
	default: // protect.ErrShort
		return 0, nil, wire.Errorf(wire.AlertBadRecordMAC, "record too short to be protected")
	}
	c.inSeq++
	if len(plain) > MaxPlaintext {
		return 0, nil, wire.Errorf(wire.AlertRecordOverflow, "record plaintext of %d bytes", len(plain))
	}
	if typ == wire.TypeChangeCipherSpec {
		return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "protected change_cipher_spec")
	}
	return typ, plain, nil
}

func (c *Conn) wb() *[]byte {
	if c.wbuf == nil {
		c.wbuf = bufPool.Get().(*[]byte)
		*c.wbuf = (*c.wbuf)[:0]
	}
	return c.wbuf
}

// WriteRecord queues data as one or more records of type typ. Nothing is
// sent until Flush.
func (c *Conn) WriteRecord(typ wire.ContentType, data []byte) error {
	limit := int(c.WriteLimit)
	if limit <= 0 || limit > MaxPlaintext {
		limit = MaxPlaintext
	}
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), limit)
		if err := c.writeOne(typ, data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// Pending is the number of queued bytes.
func (c *Conn) Pending() int {
	if c.wbuf == nil {
		return 0
	}
	return len(*c.wbuf)
}

// SendCCS queues a change_cipher_spec record: it is written in front of
// the next record, whatever that is, so that it precedes every protected
// record that follows (RFC 8446 appendix D.4: a TLS 1.3 client sends it
// right before its second flight; an alert counts), without taking a
// write buffer before there is something to send with it.
func (c *Conn) SendCCS() { c.ccsOwed = true }

func (c *Conn) writeOne(typ wire.ContentType, data []byte) error {
	if c.ccsOwed {
		c.ccsOwed = false
		if typ != wire.TypeChangeCipherSpec {
			if err := c.writeOne(wire.TypeChangeCipherSpec, []byte{1}); err != nil {
				return err
			}
		}
	}
	wb := c.wb()
	b := *wb
	start := len(b)
	if !c.outProtected || typ == wire.TypeChangeCipherSpec {
		// change_cipher_spec is never protected (RFC 8446 section 5).
		b = append(b, byte(typ), 3, 3, byte(len(data)>>8), byte(len(data)))
		if !c.wroteRecord && typ == wire.TypeHandshake && len(data) > 0 && data[0] == wire.TypeClientHello {
			// RFC 8446 section 5.1: 0x0301 in the initial ClientHello
			// for compatibility.
			b[start+2] = 1
		}
		c.wroteRecord = true
		*wb = append(b, data...)
		return nil
	}
	if c.outSeq == ^uint64(0) {
		return wire.Errorf(wire.AlertInternalError, "sequence number exhausted")
	}
	n := len(data) + c.out.Overhead()
	// Room for the whole record, so that sealing works in place.
	b = slices.Grow(b, HeaderLen+n)
	if c.out.TLS12() {
		// TLS 1.2: the real type in the header, protection appended.
		b = append(b, byte(typ), 3, 3, byte(n>>8), byte(n))
		b = c.out.Seal12(b, c.outSeq, typ, wire.VersionTLS12, data)
	} else {
		// TLS 1.3: an application_data header, which is the additional
		// data, and the type inside.
		b = append(b, byte(wire.TypeApplicationData), 3, 3, byte(n>>8), byte(n))
		b = c.out.Seal13(b, c.outSeq, b[start:start+HeaderLen], typ, data)
	}
	c.outSeq++
	*wb = b
	return nil
}

// Flush writes what is queued in one write.
func (c *Conn) Flush() error {
	if c.wbuf == nil || len(*c.wbuf) == 0 {
		return nil
	}
	_, err := c.rw.Write(*c.wbuf)
	// The write buffer goes back to the pool between writes, so an idle
	// connection holds none.
	*c.wbuf = (*c.wbuf)[:0]
	bufPool.Put(c.wbuf)
	c.wbuf = nil
	return err
}

// FlushLimit is the queued size above which a writer should flush.
// The buffer holds 2*maxRecord: below this, one more full record still
// fits without growing it.
const FlushLimit = maxRecord - 64

// NeedFlush reports whether the next record may not fit the buffer.
func (c *Conn) NeedFlush() bool { return c.Pending() > FlushLimit }
