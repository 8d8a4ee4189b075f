package starttls

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/hasp-tls/hasp"
)

// Serve is the server side of an upgrade: call it when the client's
// upgrade command has been read through r (the reader the server reads
// commands with, over conn). It sends reply, throws away whatever the
// client sent after the command that r already holds (pipelined
// plaintext must never run as if it had come over TLS: CVE-2011-0411 and
// kin), and returns the TLS server connection over conn, whose handshake
// runs on first use. discarded is how many bytes were thrown away (a
// well-behaved client sends none: worth a log line).
func Serve(conn net.Conn, r *bufio.Reader, reply string, config *hasp.Config) (tc *hasp.Conn, discarded int, err error) {
	if r != nil {
		discarded = r.Buffered()
		r.Discard(discarded)
	}
	if _, err := io.WriteString(conn, reply); err != nil {
		return nil, discarded, err
	}
	return hasp.Server(conn, config), discarded, nil
}

// ServeSMTP answers SMTP's STARTTLS (RFC 3207 section 4): "220", then
// TLS. The client must then say EHLO again; the server forgets what it
// learned before (RFC 3207 4.2).
func ServeSMTP(conn net.Conn, r *bufio.Reader, config *hasp.Config) (*hasp.Conn, int, error) {
	return Serve(conn, r, "220 2.0.0 Ready to start TLS\r\n", config)
}

// ServeIMAP answers IMAP's STARTTLS command with tag (RFC 3501 6.2.1).
// The tag comes from the client: one that is not an IMAP tag (RFC 3501
// section 9: no space, control character, "+" or atom-special) is an
// error and nothing is sent, since a CR or LF in it would put lines of
// the client's choosing in the server's reply.
func ServeIMAP(conn net.Conn, r *bufio.Reader, tag string, config *hasp.Config) (*hasp.Conn, int, error) {
	if !validIMAPTag(tag) {
		return nil, 0, fmt.Errorf("starttls: %q is not an IMAP tag", tag)
	}
	return Serve(conn, r, tag+" OK Begin TLS negotiation now\r\n", config)
}

// validIMAPTag: tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 9).
func validIMAPTag(tag string) bool {
	if tag == "" {
		return false
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\+`, c) >= 0 {
			return false
		}
	}
	return true
}

// ServePOP3 answers POP3's STLS (RFC 2595 section 4).
func ServePOP3(conn net.Conn, r *bufio.Reader, config *hasp.Config) (*hasp.Conn, int, error) {
	return Serve(conn, r, "+OK Begin TLS negotiation\r\n", config)
}
