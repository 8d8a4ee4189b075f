package scan

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"syscall"
	"time"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
)

// A probe sends one ClientHello, built from a spec, and reads the
// server's answer up to the end of its first flight: ServerHelloDone for
// TLS 1.2 and older, the ServerHello (or HelloRetryRequest) for TLS 1.3,
// whose rest is encrypted. It never completes a handshake: that is what
// lets it ask about versions and suites hasp itself never speaks.

// Bounds on what one probe reads: a server that sends more is reported,
// not followed.
const (
	maxMessage   = 256 << 10 // one handshake message (a chain of many certificates fits)
	maxFlight    = 1 << 20   // everything read in one probe
	maxRecordLen = 16384 + 2048
)

// Extension code points the scanner reads or sends that hasp's wire
// package has no field for.
const (
	extHeartbeat  = 15
	extEarlyData  = 42
	extRenegInfo  = 0xff01
	extEMS        = 23
	extALPN       = 16
	extStatusReq  = 5
	extSCT        = 18
	extTicket     = 35
	extVersions   = 43
	extKeyShare   = 51
	extPointFmts  = 11
	extServerName = 0
)

type ext struct {
	typ  uint16
	data []byte
}

// serverHello is a ServerHello read leniently: old versions, odd
// compression and unknown extensions are what a scanner wants to see.
type serverHello struct {
	legacyVersion uint16
	random        [32]byte
	sessionID     []byte
	suite         uint16
	compression   uint8
	exts          []ext

	version   uint16 // negotiated: supported_versions, else legacy
	hrr       bool
	group     uint16 // key_share's group, or the HRR's selected group
	alpn      string
	hasCookie bool
}

func (h *serverHello) has(typ uint16) bool {
	for _, e := range h.exts {
		if e.typ == typ {
			return true
		}
	}
	return false
}

func (h *serverHello) ext(typ uint16) []byte {
	for _, e := range h.exts {
		if e.typ == typ {
			return e.data
		}
	}
	return nil
}

var errMalformed = errors.New("malformed")

func parseServerHello(b []byte) (*serverHello, error) {
	h := &serverHello{}
	r := reader(b)
	var sid []byte
	if !r.u16(&h.legacyVersion) || !r.bytes(h.random[:]) || !r.vec8(&sid) || len(sid) > 32 || !r.u16(&h.suite) || !r.u8(&h.compression) {
		return nil, errMalformed
	}
	h.sessionID = sid
	h.version = h.legacyVersion
	h.hrr = h.random == wire.HelloRetryRequestRandom
	if len(r) > 0 {
		var exts []byte
		if !r.vec16(&exts) || len(r) != 0 {
			return nil, errMalformed
		}
		er := reader(exts)
		for len(er) > 0 {
			var typ uint16
			var data []byte
			if !er.u16(&typ) || !er.vec16(&data) {
				return nil, errMalformed
			}
			h.exts = append(h.exts, ext{typ, data})
		}
	}
	if v := h.ext(extVersions); len(v) == 2 {
		h.version = binary.BigEndian.Uint16(v)
	}
	if ks := h.ext(extKeyShare); len(ks) >= 2 {
		h.group = binary.BigEndian.Uint16(ks)
	}
	if a := h.ext(extALPN); len(a) > 3 {
		r := reader(a)
		var list, name []byte
		if r.vec16(&list) {
			lr := reader(list)
			if lr.vec8(&name) {
				h.alpn = string(name)
			}
		}
	}
	h.hasCookie = h.has(44)
	return h, nil
}

// reader is a minimal bounds-checked cursor.
type reader []byte

func (r *reader) u8(v *uint8) bool {
	if len(*r) < 1 {
		return false
	}
	*v = (*r)[0]
	*r = (*r)[1:]
	return true
}

func (r *reader) u16(v *uint16) bool {
	if len(*r) < 2 {
		return false
	}
	*v = binary.BigEndian.Uint16(*r)
	*r = (*r)[2:]
	return true
}

