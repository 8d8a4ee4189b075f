package hasp

import (
	"bytes"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/suite"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// FuzzClientSessionState: the client session cache serialisation never
// panics and round-trips what it accepts.
func FuzzClientSessionState(f *testing.F) {
	ca := testcerts.NewCA("fuzz")
	l := ca.Issue(testcerts.P256, "example.com")
	cs := &ClientSessionState{ticket: &engine.Ticket{
		Ticket: []byte("ticket"), Lifetime: time.Hour, AgeAdd: 3, Nonce: []byte{0, 1}, ReceivedAt: time.UnixMilli(1700000000000),
		Suite: suite.ByID(TLS_AES_128_GCM_SHA256), ResumptionSecret: make([]byte, 32), PeerChain: l.Chain,
		ServerName: "example.com", ALPN: "h2", Version: VersionTLS13,
	}}
	seed, err := cs.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	cs12 := &ClientSessionState{ticket: &engine.Ticket{
		SessionID: make([]byte, 32), Lifetime: time.Hour, ReceivedAt: time.UnixMilli(1700000000000),
		Suite: suite.ByID(0xc02b), ResumptionSecret: make([]byte, 48), PeerChain: l.Chain, Version: VersionTLS12,
	}}
	seed12, err := cs12.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed12)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s ClientSessionState
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		enc, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s2 ClientSessionState
		if err := s2.UnmarshalBinary(enc); err != nil {
			t.Fatalf("re-encoded session does not parse: %v", err)
		}
		enc2, _ := s2.MarshalBinary()
		if !bytes.Equal(enc, enc2) {
			t.Fatal("encoding not stable")
		}
	})
}

func TestClientSessionRoundTrip(t *testing.T) {
	ca := testcerts.NewCA("rt")
	l := ca.Issue(testcerts.P256, "example.com")
	cs := &ClientSessionState{ticket: &engine.Ticket{
		Ticket: []byte("ticket"), Lifetime: time.Hour, ReceivedAt: time.UnixMilli(1700000000000),
		Suite: suite.ByID(TLS_AES_256_GCM_SHA384), ResumptionSecret: make([]byte, 48), PeerChain: l.Chain, ServerName: "example.com",
		Version: VersionTLS13,
	}}
	b, err := cs.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back ClientSessionState
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back.ticket.Suite.ID != TLS_AES_256_GCM_SHA384 || len(back.PeerCertificates()) != 2 || !back.Expires().Equal(cs.Expires()) {
		t.Fatalf("round trip lost something: %+v", back.ticket)
	}
}
