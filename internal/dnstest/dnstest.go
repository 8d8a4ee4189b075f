// Package dnstest is a DNS server on loopback for tests: it answers from
// a table (TLSA, TXT, A, with or without the AD bit), over UDP and TCP,
// and can misbehave (truncate over UDP, answer with another ID, fail).
package dnstest

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TypeTLSA is the TLSA record type (RFC 6698).
const TypeTLSA dnsmessage.Type = 52

// Answer is what the server says to one name and type.
type Answer struct {
	RCode dnsmessage.RCode
	// AD: the answer claims DNSSEC validation (RFC 4035 3.2.3).
	AD bool
	// Records of the asked type: TLSA rdata, TXT strings, A addresses.
	TLSA [][]byte
	TXT  []string
	A    []net.IP
	// CNAME answers with an alias to this name first, the records at it.
	CNAME string
	// TruncateUDP sets TC over UDP (the client must ask over TCP);
	// WrongID answers with another ID; Empty sends no records.
	TruncateUDP, WrongID, Empty bool
}

type key struct {
	name string
	typ  dnsmessage.Type
}

// Server answers on Addr (UDP and TCP, the same port).
type Server struct {
	Addr    string
	Queries atomic.Int32

	mu      sync.Mutex
	answers map[key]Answer
}

// Start runs a server until the test ends. Names not in the table get
// NXDOMAIN with AD set.
func Start(t testing.TB) *Server {
	t.Helper()
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	s := &Server{Addr: pc.LocalAddr().String(), answers: map[key]Answer{}}
	t.Cleanup(func() { pc.Close(); ln.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := s.Answer(buf[:n], true); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				if resp := s.Answer(q, false); resp != nil {
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...))
				}
			}()
		}
	}()
	return s
}

// Set says what to answer for name (with or without the final dot) and
// type.
func (s *Server) Set(name string, typ dnsmessage.Type, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answers == nil {
		s.answers = map[key]Answer{}
	}
	s.answers[key{fqdn(name), typ}] = a
}

func fqdn(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, ".") + ".")
}

// Answer builds the response to query q (nil for a query it cannot
// read).
func (s *Server) Answer(q []byte, udp bool) []byte {
	s.Queries.Add(1)
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil
	}
	s.mu.Lock()
	a, ok := s.answers[key{fqdn(qs[0].Name.String()), qs[0].Type}]
	s.mu.Unlock()
	if !ok {
		a = Answer{RCode: dnsmessage.RCodeNameError, AD: true}
	}
	id := h.ID
	if a.WrongID {
		id++
	}
	trunc := a.TruncateUDP && udp
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true,
		AuthenticData: a.AD, RCode: a.RCode, Truncated: trunc})
	b.StartQuestions()
	b.Question(qs[0])
	b.StartAnswers()
	if !trunc && !a.Empty {
		owner := qs[0].Name
		if a.CNAME != "" {
			target := dnsmessage.MustNewName(fqdn(a.CNAME))
			b.CNAMEResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.CNAMEResource{CNAME: target})
			owner = target
		}
		rh := func(t dnsmessage.Type) dnsmessage.ResourceHeader {
			return dnsmessage.ResourceHeader{Name: owner, Type: t, Class: dnsmessage.ClassINET, TTL: 60}
		}
		for _, d := range a.TLSA {
			b.UnknownResource(rh(TypeTLSA), dnsmessage.UnknownResource{Type: TypeTLSA, Data: d})
		}
		for _, txt := range a.TXT {
			b.TXTResource(rh(dnsmessage.TypeTXT), dnsmessage.TXTResource{TXT: []string{txt}})
		}
		for _, ip := range a.A {
			if v4 := ip.To4(); v4 != nil {
				b.AResource(rh(dnsmessage.TypeA), dnsmessage.AResource{A: [4]byte(v4)})
			}
		}
	}
	out, _ := b.Finish()
	return out
}
