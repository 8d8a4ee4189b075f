package record

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/wire"
)

// BenchmarkRecord writes, seals, opens and reads one record at a time in
// memory: the record layer's own cost, without a network or a handshake.
func BenchmarkRecord(b *testing.B) {
	for _, id := range []uint16{wire.TLS_AES_128_GCM_SHA256, wire.TLS_CHACHA20_POLY1305_SHA256, wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, wire.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256} {
		s := suite.ByID(id)
		for _, size := range []int{64, 1024, MaxPlaintext} {
			b.Run(s.Name+"/"+sizeName(size), func(b *testing.B) {
				var buf bytes.Buffer
				buf.Grow(2 * maxRecord)
				w := New(rw{nil, &buf})
				r := New(rw{&buf, nil})
				if s.TLS13 {
					w.SetWriteKey(s, make([]byte, s.Hash.Size()))
					r.SetReadKey(s, make([]byte, s.Hash.Size()))
				} else {
					key, iv := make([]byte, s.KeyLen), make([]byte, s.IVLen())
					w.SetWriteKey12(s, key, iv)
					r.SetReadKey12(s, key, iv)
				}
				data := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					w.WriteRecord(wire.TypeApplicationData, data)
					w.Flush()
					if _, _, err := r.ReadRecord(); err != nil {
						b.Fatal(err)
					}
					buf.Reset()
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}
