package record

import (
	"bytes"
	"testing"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// A queued change_cipher_spec goes out in front of the next record, a
// protected one included (RFC 8446 appendix D.4), and only once; nothing
// is written for it alone.
func TestSendCCS(t *testing.T) {
	var out bytes.Buffer
	c := New(rw{nil, &out})
	c.SetWriteKey(suite.ByID(wire.TLS_AES_128_GCM_SHA256), make([]byte, 32))
	c.SendCCS()
	if c.Pending() != 0 {
		t.Fatalf("%d bytes queued for the CCS alone", c.Pending())
	}
	c.WriteRecord(wire.TypeAlert, []byte{2, 40})
	c.WriteRecord(wire.TypeHandshake, []byte{20, 0, 0, 0})
	c.Flush()
	b := out.Bytes()
	ccs := []byte{20, 3, 3, 0, 1, 1}
	if !bytes.HasPrefix(b, ccs) || bytes.Count(b, ccs) != 1 || b[len(ccs)] != byte(wire.TypeApplicationData) {
		t.Fatalf("wrote % x; want one CCS, then protected records", b)
	}
	// A CCS written while one is queued is that one.
	out.Reset()
	c.SendCCS()
	c.WriteRecord(wire.TypeChangeCipherSpec, []byte{1})
	c.Flush()
	if !bytes.Equal(out.Bytes(), ccs) {
		t.Fatalf("wrote % x; want a single CCS", out.Bytes())
	}
}
