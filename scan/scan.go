// Package scan grades a TLS server, the way testssl.sh, sslscan or SSL
// Labs do, and explains every point of the grade: which protocol
// versions, cipher suites, groups and signature schemes it accepts, the
// certificates it sends and whether package trust would trust them,
// whether sessions resume, which old weaknesses it still has, and what
// popular clients would negotiate with it.
//
// Versions and suites hasp never speaks (SSL 2.0 to TLS 1.1, CBC, RC4,
// export, NULL, static RSA) are found by probes: a ClientHello built
// from a spec and the server's first flight read back, never a finished
// handshake. Certificates, ALPN, TLS 1.3 signature schemes and sessions
// come from full handshakes with hasp itself.
package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"crypto/x509"
	"github.com/hasp-tls/hasp/starttls"
)

// Options tune a scan.
type Options struct {
	// ServerName is sent as SNI and checked against the certificates;
	// the target's host when empty (no SNI for an IP address).
	ServerName string
	// StartTLS upgrades each connection from plaintext first.
	StartTLS starttls.Protocol
	// Timeout bounds each connection (default 5 s).
	Timeout time.Duration
	// Concurrency bounds the connections open at once (default 8);
	// Rate, when positive, the new connections per second (no bound by
	// default: the concurrency is the bound, and a scan takes 150 to 250
	// connections).
	Concurrency int
	Rate        float64
	// Roots verify the certificates (nil: the system's).
	Roots *x509.CertPool
	// Progress, when set, is told how far the scan is.
	Progress func(done, total int)
	// Now is the clock for certificate checks (time.Now when zero).
	Now time.Time
	// NoHTTP skips the HTTP request that looks for HSTS.
	NoHTTP bool
}

// Scanner runs the probes of one scan.
type Scanner struct {
	opts  Options
	addr  string
	host  string
	sni   string
	sem   chan struct{}
	conns atomic.Int32

	rateMu sync.Mutex
	next   time.Time

	progMu      sync.Mutex
	done, total int
}

// Scan scans target (HOST[:PORT]; the port defaults to 443, or to the
// STARTTLS protocol's).
func Scan(ctx context.Context, target string, opts Options) *Report {
	start := time.Now()
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	addr := target
	if _, _, err := net.SplitHostPort(addr); err != nil {
		port := "443"
		if opts.StartTLS != "" {
			port = opts.StartTLS.DefaultPort()
		}
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), port)
	}
	host, _, _ := net.SplitHostPort(addr)
	s := &Scanner{opts: opts, addr: addr, host: host, sem: make(chan struct{}, opts.Concurrency)}
	s.sni = opts.ServerName
	if s.sni == "" && net.ParseIP(host) == nil {
		s.sni = host
	}
	rep := &Report{Target: target, Address: addr, ServerName: s.sni, StartTLS: string(opts.StartTLS), Time: start.UTC().Truncate(time.Second)}
	s.run(ctx, rep)
	rep.Connections = int(s.conns.Load())
	rep.DurationMS = time.Since(start).Milliseconds()
	return rep
}

// dial opens a connection under the bounds, upgraded first under
// STARTTLS; it is ready for a ClientHello.
func (s *Scanner) dial(ctx context.Context) (net.Conn, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := sync.OnceFunc(func() { <-s.sem })
	if s.opts.Rate > 0 {
		s.rateMu.Lock()
		now := time.Now()
		at := s.next
		if at.Before(now) {
			at = now
		}
		s.next = at.Add(time.Duration(float64(time.Second) / s.opts.Rate))
		s.rateMu.Unlock()
		if d := time.Until(at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				release()
				return nil, ctx.Err()
			}
		}
	}
	s.conns.Add(1)
	dctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", s.addr)
	if err != nil {
		release()
		return nil, err
	}
	if s.opts.StartTLS != "" {
		if _, err := starttls.Prepare(dctx, s.opts.StartTLS, conn, s.sni, &starttls.Options{Timeout: s.opts.Timeout}); err != nil {
			conn.Close()
			release()
			return nil, fmt.Errorf("%s upgrade: %w", s.opts.StartTLS, err)
		}
	}
	return &limitedConn{Conn: conn, release: release}, nil
}

type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

func (s *Scanner) addWork(n int) {
	s.progMu.Lock()
	s.total += n
	done, total := s.done, s.total
	s.progMu.Unlock()
	if s.opts.Progress != nil {
		s.opts.Progress(done, total)
	}
}

func (s *Scanner) workDone() {
	s.progMu.Lock()
	s.done++
	done, total := s.done, s.total
	s.progMu.Unlock()
	if s.opts.Progress != nil {
		s.opts.Progress(done, total)
	}
}

// parallel runs fns at once and waits for all.
func (s *Scanner) parallel(fns ...func()) {
	s.addWork(len(fns))
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.workDone()
			f()
		}()
	}
	wg.Wait()
}

var errNotTLS = errors.New("not a TLS server")
