package dtls

import (
	"bytes"
	"net"
	"testing"

	"github.com/hasp-tls/hasp/internal/protect"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

func frag(typ uint8, length int, seq uint16, off int, data []byte) fragment {
	return fragment{typ: typ, length: length, seq: seq, off: off, data: data}
}

// RFC 6347 4.2.3: fragments in any order and overlapping put a message
// together; overlapping bytes that disagree are dropped (the first
// wins), so a spoofed datagram cannot change nor end the handshake.
func TestReassemblyOverlap(t *testing.T) {
	var r reassembler
	body := []byte("0123456789abcdef")
	r.add(frag(11, 16, 0, 8, body[8:]))
	r.add(frag(11, 16, 0, 4, []byte("XXXXXXXX"))) // disagrees at 8..11
	if r.dropped != 1 {
		t.Fatalf("inconsistent overlap not dropped (%d)", r.dropped)
	}
	r.add(frag(11, 16, 0, 2, body[2:10]))
	if r.pop() != nil {
		t.Fatal("a message with a hole was handed over")
	}
	r.add(frag(11, 16, 0, 0, body[:4]))
	m := r.pop()
	if !bytes.Equal(m, append([]byte{11, 0, 0, 16}, body...)) {
		t.Fatalf("reassembled %q", m)
	}
	// Another type or length for the same message_seq is refused too.
	r.add(frag(11, 16, 1, 0, body[:8]))
	r.add(frag(12, 16, 1, 8, body[8:]))
	r.add(frag(11, 17, 1, 8, append(body[8:], 'x')))
	if r.dropped != 3 || r.pop() != nil {
		t.Fatalf("mismatched fragments taken (dropped %d)", r.dropped)
	}
}

// A fragment past its message's end, or claiming a huge message, does
// not parse (dropped: RFC 6347 4.1.2.7).
func TestFragmentBounds(t *testing.T) {
	var b []byte
	b = append(b, 11, 0, 0, 10, 0, 0, 0, 0, 8, 0, 0, 4, 1, 2, 3, 4) // offset 8 + 4 > 10
	if _, _, ok := splitFragment(b); ok {
		t.Error("fragment past the message's end parsed")
	}
	b = []byte{11, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // 1 MiB message
	if _, _, ok := splitFragment(b); ok {
		t.Error("1 MiB message parsed")
	}
	b = []byte{11, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 8, 1} // fragment_length past the record
	if _, _, ok := splitFragment(b); ok {
		t.Error("fragment longer than its record parsed")
	}
}

// A message_seq far ahead is not buffered; what is buffered is bounded.
func TestReassemblyBounds(t *testing.T) {
	var r reassembler
	r.add(frag(11, 100, maxAhead, 0, make([]byte, 10)))
	if len(r.parts) != 0 || r.dropped != 1 {
		t.Fatal("a message far ahead was buffered")
	}
	for seq := range uint16(maxAhead) {
		r.add(frag(11, maxMessage, seq, 0, make([]byte, 10)))
	}
	if r.buffered > maxBuffered {
		t.Fatalf("%d bytes buffered, bound %d", r.buffered, maxBuffered)
	}
	// An old message_seq is a retransmission: reported, not kept.
	r.next = 5
	if !r.add(frag(11, 10, 2, 0, make([]byte, 10))) {
		t.Error("a retransmitted message was not reported")
	}
}

// RFC 6347 4.1.2.6: a record seen before, or older than the window, is
// dropped; newer ones move the window.
func TestReplayWindow(t *testing.T) {
	var w replayWindow
	for _, s := range []uint64{5, 3, 200, 199, 150} {
		if !w.fresh(s) {
			t.Fatalf("%d refused", s)
		}
		w.mark(s)
	}
	for _, s := range []uint64{5, 3, 200, 199, 150, 100} {
		if w.fresh(s) {
			t.Errorf("%d taken again (or too old)", s)
		}
	}
	if !w.fresh(201) || !w.fresh(180) {
		t.Error("new numbers refused")
	}
}

// A record of an epoch we have no key for: the next epoch's are kept
// (a Finished may overtake its ChangeCipherSpec), a few at most; others
// are dropped.
func TestFutureEpoch(t *testing.T) {
	c := &Conn{cur: &readEpoch{}}
	rec := func(epoch uint16) record {
		return record{typ: wire.TypeHandshake, version: versionDTLS12, epoch: epoch, payload: []byte{1, 2, 3}}
	}
	if err := c.handleRecord(rec(5)); err != nil || len(c.future) != 0 {
		t.Fatalf("epoch 5 record kept (%v)", err)
	}
	for range 2 * maxFuture {
		c.handleRecord(rec(1))
	}
	if len(c.future) != maxFuture {
		t.Fatalf("%d early records kept, bound %d", len(c.future), maxFuture)
	}
}

// A replayed record, and one that does not authenticate, are dropped
// without an alert.
func TestReplayedRecordDropped(t *testing.T) {
	e := &readEpoch{}
	r := record{typ: wire.TypeHandshake, version: versionDTLS12, seq: 7, payload: []byte("x")}
	if _, err := e.open(&r); err != nil {
		t.Fatal(err)
	}
	if _, err := e.open(&r); err != errDrop {
		t.Fatalf("replay: %v", err)
	}
}

func FuzzSplitRecord(f *testing.F) {
	we := &writeEpoch{}
	d, _ := we.seal(nil, wire.TypeHandshake, []byte("hello"))
	f.Add(d)
	f.Add([]byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			r, rest, ok := splitRecord(b)
			if !ok {
				return
			}
			if len(r.payload) > maxRecordPayload || len(rest) >= len(b) {
				t.Fatalf("record of %d bytes, %d left of %d", len(r.payload), len(rest), len(b))
			}
			b = rest
		}
	})
}

