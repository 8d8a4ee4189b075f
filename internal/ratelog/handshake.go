package ratelog

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/hasp-tls/hasp"
)

// Handshakes bounds the log of failed handshakes of a server: the first
// ten in a minute are logged one by one with the client's address and the
// error, the rest are counted by reason and summed up in one line at the
// end of the minute.
func Handshakes(logf func(format string, args ...any)) *Limiter {
	return New(logf, "failed TLS handshakes", 10, time.Minute)
}

// HandshakeReason classifies a handshake error for the summary line: the
// alert and who sent it, a timeout, or the client hanging up.
func HandshakeReason(err error) string {
	var ae *hasp.AlertError
	var ne net.Error
	switch {
	case errors.As(err, &ae) && ae.Remote:
		return "client sent " + ae.Alert.String()
	case errors.As(err, &ae):
		return "sent " + ae.Alert.String()
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "client hung up"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	return "other"
}
