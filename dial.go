package hasp

import (
	"context"
	"net"
)

// Dial connects to addr and runs a client handshake. When config has no
// ServerName, the host part of addr is used.
func Dial(network, addr string, config *Config) (*Conn, error) {
	return DialWithDialer(new(net.Dialer), network, addr, config)
}

// DialWithDialer is Dial with a net.Dialer; its Timeout and Deadline
// bound the connection and the handshake together.
func DialWithDialer(dialer *net.Dialer, network, addr string, config *Config) (*Conn, error) {
	ctx := context.Background()
	if dialer.Timeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialer.Timeout)
		defer cancel()
	}
	if !dialer.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dialer.Deadline)
		defer cancel()
	}
	return dial(ctx, dialer, network, addr, config)
}

// Dialer dials TLS connections; its DialContext fits http.Transport.
type Dialer struct {
	NetDialer *net.Dialer
	Config    *Config
}

// DialContext connects and runs the handshake under ctx.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := d.NetDialer
	if nd == nil {
		nd = new(net.Dialer)
	}
	c, err := dial(ctx, nd, network, addr, d.Config)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Dial connects and runs the handshake.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func dial(ctx context.Context, nd *net.Dialer, network, addr string, config *Config) (*Conn, error) {
	if config == nil {
		config = &Config{}
	}
	raw, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if config.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		c := config.Clone()
		c.ServerName = host
		config = c
	}
	conn := Client(raw, config)
	// For CertificateRequestInfo.Context; dropped once the handshake is
	// over, so the Conn does not keep the dial's context alive.
	conn.netConn, conn.ctx = raw, ctx
	err = conn.HandshakeContext(ctx)
	conn.ctx = nil
	if err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

type listener struct {
	net.Listener
	config *Config
}

// Accept waits for a connection and returns it as a server-side *Conn;
// the handshake runs on first Read or Write, or by calling Handshake.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	conn := Server(c, l.config)
	conn.netConn = c // for ClientHelloInfo.Conn
	return conn, nil
}

// NewListener wraps inner so that Accept returns server-side TLS
// connections.
func NewListener(inner net.Listener, config *Config) net.Listener {
	return &listener{Listener: inner, config: config}
}

// Listen listens on laddr and returns a TLS listener.
func Listen(network, laddr string, config *Config) (net.Listener, error) {
	if config == nil || (len(config.Certificates) == 0 && config.GetCertificate == nil && config.GetConfigForClient == nil) {
		return nil, errNoCertificates
	}
	if err := config.init(); err != nil {
		return nil, err
	}
	l, err := net.Listen(network, laddr)
	if err != nil {
		return nil, err
	}
	return NewListener(l, config), nil
}

var errNoCertificates = &net.OpError{Op: "listen", Err: errString("hasp: a server needs Certificates, GetCertificate or GetConfigForClient")}

type errString string

func (e errString) Error() string { return string(e) }
