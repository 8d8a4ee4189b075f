package starttls_test

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/starttls"
)

// recordConn records what is written to it.
type recordConn struct {
	net.Conn
	out bytes.Buffer
}

func (c *recordConn) Write(b []byte) (int, error) { return c.out.Write(b) }
func (c *recordConn) LocalAddr() net.Addr         { return &net.TCPAddr{} }
func (c *recordConn) RemoteAddr() net.Addr        { return &net.TCPAddr{} }

// ServeIMAP's tag is the client's: one with a CR, LF, space or other
// non-tag character is refused and nothing is written (else the client
// chooses lines of the server's reply).
func TestServeIMAPRefusesBadTags(t *testing.T) {
	for _, tag := range []string{"", "a1\r\n* BYE forged", "a1\r", "a 1", "a+1", "a{5}", "a\x00", "a\x7f", "\xc3\xa9"} {
		c := &recordConn{}
		tc, _, err := starttls.ServeIMAP(c, bufio.NewReader(strings.NewReader("")), tag, &hasp.Config{})
		if err == nil || tc != nil || c.out.Len() != 0 {
			t.Errorf("tag %q: err %v, wrote %q", tag, err, c.out.String())
		}
	}
	for _, tag := range []string{"a1", "A0001", "x.y-z]", "#1"} {
		c := &recordConn{}
		if _, _, err := starttls.ServeIMAP(c, nil, tag, &hasp.Config{}); err != nil || c.out.String() != tag+" OK Begin TLS negotiation now\r\n" {
			t.Errorf("tag %q: err %v, wrote %q", tag, err, c.out.String())
		}
	}
}
