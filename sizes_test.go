package hasp

import (
	"testing"
	"unsafe"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/record"
)

// What an idle connection keeps is a handful of structs, each rounded up
// by Go's allocator to a size class (…, 144, …, 240, 256, …, 416, 448,
// 480, 512): a field more can cost 32 bytes per connection. These are
// the budgets on 64-bit platforms (BenchmarkIdleServer/IdleClient
// measure the whole).
func TestIdleStructSizes(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("budgets are for 64-bit platforms")
	}
	for _, tc := range []struct {
		name         string
		size, budget uintptr
	}{
		{"hasp.Conn", unsafe.Sizeof(Conn{}), 480},
		{"record.Conn", unsafe.Sizeof(record.Conn{}), 416},
		{"engine.State (the published snapshot)", unsafe.Sizeof(engine.State{}), 240},
		{"engine.Frozen", unsafe.Sizeof(engine.Frozen{}), 144},
	} {
		if tc.size > tc.budget {
			t.Errorf("%s is %d bytes, over its %d-byte size class", tc.name, tc.size, tc.budget)
		}
	}
}