func FuzzReassembler(f *testing.F) {
	msg := append([]byte{11, 0, 0, 20}, bytes.Repeat([]byte{7}, 20)...)
	f.Add(appendFragment(appendFragment(nil, msg, 0, 10, 10), msg, 0, 0, 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r reassembler
		for len(b) > 0 {
			fr, rest, ok := splitFragment(b)
			if !ok {
				break
			}
			b = rest
			r.add(fr)
			for m := r.pop(); m != nil; m = r.pop() {
				if n := int(m[1])<<16 | int(m[2])<<8 | int(m[3]); n != len(m)-4 {
					t.Fatalf("message of %d bytes says %d", len(m)-4, n)
				}
			}
			if r.buffered > maxBuffered || len(r.parts) > maxAhead {
				t.Fatalf("%d bytes in %d messages buffered", r.buffered, len(r.parts))
			}
		}
	})
}

func FuzzParseHello(f *testing.F) {
	f.Add(helloDatagram(nil))
	f.Add(helloDatagram(bytes.Repeat([]byte{1}, 32)))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := parseHello(b)
		if ok && (len(h.random) != 32 || len(h.cookie) > 255) {
			t.Fatalf("hello with a %d-byte random, %d-byte cookie", len(h.random), len(h.cookie))
		}
	})
}

// RFC 9146 section 6: the peer's address changes only on a record that
// carries our connection ID, authenticates and is newer than any before;
// a forged one, or an old one replayed from elsewhere, moves nothing.
func TestConnectionIDAddressRules(t *testing.T) {
	st := suite.ByID(wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	wh, rh := new(protect.Half), new(protect.Half)
	wh.SetTLS12(st, make([]byte, 16), make([]byte, 4))
	rh.SetTLS12(st, make([]byte, 16), make([]byte, 4))
	cid := []byte{1, 2, 3, 4}
	we := &writeEpoch{epoch: 1, half: wh, cid: cid}
	var recs [][]byte
	for range 3 {
		b, err := we.seal(nil, wire.TypeApplicationData, []byte("data"))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, b)
	}
	orig := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1000}
	moved := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2000}
	c := &Conn{raddr: orig, cur: &readEpoch{epoch: 1, half: rh, cid: cid}, ourCID: cid}
	c.cidActive.Store(true)
	feed := func(b []byte, from net.Addr) {
		t.Helper()
		if err := c.handleDatagram(append([]byte(nil), b...), from); err != nil {
			t.Fatal(err)
		}
	}
	forged := append([]byte(nil), recs[2]...)
	forged[len(forged)-1] ^= 1
	feed(forged, moved)
	if c.remote() != orig {
		t.Fatal("a forged record moved the peer")
	}
	feed(recs[1], orig)
	feed(recs[0], moved) // authentic but older than seq 1
	if c.remote() != orig {
		t.Fatal("an older record moved the peer")
	}
	feed(recs[2], moved)
	if c.remote() != moved {
		t.Fatal("the newest authentic record did not move the peer")
	}
	if len(c.appData)-c.appHead != 3 {
		t.Fatalf("%d records taken, want 3", len(c.appData)-c.appHead)
	}
}
