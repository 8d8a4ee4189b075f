// Package hasphttp serves HTTP/1.1 and HTTP/2 over hasp connections. It is
// a separate package so that the hasp library itself needs only the
// standard library and golang.org/x/crypto; this one adds
// golang.org/x/net/http2.
//
// net/http's own HTTP/2 support only recognises *crypto/tls.Conn, so
// Serve runs the handshake itself and hands a connection to the HTTP/2
// server when ALPN chose "h2", and to http.Server otherwise.
package hasphttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/ratelog"
)

// NextProtos is the ALPN list a server that uses Serve should offer.
var NextProtos = []string{"h2", "http/1.1"}

type connKey struct{}

// Conn returns the hasp connection a request arrived on.
func Conn(r *http.Request) *hasp.Conn {
	c, _ := r.Context().Value(connKey{}).(*hasp.Conn)
	return c
}

// Serve accepts hasp connections from ln (made by hasp.Listen or
// hasp.NewListener with NextProtos) and serves srv.Handler over HTTP/2
// or HTTP/1.1, as each connection's ALPN says. It returns when ln is
// closed; Shutdown on srv stops the HTTP/1.1 side.
func Serve(ln net.Listener, srv *http.Server) error {
	h1 := &chanListener{addr: ln.Addr(), ch: make(chan net.Conn), done: make(chan struct{})}
	base := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if base != nil {
			ctx = base(ctx, c)
		}
		return context.WithValue(ctx, connKey{}, c)
	}
	h2 := &http2.Server{IdleTimeout: srv.IdleTimeout}
	failed := ratelog.Handshakes(func(format string, args ...any) { logf(srv, format, args...) })
	defer failed.Flush()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(h1) }()
	defer h1.Close()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return http.ErrServerClosed
			}
			return err
		}
		hc, ok := c.(*hasp.Conn)
		if !ok {
			c.Close()
			continue
		}
		go func() {
			timeout := srv.ReadHeaderTimeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			hc.SetDeadline(time.Now().Add(timeout))
			if err := hc.Handshake(); err != nil {
				failed.Event(ratelog.HandshakeReason(err), fmt.Sprintf("hasp: TLS handshake error from %s: %v", hc.RemoteAddr(), err))
				hc.Close()
				return
			}
			hc.SetDeadline(time.Time{})
			if hc.ConnectionState().NegotiatedProtocol == "h2" {
				ctx := context.WithValue(context.Background(), connKey{}, hc)
				if base != nil {
					ctx = base(ctx, hc)
				}
				h2.ServeConn(hc, &http2.ServeConnOpts{Context: ctx, BaseConfig: srv, Handler: srv.Handler})
				return
			}
			select {
			case h1.ch <- hc:
			case <-h1.done:
				hc.Close()
			}
		}()
	}
}

