package starttls

import (
	"bufio"
	"io"
	"net"

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
func ServeIMAP(conn net.Conn, r *bufio.Reader, tag string, config *hasp.Config) (*hasp.Conn, int, error) {
	return Serve(conn, r, tag+" OK Begin TLS negotiation now\r\n", config)
}

// ServePOP3 answers POP3's STLS (RFC 2595 section 4).
func ServePOP3(conn net.Conn, r *bufio.Reader, config *hasp.Config) (*hasp.Conn, int, error) {
	return Serve(conn, r, "+OK Begin TLS negotiation\r\n", config)
}
