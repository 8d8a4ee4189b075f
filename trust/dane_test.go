package trust

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/dnstest"
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

// fakeUDPResolver is a resolver on 127.0.0.1 (UDP only) that answers
// each query with the datagrams reply returns, in order, from its one
// socket. It counts the queries.
func fakeUDPResolver(t *testing.T, reply func(q []byte, from net.Addr) [][]byte) (addr string, queries *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	queries = new(atomic.Int32)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			queries.Add(1)
			for _, d := range reply(append([]byte(nil), buf[:n]...), from) {
				pc.WriteTo(d, from)
			}
		}
	}()
	return pc.LocalAddr().String(), queries
}

// withID is msg with its ID set to id.
func withID(msg []byte, id uint16) []byte {
	out := append([]byte(nil), msg...)
	binary.BigEndian.PutUint16(out, id)
	return out
}

// strays are datagrams that do not answer query q (RFC 5452 9.1): another
// ID; the right ID but another question; the query itself (not a
// response); bytes that are no DNS message.
func strays(s *dnstest.Server, q []byte) [][]byte {
	id := binary.BigEndian.Uint16(q)
	right := s.Answer(q, true)
	other, _, _ := tlsaQuery("_25._tcp.other.test.")
	return [][]byte{withID(right, id+1), withID(s.Answer(other, true), id), q, []byte("not DNS")}
}

// A stray or spoofed datagram does not end a UDP lookup: it is ignored
// and the answer that matches, arriving after it, is used.
func TestDANEIgnoresStrayAnswers(t *testing.T) {
	want := TLSA{3, 1, 1, make([]byte, 32)}
	want.Data[0] = 1
	var s dnstest.Server
	s.Set("_25._tcp.mx.example.test", typeTLSA, dnstest.Answer{AD: true, TLSA: rdata(want)})
	s.Set("_25._tcp.other.test", typeTLSA, dnstest.Answer{AD: true, TLSA: rdata(TLSA{3, 1, 1, make([]byte, 32)})})

	// The wrong ID first, then the right one.
	addr, queries := fakeUDPResolver(t, func(q []byte, _ net.Addr) [][]byte {
		right := s.Answer(q, true)
		return [][]byte{withID(right, binary.BigEndian.Uint16(q)+1), right}
	})
	r := &DANEResolver{Addr: addr, Timeout: 3 * time.Second}
	start := time.Now()
	d, err := r.LookupTLSA(context.Background(), "mx.example.test", 25)
	if err != nil || !d.Secure || len(d.Records) != 1 || d.Records[0].String() != want.String() {
		t.Fatalf("wrong ID, then the answer: %+v %v", d, err)
	}
	// Without a second try: the answer was read after the stray one.
	if n, took := queries.Load(), time.Since(start); n != 1 || took > time.Second {
		t.Fatalf("%d queries, %v", n, took)
	}

	// Every kind of stray, then the answer.
	addr, _ = fakeUDPResolver(t, func(q []byte, _ net.Addr) [][]byte {
		return append(strays(&s, q), s.Answer(q, true))
	})
	d, err = (&DANEResolver{Addr: addr, Timeout: 3 * time.Second}).LookupTLSA(context.Background(), "mx.example.test", 25)
	if err != nil || len(d.Records) != 1 || d.Records[0].String() != want.String() {
		t.Fatalf("strays, then the answer: %+v %v", d, err)
	}
}

// An answer from another port than the resolver's is not read, even with
// the right ID and question (RFC 5452 9.1: the source must match too).
func TestDANEIgnoresAnswerFromAnotherPort(t *testing.T) {
	want := TLSA{3, 1, 1, make([]byte, 32)}
	forged := TLSA{3, 1, 1, make([]byte, 32)}
	forged.Data[0] = 0xff
	var s, f dnstest.Server
	s.Set("_25._tcp.mx.example.test", typeTLSA, dnstest.Answer{AD: true, TLSA: rdata(want)})
	f.Set("_25._tcp.mx.example.test", typeTLSA, dnstest.Answer{AD: true, TLSA: rdata(forged)})
	elsewhere, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	addr, _ := fakeUDPResolver(t, func(q []byte, from net.Addr) [][]byte {
		elsewhere.WriteTo(f.Answer(q, true), from)
		time.Sleep(20 * time.Millisecond)
		return [][]byte{s.Answer(q, true)}
	})
	d, err := (&DANEResolver{Addr: addr, Timeout: 3 * time.Second}).LookupTLSA(context.Background(), "mx.example.test", 25)
	if err != nil || len(d.Records) != 1 || d.Records[0].String() != want.String() {
		t.Fatalf("%+v %v", d, err)
	}
}

// Skipping strays is bounded: by their number, and by the lookup's
// Timeout.
func TestDANEStrayAnswersBounded(t *testing.T) {
	var s dnstest.Server
	s.Set("_25._tcp.mx.example.test", typeTLSA, dnstest.Answer{AD: true, TLSA: rdata(TLSA{3, 1, 1, make([]byte, 32)})})

	// More than maxStrayAnswers: the lookup ends without reading the
	// answer behind them.
	addr, _ := fakeUDPResolver(t, func(q []byte, _ net.Addr) [][]byte {
		var out [][]byte
		for i := 0; i <= maxStrayAnswers; i++ {
			out = append(out, withID(s.Answer(q, true), binary.BigEndian.Uint16(q)+1+uint16(i)))
		}
		return append(out, s.Answer(q, true))
	})
	start := time.Now()
	_, err := (&DANEResolver{Addr: addr, Timeout: 3 * time.Second}).LookupTLSA(context.Background(), "mx.example.test", 25)
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "do not answer") || took > time.Second {
		t.Fatalf("%d strays: %v after %v", maxStrayAnswers+1, err, took)
	}

	// Strays only, fewer: the Timeout ends the lookup.
	addr, _ = fakeUDPResolver(t, func(q []byte, _ net.Addr) [][]byte { return strays(&s, q) })
	start = time.Now()
	_, err = (&DANEResolver{Addr: addr, Timeout: 300 * time.Millisecond}).LookupTLSA(context.Background(), "mx.example.test", 25)
	if took := time.Since(start); err == nil || took > 1500*time.Millisecond {
		t.Fatalf("strays only: %v after %v", err, took)
	}
}
