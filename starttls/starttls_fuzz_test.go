package starttls_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/starttls"
)

// scriptConn is a server that says script, whatever it is told.
type scriptConn struct {
	r *bytes.Reader
}

func (c *scriptConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *scriptConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzPrepare: whatever a server says before the upgrade, the client's
// dialog ends (the script runs out) with an upgrade, a refusal or an
// error; it never panics, and the reads are bounded.
func FuzzPrepare(f *testing.F) {
	seeds := map[starttls.Protocol]string{
		starttls.SMTP:     "220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n",
		starttls.LMTP:     "220 lmtp\r\n250-x\r\n250-STARTTLS\r\n250 8BITMIME\r\n454 no\r\n",
		starttls.IMAP:     "* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK begin\r\n",
		starttls.POP3:     "+OK ready\r\n+OK\r\nSTLS\r\n.\r\n+OK begin\r\n",
		starttls.FTP:      "220 ftp\r\n211-Features:\r\n AUTH TLS\r\n211 End\r\n234 go\r\n",
		starttls.XMPP:     "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' from='x' id='1'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
		starttls.LDAP:     "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00",
		starttls.Postgres: "S",
		starttls.Sieve:    "\"IMPLEMENTATION\" \"x\"\r\n\"STARTTLS\"\r\nOK\r\nOK begin\r\n",
	}
	for i, p := range starttls.Protocols {
		if s, ok := seeds[p]; ok {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Add(uint8(5), []byte("<?xml version='1.0'?><s:stream xmlns:s='http://etherx.jabber.org/streams'><s:features><t:starttls xmlns:t='urn:ietf:params:xml:ns:xmpp-tls'/></s:features><failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
	f.Add(uint8(6), []byte("\x30\x84\xff\xff\xff\xff"))
	f.Add(uint8(6), []byte("\x30\x83\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, which uint8, script []byte) {
		p := starttls.Protocols[int(which)%len(starttls.Protocols)]
		c := &scriptConn{r: bytes.NewReader(script)}
		ann, err := starttls.Prepare(context.Background(), p, c, "x.test", nil)
		if err == nil && ann == nil {
			t.Fatal("no error and nothing announced")
		}
		if errors.Is(err, io.EOF) || err == nil {
			return
		}
		// An error, a refusal or a downgrade: anything but a panic.
		_ = err.Error()
	})
}
