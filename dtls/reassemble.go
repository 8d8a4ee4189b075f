package dtls

import "encoding/binary"

// Handshake reassembly (RFC 6347 section 4.2.3): messages arrive in
// fragments, in any order, possibly overlapping or repeated, and are
// handed over whole and in message_seq order.

const (
	// maxMessage bounds one handshake message (a long certificate chain
	// fits; a fragment claiming more is dropped).
	maxMessage = 1 << 18
	// maxAhead bounds how far past the next expected message_seq
	// fragments are buffered: a flight has at most a handful of messages.
	maxAhead = 16
	// maxBuffered bounds the bytes held for messages not yet whole.
	maxBuffered = 1 << 19
)

// fragment is one handshake fragment of a record.
type fragment struct {
	typ    uint8
	length int
	seq    uint16
	off    int
	data   []byte
}

// splitFragment takes the first fragment off a handshake record's
// content; ok is false when it is malformed (the rest is dropped).
func splitFragment(b []byte) (f fragment, rest []byte, ok bool) {
	if len(b) < handshakeHeaderLen {
		return f, nil, false
	}
	f.typ = b[0]
	f.length = int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	f.seq = binary.BigEndian.Uint16(b[4:])
	f.off = int(b[6])<<16 | int(b[7])<<8 | int(b[8])
	n := int(b[9])<<16 | int(b[10])<<8 | int(b[11])
	if n > len(b)-handshakeHeaderLen || f.off+n > f.length || f.length > maxMessage {
		return f, nil, false
	}
	f.data = b[handshakeHeaderLen : handshakeHeaderLen+n]
	return f, b[handshakeHeaderLen+n:], true
}

// appendFragment appends a handshake fragment of msg (a message with its
// 4-byte TLS header) covering body bytes [off, off+n).
func appendFragment(dst, msg []byte, seq uint16, off, n int) []byte {
	dst = append(dst, msg[0], msg[1], msg[2], msg[3], byte(seq>>8), byte(seq),
		byte(off>>16), byte(off>>8), byte(off), byte(n>>16), byte(n>>8), byte(n))
	return append(dst, msg[4+off:4+off+n]...)
}

// partial is a message being put together.
type partial struct {
	typ    uint8
	length int
	msg    []byte   // 4-byte TLS header and body
	have   []uint64 // bitmap of the body bytes received
	got    int
}

func (p *partial) add(f *fragment) {
	for i := range f.data {
		j := f.off + i
		if p.have[j/64]&(1<<(j%64)) != 0 {
			continue
		}
		p.have[j/64] |= 1 << (j % 64)
		p.msg[4+j] = f.data[i]
		p.got++
	}
}

// consistent reports whether f agrees with what p already has where they
// overlap.
func (p *partial) consistent(f *fragment) bool {
	if f.typ != p.typ || f.length != p.length {
		return false
	}
	for i := range f.data {
		j := f.off + i
		if p.have[j/64]&(1<<(j%64)) != 0 && p.msg[4+j] != f.data[i] {
			return false
		}
	}
	return true
}

// reassembler collects one direction's handshake messages.
type reassembler struct {
	next     uint16 // message_seq of the next message to hand over
	parts    map[uint16]*partial
	buffered int
	// dropped counts fragments refused (malformed, inconsistent, too
	// far ahead, over the buffer bound).
	dropped int
}

// add takes a fragment. old reports a fragment of a message already
// handed over: the peer retransmits, so it lost our answer.
func (r *reassembler) add(f fragment) (old bool) {
	switch {
	case f.seq < r.next:
		return true
	case f.seq >= r.next+maxAhead:
		r.dropped++
		return false
	}
	p := r.parts[f.seq]
	if p == nil {
		if r.buffered+f.length > maxBuffered {
			r.dropped++
			return false
		}
		if r.parts == nil {
			r.parts = make(map[uint16]*partial)
		}
		p = &partial{typ: f.typ, length: f.length, msg: make([]byte, 4+f.length), have: make([]uint64, f.length/64+1)}
		p.msg[0] = f.typ
		p.msg[1], p.msg[2], p.msg[3] = byte(f.length>>16), byte(f.length>>8), byte(f.length)
		r.parts[f.seq] = p
		r.buffered += f.length
	}
	if !p.consistent(&f) {
		// Overlapping bytes that disagree (or another type or length):
		// the first wins; a spoofed datagram cannot end the handshake.
		r.dropped++
		return false
	}
	p.add(&f)
	return false
}

// pop returns the next whole message, if it is there.
func (r *reassembler) pop() []byte {
	p := r.parts[r.next]
	if p == nil || p.got != p.length {
		return nil
	}
	delete(r.parts, r.next)
	r.buffered -= p.length
	r.next++
	return p.msg
}

// reset forgets partial messages (after the handshake).
func (r *reassembler) reset() {
	r.parts, r.buffered = nil, 0
}
