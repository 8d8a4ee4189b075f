package trust

import (
	"context"
	"net"
	"testing"
	"time"
)

// A silent resolver costs the lookup its Timeout, not the two seconds
// of a UDP try past it.
func TestDANESilentResolverWithinTimeout(t *testing.T) {
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	start := time.Now()
	_, err = (&DANEResolver{Addr: dead.LocalAddr().String(), Timeout: 200 * time.Millisecond}).LookupTLSA(context.Background(), "mx.example.test", 25)
	if took := time.Since(start); err == nil || took > time.Second {
		t.Fatalf("%v after %v", err, took)
	}
}