// logf reports to srv.ErrorLog, or to the log package's standard logger
// when it is nil, as net/http does.
func logf(srv *http.Server, format string, args ...any) {
	if srv.ErrorLog != nil {
		srv.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// chanListener hands connections that chose HTTP/1.1 to http.Server.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// Transport returns an HTTP/2 client transport that dials with hasp (ALPN
// h2). For HTTP/1.1, http.Transport with DialTLSContext set to
// (&hasp.Dialer{Config: cfg}).DialContext is enough.
func Transport(cfg *hasp.Config) *http2.Transport {
	c := cfg.Clone()
	c.NextProtos = []string{"h2"}
	d := &hasp.Dialer{Config: c}
	return &http2.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}
}

// RoundTripper speaks HTTP/2 or HTTP/1.1 over hasp, as ALPN decides for
// each connection. Connections are not pooled: it suits tools that make
// a few requests; servers and busy clients want Transport or an
// http.Transport with a hasp.Dialer.
type RoundTripper struct {
	Config *hasp.Config
	// OnConnect, when set, sees each new connection after its handshake.
	OnConnect func(*hasp.Conn)
}

// RoundTrip implements http.RoundTripper.
func (rt *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return nil, errors.New("hasphttp: only https URLs")
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "443")
	}
	cfg := rt.Config.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = req.URL.Hostname()
	}
	cfg.NextProtos = NextProtos
	c, err := (&hasp.Dialer{Config: cfg}).DialContext(req.Context(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	hc := c.(*hasp.Conn)
	if rt.OnConnect != nil {
		rt.OnConnect(hc)
	}
	if hc.ConnectionState().NegotiatedProtocol == "h2" {
		cc, err := (&http2.Transport{}).NewClientConn(hc)
		if err != nil {
			hc.Close()
			return nil, err
		}
		resp, err := cc.RoundTrip(req)
		if err != nil {
			hc.Close()
			return nil, err
		}
		resp.Body = &closeBoth{resp.Body, hc}
		return resp, nil
	}
	used := false
	t1 := &http.Transport{DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
		if used {
			return nil, errors.New("hasphttp: one connection per request")
		}
		used = true
		return hc, nil
	}, DisableKeepAlives: true}
	resp, err := t1.RoundTrip(req)
	if err != nil {
		hc.Close()
	}
	return resp, err
}

type closeBoth struct {
	io.ReadCloser
	c net.Conn
}

func (b *closeBoth) Close() error {
	err := b.ReadCloser.Close()
	b.c.Close()
	return err
}

// errNotH2 ends an HTTP/2 dial to a server whose ALPN chose otherwise.
var errNotH2 = errors.New("hasphttp: the server did not choose h2")

// PooledTransport is an http.RoundTripper over hasp that keeps its
// connections, as http.Transport does: HTTP/2 (one connection a host,
// many requests) where the server's ALPN picks h2, HTTP/1.1 keep-alive
// where it does not. A redirect to the same host rides the same
// connection.
type PooledTransport struct {
	Config *hasp.Config
	// OnConnect, when set, sees each new connection after its handshake.
	OnConnect func(*hasp.Conn)

	once   sync.Once
	mu     sync.Mutex
	h1Host map[string]bool // hosts known not to speak h2
	h2     *http2.Transport
	h1     *http.Transport
}

func (t *PooledTransport) init() {
	dial := func(ctx context.Context, addr string, protos []string) (*hasp.Conn, error) {
		cfg := t.Config.Clone()
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg.ServerName = host
		}
		cfg.NextProtos = protos
		c, err := (&hasp.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		hc := c.(*hasp.Conn)
		if t.OnConnect != nil {
			t.OnConnect(hc)
		}
		return hc, nil
	}
	t.h1Host = map[string]bool{}
	t.h2 = &http2.Transport{DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		c, err := dial(ctx, addr, []string{"h2", "http/1.1"})
		if err != nil {
			return nil, err
		}
		if c.ConnectionState().NegotiatedProtocol != "h2" {
			c.Close()
			t.mu.Lock()
			t.h1Host[addr] = true
			t.mu.Unlock()
			return nil, errNotH2
		}
		return c, nil
	}}
	t.h1 = &http.Transport{DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dial(ctx, addr, []string{"http/1.1"})
	}, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
}

// RoundTrip implements http.RoundTripper.
func (t *PooledTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return nil, errors.New("hasphttp: only https URLs")
	}
	t.once.Do(t.init)
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "443")
	}
	t.mu.Lock()
	h1 := t.h1Host[addr]
	t.mu.Unlock()
	if !h1 {
		resp, err := t.h2.RoundTrip(req)
		if !errors.Is(err, errNotH2) {
			return resp, err
		}
	}
	return t.h1.RoundTrip(req)
}

// CloseIdleConnections closes the kept connections.
func (t *PooledTransport) CloseIdleConnections() {
	t.once.Do(t.init)
	t.h2.CloseIdleConnections()
	t.h1.CloseIdleConnections()
}
