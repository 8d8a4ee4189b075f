package dtls

import (
	"bytes"
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

// contentCID is tls12_cid, the outer type of a record that carries a
// connection ID (RFC 9146 section 4).
const contentCID wire.ContentType = 25

// record is one record of a datagram; payload points into the datagram.
type record struct {
	typ     wire.ContentType
	version uint16
	epoch   uint16
	seq     uint64
	cid     []byte // tls12_cid records only
	payload []byte
}

// splitRecord takes the first record off a datagram. ok is false when
// what is left is not a whole record (the rest of the datagram is then
// dropped: RFC 6347 4.1.2.7, invalid records are discarded silently).
func splitRecord(b []byte) (r record, rest []byte, ok bool) { return splitRecordCID(b, 0) }

// splitRecordCID is splitRecord where tls12_cid records carry a CID of
// cidLen bytes (the receiver's own: RFC 9146 leaves its length out of
// the header).
func splitRecordCID(b []byte, cidLen int) (r record, rest []byte, ok bool) {
	if len(b) < recordHeaderLen {
		return r, nil, false
	}
	r.typ = wire.ContentType(b[0])
	r.version = binary.BigEndian.Uint16(b[1:])
	r.epoch = binary.BigEndian.Uint16(b[3:])
	r.seq = uint64(binary.BigEndian.Uint16(b[5:]))<<32 | uint64(binary.BigEndian.Uint32(b[7:]))
	h := recordHeaderLen
	if r.typ == contentCID {
		if cidLen == 0 || len(b) < recordHeaderLen+cidLen {
			return r, nil, false
		}
		r.cid = b[11 : 11+cidLen]
		h += cidLen
	}
	n := int(binary.BigEndian.Uint16(b[h-2:]))
	if n > len(b)-h || n > maxRecordPayload {
		return r, nil, false
	}
	r.payload = b[h : h+n]
	return r, b[h+n:], true
}

// cidAD is the additional data of a tls12_cid record (RFC 9146 section
// 5): a placeholder of eight 0xff, tls12_cid, the CID's length,
// tls12_cid, version, epoch, sequence number, the CID, and the length of
// the inner plaintext.
func cidAD(dst []byte, version, epoch uint16, seq uint64, cid []byte, innerLen int) []byte {
	dst = append(dst, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, byte(contentCID), byte(len(cid)), byte(contentCID),
		byte(version>>8), byte(version), byte(epoch>>8), byte(epoch),
		byte(seq>>40), byte(seq>>32), byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq))
	dst = append(dst, cid...)
	return append(dst, byte(innerLen>>8), byte(innerLen))
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
	// cid is ours, when the peer puts it on its records (RFC 9146).
	cid []byte
	ad  []byte
}

// errDrop marks a record that is discarded without a word: it does not
// authenticate, is a replay, or belongs to no epoch we read (RFC 6347
// 4.1.2.1, 4.1.2.6, 4.1.2.7).
var errDrop = errors.New("dtls: record dropped")

// open checks and decrypts a record of this epoch in place. A record
// with a CID (its inner type set in r.typ) must carry ours, and under an
// agreed CID only such records are taken.
func (e *readEpoch) open(r *record) ([]byte, error) {
	if !e.window.fresh(r.seq) {
		return nil, errDrop
	}
	if (r.typ == contentCID) != (len(e.cid) > 0 && e.half != nil) {
		return nil, errDrop
	}
	data := r.payload
	if r.typ == contentCID {
		if !bytes.Equal(r.cid, e.cid) {
			return nil, errDrop
		}
		e.ad = cidAD(e.ad[:0], r.version, r.epoch, r.seq, r.cid, len(r.payload)-e.half.Overhead())
		plain, err := e.half.OpenAD12(uint64(r.epoch)<<48|r.seq, e.ad, r.payload)
		if err != nil {
			return nil, errDrop
		}
		// DTLSInnerPlaintext: content, the real type, zero padding.
		i := len(plain) - 1
		for i >= 0 && plain[i] == 0 {
			i--
		}
		if i < 0 {
			return nil, errDrop
		}
		r.typ, data = wire.ContentType(plain[i]), plain[:i]
		if len(data) > 1<<14 {
			return nil, wire.Errorf(wire.AlertRecordOverflow, "record of %d bytes", len(data))
		}
		e.window.mark(r.seq)
		return data, nil
	}
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
	// cid is the peer's, put on every record of this epoch (RFC 9146).
	cid []byte
	ad  []byte
	in  []byte
}

// overhead is what protection (and a CID) adds to a record's content.
func (e *writeEpoch) overhead() int {
	if e.half == nil {
		return 0
	}
	if len(e.cid) > 0 {
		return e.half.Overhead() + len(e.cid) + 1
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
	if len(e.cid) > 0 && e.half != nil {
		// tls12_cid: the CID in the header, the real type inside.
		e.in = append(append(e.in[:0], content...), byte(typ))
		n := len(e.in) + e.half.Overhead()
		dst = append(dst, byte(contentCID), versionDTLS12>>8, versionDTLS12&0xff,
			byte(e.epoch>>8), byte(e.epoch),
			byte(seq>>40), byte(seq>>32), byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq))
		dst = append(dst, e.cid...)
		dst = append(dst, byte(n>>8), byte(n))
		e.ad = cidAD(e.ad[:0], versionDTLS12, e.epoch, seq, e.cid, len(e.in))
		return e.half.SealAD12(dst, uint64(e.epoch)<<48|seq, e.ad, e.in), nil
	}
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