func (r *reader) bytes(out []byte) bool {
	if len(*r) < len(out) {
		return false
	}
	copy(out, *r)
	*r = (*r)[len(out):]
	return true
}

func (r *reader) take(n int, out *[]byte) bool {
	if n < 0 || len(*r) < n {
		return false
	}
	*out = (*r)[:n:n]
	*r = (*r)[n:]
	return true
}

func (r *reader) vec8(out *[]byte) bool {
	var n uint8
	return r.u8(&n) && r.take(int(n), out)
}

func (r *reader) vec16(out *[]byte) bool {
	var n uint16
	return r.u16(&n) && r.take(int(n), out)
}

func (r *reader) vec24(out *[]byte) bool {
	if len(*r) < 3 {
		return false
	}
	n := int((*r)[0])<<16 | int((*r)[1])<<8 | int((*r)[2])
	*r = (*r)[3:]
	return r.take(n, out)
}

// flight is what a probe learned.
type flight struct {
	hello *serverHello
	// alert is the alert description received (-1: none).
	alert int
	// certs: the TLS 1.2-and-older Certificate message.
	certs      [][]byte
	certStatus bool
	// From a ServerKeyExchange: the kind, a DH prime's size or an EC
	// group, and the TLS 1.2 signature scheme.
	dhBits    int
	dhPrime   *big.Int
	curve     uint16
	skeScheme uint16
	certReq   bool
	done      bool
	// What went wrong, when no hello came: err (network, timeout),
	// garbage (not TLS), tooBig (a declared message length).
	err     error
	garbage string
	tooBig  int
}

func (f *flight) accepted() bool { return f.hello != nil }

// failure says in a few words why no hello came.
func (f *flight) failure() string {
	switch {
	case f.alert >= 0:
		return "alert " + wire.Alert(f.alert).String()
	case f.garbage != "":
		return "not TLS: " + f.garbage
	case f.tooBig > 0:
		return fmt.Sprintf("a handshake message of %d bytes (the scanner reads at most %d)", f.tooBig, maxMessage)
	case f.err != nil:
		return f.err.Error()
	}
	return "no answer"
}

// helloRecord frames a ClientHello as one plaintext record. The record
// version is 0x0301 (RFC 8446 appendix D.1: what servers expect), or the
// hello's own for SSL 3.0.
func helloRecord(spec *engine.HelloSpec) []byte {
	h := engine.BuildHello(spec)
	raw := h.Marshal()
	// Some servers stall on hellos of 256 to 511 bytes (RFC 7685 section
	// 1): pad those to 512.
	if n := len(raw); n >= 256 && n < 512 {
		h.Padding = 512 - n - 4
		if h.Padding < 0 {
			h.Padding = 0
		}
		raw = h.Marshal()
	}
	recVers := uint16(0x0301)
	if spec.LegacyVersion == 0x0300 {
		recVers = 0x0300
	}
	out := make([]byte, 0, len(raw)+5)
	for len(raw) > 0 {
		n := min(len(raw), 16384)
		out = append(out, 22, byte(recVers>>8), byte(recVers), byte(n>>8), byte(n))
		out = append(out, raw[:n]...)
		raw = raw[n:]
	}
	return out
}

func randomSpec() engine.HelloSpec {
	var s engine.HelloSpec
	rand.Read(s.Random[:])
	return s
}

// exchange sends the hello on conn and reads the first flight.
func exchange(conn net.Conn, hello []byte, deadline time.Time) flight {
	f := flight{alert: -1}
	conn.SetDeadline(deadline)
	if _, err := conn.Write(hello); err != nil {
		f.err = closedErr(err)
		return f
	}
	readFlight(conn, &f)
	return f
}

