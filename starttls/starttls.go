// Package starttls upgrades plaintext connections to TLS the way the
// protocols that start in the clear do it: SMTP, submission and LMTP (RFC
// 3207), IMAP (RFC 2595), POP3 (STLS, RFC 2595), XMPP (RFC 6120), LDAP
// (StartTLS, RFC 4511), FTP (AUTH TLS, RFC 4217), PostgreSQL (SSLRequest)
// and ManageSieve (RFC 5804).
//
// The client side refuses a server that sends anything between agreeing
// to the upgrade and the TLS handshake (response injection: plaintext
// that would be read as if it had come over TLS), bounds every line and
// list it reads from the server, and says what happened when there is no
// upgrade: the server did not offer it (ErrNotOffered: a STRIPTLS-style
// downgrade looks just like this), refused it (*RefusedError), or said
// something else (*UnexpectedError).
//
// The server side (ServeSMTP, ServeIMAP, ServePOP3, Serve) answers the
// STARTTLS command and makes sure plaintext pipelined after it is thrown
// away, never executed as if it had come over TLS (CVE-2011-0411 and its
// IMAP and POP3 kin).
package starttls

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
)

// Protocol names the plaintext protocol.
type Protocol string

// The protocols.
const (
	SMTP       Protocol = "smtp"
	Submission Protocol = "submission"
	LMTP       Protocol = "lmtp"
	IMAP       Protocol = "imap"
	POP3       Protocol = "pop3"
	XMPP       Protocol = "xmpp"
	LDAP       Protocol = "ldap"
	FTP        Protocol = "ftp"
	Postgres   Protocol = "postgres"
	Sieve      Protocol = "sieve"
)

// Protocols lists them all.
var Protocols = []Protocol{SMTP, Submission, LMTP, IMAP, POP3, XMPP, LDAP, FTP, Postgres, Sieve}

// DefaultPort is each protocol's usual port.
func (p Protocol) DefaultPort() string {
	switch p {
	case SMTP:
		return "25"
	case Submission:
		return "587"
	case LMTP:
		return "24"
	case IMAP:
		return "143"
	case POP3:
		return "110"
	case XMPP:
		return "5222"
	case LDAP:
		return "389"
	case FTP:
		return "21"
	case Postgres:
		return "5432"
	case Sieve:
		return "4190"
	}
	return ""
}

// Announced is what the server said before (and, for SMTP, LMTP and
// Sieve, after) the upgrade.
type Announced struct {
	// Banner is the greeting: SMTP's 220 lines, IMAP's "* OK", POP3's
	// "+OK", FTP's 220, Sieve's implementation name.
	Banner string
	// Capabilities before the upgrade: EHLO keywords, IMAP CAPABILITY,
	// POP3 CAPA, FTP FEAT, Sieve capabilities, XMPP stream features (the
	// child element names).
	Capabilities []string
	// CapabilitiesTLS: what the server announced again over TLS (SMTP's
	// and LMTP's second EHLO/LHLO, Sieve's capabilities).
	CapabilitiesTLS []string
}

// Has reports whether a capability is announced (case-insensitively, by
// its first word).
func (a *Announced) Has(name string) bool {
	for _, c := range a.Capabilities {
		if f := strings.Fields(c); len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}

// ErrNotOffered: the server does not announce the upgrade. Under a policy
// that accepts plaintext, an attacker who strips the announcement gets
// exactly this (STRIPTLS); refuse to go on in the clear unless the policy
// says opportunistic.
var ErrNotOffered = errors.New("starttls: the server does not offer STARTTLS")

// ErrResponseInjection: the server (or someone on the path) sent bytes
// after agreeing to the upgrade and before the TLS handshake; they would
// otherwise be taken as protected data.
var ErrResponseInjection = errors.New("starttls: data after the server's go-ahead and before the TLS handshake (response injection)")

// RefusedError: the server answered the upgrade request with a refusal.
type RefusedError struct {
	Protocol Protocol
	Reply    string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("starttls: %s server refused the upgrade: %s", e.Protocol, e.Reply)
}

// UnexpectedError: the server said something the protocol does not allow
// there.
type UnexpectedError struct {
	Protocol Protocol
	Step     string
	Got      string
}

func (e *UnexpectedError) Error() string {
	return fmt.Sprintf("starttls: %s server answered %s with %q", e.Protocol, e.Step, e.Got)
}

// Bounds on what the client reads before the upgrade.
const (
	maxLine  = 4096 // one line (RFC 5321 allows 512 for SMTP replies)
	maxLines = 256  // lines in answer to one command (or of the greeting)
	maxBytes = 64 << 10
)

var errLineTooLong = errors.New("starttls: line longer than 4096 bytes")

// Options tune the dialog.
type Options struct {
	// LocalName is the client's name for EHLO/LHLO ("localhost" when
	// empty).
	LocalName string
	// Timeout bounds the plaintext dialog and the handshake when the
	// context has no deadline (default 30 s).
	Timeout time.Duration
	// BeforeHandshake, when set, is called with what the server announced
	// once it agreed to the upgrade, before the TLS handshake (tools show
	// the dialog in order).
	BeforeHandshake func(*Announced)
}

// Dial connects to addr (the protocol's port when it has none), upgrades
// and runs the TLS handshake. config.ServerName defaults to the host.
func Dial(ctx context.Context, proto Protocol, addr string, config *hasp.Config) (*hasp.Conn, *Announced, error) {
	return DialWith(ctx, proto, addr, config, nil)
}

// DialWith is Dial with options.
func DialWith(ctx context.Context, proto Protocol, addr string, config *hasp.Config, o *Options) (*hasp.Conn, *Announced, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, proto.DefaultPort())
	}
	if config == nil {
		config = &hasp.Config{}
	}
	if config.ServerName == "" && !config.InsecureSkipVerify {
		host, _, _ := net.SplitHostPort(addr)
		config = config.Clone()
		config.ServerName = host
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	conn, ann, err := UpgradeWith(ctx, proto, raw, config, o)
	if err != nil {
		raw.Close()
		return nil, ann, err
	}
	return conn, ann, nil
}

