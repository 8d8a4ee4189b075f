// A client that checks the server itself in VerifyConnection (the chain
// against its own roots, and a pinned key) and keeps sessions in a
// ClientSessionCache of its own that stores them as bytes, through
// ResumptionState, SessionState.Bytes, ParseSessionState and
// NewResumptionState.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// byteCache keeps sessions as bytes, as a cache on disk or in Redis
// would.
type byteCache struct {
	mu      sync.Mutex
	tickets map[string][]byte
	states  map[string][]byte
}

func (c *byteCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.states[key]
	if !ok {
		return nil, false
	}
	ss, err := tls.ParseSessionState(st)
	if err != nil {
		fail("ParseSessionState: %v", err)
	}
	if len(ss.Extra) != 1 || string(ss.Extra[0]) != "myapp/1" {
		fail("Extra lost: %q", ss.Extra)
	}
	cs, err := tls.NewResumptionState(c.tickets[key], ss)
	if err != nil {
		fail("NewResumptionState: %v", err)
	}
	return cs, true
}

func (c *byteCache) Put(key string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs == nil {
		delete(c.states, key)
		delete(c.tickets, key)
		return
	}
	ticket, ss, err := cs.ResumptionState()
	if err != nil || ss == nil {
		fail("ResumptionState: %v", err)
	}
	if len(ss.Extra) == 0 {
		ss.Extra = append(ss.Extra, []byte("myapp/1"))
	}
	b, err := ss.Bytes()
	if err != nil {
		fail("Bytes: %v", err)
	}
	c.states[key], c.tickets[key] = b, bytes.Clone(ticket)
}

func (c *byteCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.states)
}

var errPin = errors.New("server key does not match the pin")

func main() {
	watchdog()
	ca := newCA("migrate resume CA")
	cert := ca.issue("server", "localhost")
	ln := must(tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}}))
	defer ln.Close()
	go serve(ln)

	pin := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
	cache := &byteCache{tickets: map[string][]byte{}, states: map[string][]byte{}}
	for i, wantPin := range [][32]byte{pin, pin, pin, {1}} {
		calls := 0
		cfg := &tls.Config{
			ServerName:         "localhost",
			InsecureSkipVerify: true, // VerifyConnection checks instead
			ClientSessionCache: cache,
			VerifyConnection: func(cs tls.ConnectionState) error {
				calls++
				opts := x509.VerifyOptions{DNSName: cs.ServerName, Roots: ca.pool, Intermediates: x509.NewCertPool()}
				for _, c := range cs.PeerCertificates[1:] {
					opts.Intermediates.AddCert(c)
				}
				if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
					return err
				}
				if sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo) != wantPin {
					return errPin
				}
				return nil
			},
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Deadline: deadline()}, "tcp", ln.Addr().String(), cfg)
		if err != nil {
			fmt.Printf("connection %d: refused, pin error %v, VerifyConnection calls %d\n", i+1, errors.Is(err, errPin), calls)
			continue
		}
		conn.SetDeadline(deadline())
		line := must(bufio.NewReader(conn).ReadString('\n'))
		st := conn.ConnectionState()
		fmt.Printf("connection %d: %s, resumed %v, VerifyConnection calls %d, server said %q, cached sessions %d\n",
			i+1, tls.VersionName(st.Version), st.DidResume, calls, line, cache.len())
		conn.Close()
	}
}

func serve(ln net.Listener) {
	for n := 1; ; n++ {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(deadline())
			fmt.Fprintf(c, "hello\n")
			io.Copy(io.Discard, c)
		}()
	}
}