// readFlight reads records until the flight ends, bounded.
func readFlight(r io.Reader, f *flight) {
	var hdr [5]byte
	var hs []byte
	total := 0
	for !f.done {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if f.hello == nil {
				f.err = closedErr(err)
			}
			return
		}
		typ, major, n := hdr[0], hdr[1], int(binary.BigEndian.Uint16(hdr[3:]))
		if typ < 20 || typ > 24 || major != 3 || n > maxRecordLen {
			if f.hello == nil {
				f.garbage = fmt.Sprintf("% x", hdr[:])
			}
			return
		}
		total += 5 + n
		if total > maxFlight {
			f.err = fmt.Errorf("more than %d bytes in the first flight", maxFlight)
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			if f.hello == nil {
				f.err = closedErr(err)
			}
			return
		}
		switch typ {
		case 21:
			if len(body) >= 2 {
				f.alert = int(body[1])
			}
			return
		case 20, 23:
			// ChangeCipherSpec (TLS 1.3 compatibility mode, or a
			// resumed 1.2 session) or protected data: the plaintext
			// part is over.
			return
		}
		hs = append(hs, body...)
		for len(hs) >= 4 {
			mlen := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
			if mlen > maxMessage {
				f.tooBig = mlen
				return
			}
			if len(hs) < 4+mlen {
				break
			}
			handleMessage(f, hs[0], hs[4:4+mlen])
			hs = hs[4+mlen:]
			if f.done {
				return
			}
		}
	}
}

func closedErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return errors.New("connection closed")
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errors.New("connection refused")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("timed out")
	}
	return err
}

func handleMessage(f *flight, typ uint8, body []byte) {
	switch typ {
	case 2: // ServerHello
		h, err := parseServerHello(body)
		if err != nil {
			f.garbage = "a malformed ServerHello"
			f.done = true
			return
		}
		f.hello = h
		if h.hrr || h.version == 0x0304 {
			f.done = true
		}
	case 11: // Certificate (TLS 1.2 and older)
		r := reader(body)
		var list []byte
		if !r.vec24(&list) {
			return
		}
		lr := reader(list)
		for len(lr) > 0 {
			var c []byte
			if !lr.vec24(&c) {
				return
			}
			f.certs = append(f.certs, c)
		}
	case 22: // CertificateStatus
		f.certStatus = true
	case 12: // ServerKeyExchange
		parseSKE(f, body)
	case 13:
		f.certReq = true
	case 14: // ServerHelloDone
		f.done = true
	}
}

// parseSKE reads the parameters of a ServerKeyExchange: DHE's prime, or
// ECDHE's named curve (RFC 5246 7.4.3, RFC 8422 5.4), and the signature
// scheme that follows them in TLS 1.2.
func parseSKE(f *flight, body []byte) {
	if f.hello == nil {
		return
	}
	s, ok := SuiteByID(f.hello.suite)
	if !ok {
		return
	}
	r := reader(body)
	switch s.Kx {
	case "DHE", "DH", "DHE_PSK":
		if s.Kx == "DHE_PSK" {
			var hint []byte
			if !r.vec16(&hint) {
				return
			}
		}
		var p, g, y []byte
		if !r.vec16(&p) || !r.vec16(&g) || !r.vec16(&y) {
			return
		}
		f.dhPrime = new(big.Int).SetBytes(p)
		f.dhBits = f.dhPrime.BitLen()
	case "ECDHE", "ECDH", "ECDHE_PSK":
		if s.Kx == "ECDHE_PSK" {
			var hint []byte
			if !r.vec16(&hint) {
				return
			}
		}
		var ctype uint8
		var point []byte
		if !r.u8(&ctype) || ctype != 3 || !r.u16(&f.curve) || !r.vec8(&point) {
			return
		}
	default:
		return
	}
	if f.hello.version >= 0x0303 && len(r) >= 2 {
		r.u16(&f.skeScheme)
	}
}

// probe sends spec's hello on a new connection.
func (s *Scanner) probe(ctx context.Context, spec *engine.HelloSpec) flight {
	conn, err := s.dial(ctx)
	if err != nil {
		return flight{alert: -1, err: closedErr(err)}
	}
	defer conn.Close()
	return exchange(conn, helloRecord(spec), time.Now().Add(s.opts.Timeout))
}