// Upgrade runs the protocol's plaintext dialog on conn, which the caller
// has just connected, and the TLS handshake.
func Upgrade(ctx context.Context, proto Protocol, conn net.Conn, config *hasp.Config) (*hasp.Conn, *Announced, error) {
	return UpgradeWith(ctx, proto, conn, config, nil)
}

// Prepare runs only the plaintext dialog on conn: when it returns
// without error the server has agreed to the upgrade and waits for a
// ClientHello, which the caller sends itself (a scanner sending probes;
// serverName is what XMPP puts in its stream header). SMTP's second EHLO
// is then the caller's to send.
func Prepare(ctx context.Context, proto Protocol, conn net.Conn, serverName string, o *Options) (*Announced, error) {
	c, err := prepare(ctx, proto, conn, serverName, o)
	if c == nil {
		return nil, err
	}
	return c.ann, err
}

func prepare(ctx context.Context, proto Protocol, conn net.Conn, serverName string, o *Options) (*client, error) {
	if o == nil {
		o = &Options{}
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		t := o.Timeout
		if t <= 0 {
			t = 30 * time.Second
		}
		conn.SetDeadline(time.Now().Add(t))
	}
	defer conn.SetDeadline(time.Time{})
	c := &client{proto: proto, conn: conn, r: bufio.NewReaderSize(conn, maxLine), ann: &Announced{}, name: o.LocalName}
	if c.name == "" {
		c.name = "localhost"
	}
	var err error
	switch proto {
	case SMTP, Submission:
		err = c.smtp("EHLO")
	case LMTP:
		err = c.smtp("LHLO")
	case IMAP:
		err = c.imap()
	case POP3:
		err = c.pop3()
	case XMPP:
		err = c.xmpp(serverName)
	case LDAP:
		err = c.ldap()
	case FTP:
		err = c.ftp()
	case Postgres:
		err = c.postgres()
	case Sieve:
		err = c.sieve()
	default:
		return nil, fmt.Errorf("starttls: unknown protocol %q", proto)
	}
	if err != nil {
		return c, err
	}
	// RFC 3207 section 4 and its kin: nothing may follow the go-ahead
	// before the handshake.
	if c.r.Buffered() > 0 {
		return c, ErrResponseInjection
	}
	return c, nil
}

// UpgradeWith is Upgrade with options.
func UpgradeWith(ctx context.Context, proto Protocol, conn net.Conn, config *hasp.Config, o *Options) (*hasp.Conn, *Announced, error) {
	if o == nil {
		o = &Options{}
	}
	c, err := prepare(ctx, proto, conn, config.ServerName, o)
	if err != nil {
		if c == nil {
			return nil, nil, err
		}
		return nil, c.ann, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		t := o.Timeout
		if t <= 0 {
			t = 30 * time.Second
		}
		conn.SetDeadline(time.Now().Add(t))
	}
	defer conn.SetDeadline(time.Time{})
	if o.BeforeHandshake != nil {
		o.BeforeHandshake(c.ann)
	}
	tc := hasp.Client(conn, config)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, c.ann, err
	}
	switch proto {
	case SMTP, Submission, LMTP:
		// RFC 3207 section 4.2: the session starts again; say hello again.
		verb := "EHLO"
		if proto == LMTP {
			verb = "LHLO"
		}
		tr := &client{proto: proto, conn: tc, r: bufio.NewReaderSize(tc, maxLine), ann: &Announced{}}
		if err := tr.send(verb + " " + c.name); err != nil {
			return nil, c.ann, err
		}
		lines, code, err := tr.smtpReply()
		if err != nil {
			return nil, c.ann, err
		}
		if code != 250 {
			return nil, c.ann, &UnexpectedError{proto, verb + " over TLS", strings.Join(lines, " ")}
		}
		c.ann.CapabilitiesTLS = lines[1:]
		if tr.r.Buffered() > 0 {
			return nil, c.ann, &UnexpectedError{proto, verb + " over TLS", "more than the reply"}
		}
	case Sieve:
		// RFC 5804 section 2.2: the server sends its capabilities again.
		tr := &client{proto: proto, conn: tc, r: bufio.NewReaderSize(tc, maxLine), ann: &Announced{}}
		caps, _, err := tr.sieveCapabilities()
		if err != nil {
			return nil, c.ann, err
		}
		c.ann.CapabilitiesTLS = caps
	}
	return tc, c.ann, nil
}

type client struct {
	proto Protocol
	conn  net.Conn
	r     *bufio.Reader
	ann   *Announced
	name  string
	read  int
	// lines counts the lines read since the last command: one reply,
	// list or greeting, bounded by maxLines whatever the protocol.
	lines int
}

func (c *client) send(line string) error {
	c.lines = 0
	_, err := c.conn.Write([]byte(line + "\r\n"))
	return err
}

// line reads one line (without its CRLF or LF), bounded.
func (c *client) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	c.read += len(b)
	if c.read > maxBytes {
		return "", errors.New("starttls: the server said more than 64 KiB before the upgrade")
	}
	if c.lines++; c.lines > maxLines {
		return "", errors.New("starttls: more than 256 lines in one reply")
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
