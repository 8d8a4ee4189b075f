package dtls

import (
	"encoding/binary"
	"errors"

	"github.com/hasp-tls/hasp/internal/protect"
	"github.com/hasp-tls/hasp/internal/wire"
)

// DTLS 1.2 wire constants (RFC 6347 section 4.1).
const (
	recordHeaderLen    = 13 // type, version, epoch, sequence_number (48 bits), length
	handshakeHeaderLen = 12 // type, length, message_seq, fragment_offset, fragment_length
	versionDTLS12      = 0xfefd
	versionDTLS10      = 0xfeff
	maxSeq             = 1<<48 - 1
	// maxRecordPayload bounds what a record may carry: 2^14 plus the
	// expansion RFC 6347 4.1 (as RFC 5246 6.2.3) allows.
	maxRecordPayload = 1<<14 + 2048
)

// record is one record of a datagram; payload points into the datagram.
type record struct {
	typ     wire.ContentType
	version uint16
	epoch   uint16
	seq     uint64
	payload []byte
}

// splitRecord takes the first record off a datagram. ok is false when
// what is left is not a whole record (the rest of the datagram is then
// dropped: RFC 6347 4.1.2.7, invalid records are discarded silently).
func splitRecord(b []byte) (r record, rest []byte, ok bool) {
	if len(b) < recordHeaderLen {
		return r, nil, false
	}
	r.typ = wire.ContentType(b[0])
	r.version = binary.BigEndian.Uint16(b[1:])
	r.epoch = binary.BigEndian.Uint16(b[3:])
	r.seq = uint64(binary.BigEndian.Uint16(b[5:]))<<32 | uint64(binary.BigEndian.Uint32(b[7:]))
	n := int(binary.BigEndian.Uint16(b[11:]))
	if n > len(b)-recordHeaderLen || n > maxRecordPayload {
		return r, nil, false
	}
	r.payload = b[recordHeaderLen : recordHeaderLen+n]
	return r, b[recordHeaderLen+n:], true
}

// replayWindow is the sliding window of RFC 6347 section 4.1.2.6: the
// highest sequence number seen and a bitmap of the 64 below it.
type replayWindow struct {
	seen   bool
	latest uint64
	bits   uint64 // bit i: latest-i was seen
}

// fresh reports whether seq may be accepted (not seen, not too old).
func (w *replayWindow) fresh(seq uint64) bool {
	if !w.seen || seq > w.latest {
		return true
	}
	d := w.latest - seq
	return d < 64 && w.bits&(1<<d) == 0
}

// mark records seq, which authenticated.
func (w *replayWindow) mark(seq uint64) {
	switch {
	case !w.seen:
		w.seen, w.latest, w.bits = true, seq, 1
	case seq > w.latest:
		if d := seq - w.latest; d < 64 {
			w.bits = w.bits<<d | 1
		} else {
			w.bits = 1
		}
		w.latest = seq
	default:
		w.bits |= 1 << (w.latest - seq)
	}
}

// readEpoch is the read side of one epoch.
type readEpoch struct {
	epoch  uint16
	half   *protect.Half // nil: epoch 0, plaintext
	window replayWindow
}

// errDrop marks a record that is discarded without a word: it does not
// authenticate, is a replay, or belongs to no epoch we read (RFC 6347
// 4.1.2.1, 4.1.2.6, 4.1.2.7).
var errDrop = errors.New("dtls: record dropped")

// open checks and decrypts a record of this epoch in place.
func (e *readEpoch) open(r *record) ([]byte, error) {
	if !e.window.fresh(r.seq) {
		return nil, errDrop
	}
	data := r.payload
	if e.half != nil {
		var err error
		data, err = e.half.Open12(uint64(r.epoch)<<48|r.seq, r.typ, r.version, r.payload)
		if err != nil {
			return nil, errDrop
		}
	}
	if len(data) > 1<<14 {
		// RFC 6347 4.1 / RFC 5246 6.2.1: plaintext over 2^14.
		return nil, wire.Errorf(wire.AlertRecordOverflow, "record of %d bytes", len(data))
	}
	e.window.mark(r.seq)
	return data, nil
}

// writeEpoch is the write side of one epoch.
type writeEpoch struct {
	epoch uint16
	half  *protect.Half // nil: plaintext
	seq   uint64
}

// overhead is what protection adds to a record's content.
func (e *writeEpoch) overhead() int {
	if e.half == nil {
		return 0
	}
	return e.half.Overhead()
}

// seal appends one record of type typ holding content to dst.
func (e *writeEpoch) seal(dst []byte, typ wire.ContentType, content []byte) ([]byte, error) {
	if e.seq > maxSeq {
		return dst, wire.Errorf(wire.AlertInternalError, "sequence numbers of epoch %d exhausted", e.epoch)
	}
	seq := e.seq
	e.seq++
	n := len(content) + e.overhead()
	dst = append(dst, byte(typ), versionDTLS12>>8, versionDTLS12&0xff,
		byte(e.epoch>>8), byte(e.epoch),
		byte(seq>>40), byte(seq>>32), byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq),
		byte(n>>8), byte(n))
	if e.half == nil {
		return append(dst, content...), nil
	}
	return e.half.Seal12(dst, uint64(e.epoch)<<48|seq, typ, versionDTLS12, content), nil
}
