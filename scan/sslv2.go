package scan

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"time"
)

// SSL 2.0 is probed with its own CLIENT-HELLO (a two-byte record header
// with the high bit set, message type 1, version 0x0002, three-byte
// cipher kinds); a server that speaks it answers SERVER-HELLO (type 4)
// with the kinds it accepts. hasp never goes further.

type sslv2Result struct {
	supported bool
	ciphers   []uint32
	err       string
}

func sslv2Hello() []byte {
	var challenge [16]byte
	rand.Read(challenge[:])
	var specs []byte
	for _, c := range SSLv2Ciphers {
		specs = append(specs, byte(c.ID>>16), byte(c.ID>>8), byte(c.ID))
	}
	msg := []byte{1, 0, 2}
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(specs)))
	msg = binary.BigEndian.AppendUint16(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(challenge)))
	msg = append(msg, specs...)
	msg = append(msg, challenge[:]...)
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...)
}

// parseSSLv2ServerHello reads a SERVER-HELLO; ok is false for anything
// else (a TLS alert, a TLS record, garbage).
func parseSSLv2ServerHello(r io.Reader) (res sslv2Result, ok bool) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return res, false
	}
	if hdr[0]&0x80 == 0 {
		return res, false
	}
	n := int(hdr[0]&0x7f)<<8 | int(hdr[1])
	if n < 11 {
		return res, false
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return res, false
	}
	if body[0] != 4 {
		return res, false
	}
	version := binary.BigEndian.Uint16(body[3:])
	certLen := int(binary.BigEndian.Uint16(body[5:]))
	specLen := int(binary.BigEndian.Uint16(body[7:]))
	if version != 2 || specLen%3 != 0 || 11+certLen+specLen > len(body) {
		return res, false
	}
	specs := body[11+certLen : 11+certLen+specLen]
	for i := 0; i < len(specs); i += 3 {
		res.ciphers = append(res.ciphers, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
	}
	res.supported = true
	return res, true
}

func (s *Scanner) probeSSLv2(ctx context.Context) sslv2Result {
	conn, err := s.dial(ctx)
	if err != nil {
		return sslv2Result{err: err.Error()}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(s.opts.Timeout))
	if _, err := conn.Write(sslv2Hello()); err != nil {
		return sslv2Result{err: err.Error()}
	}
	res, _ := parseSSLv2ServerHello(io.LimitReader(conn, 1<<16))
	return res
}
