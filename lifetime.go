package hasp

import (
	"errors"
	"sync/atomic"
	"time"
)

// Errors that end a connection whose lifetime ran out; Read and Write
// return them once the connection has closed with close_notify.
var (
	ErrIdleTimeout       = errors.New("hasp: connection idle for longer than Config.IdleTimeout")
	ErrSessionTooOld     = errors.New("hasp: connection older than Config.MaxSessionAge")
	ErrCertificateExpiry = errors.New("hasp: the peer's certificate expired")
)

// defaultKeyUpdateRecords is when a sender rekeys by default: 2^24
// records under one key, below the AES-GCM limit of about 2^24.5 full
// records that RFC 8446 section 5.5 gives.
const defaultKeyUpdateRecords = 1 << 24

func (c *Conn) rekeyLimit() uint64 {
	if n := c.config.KeyUpdateRecords; n > 0 {
		return uint64(n)
	}
	return defaultKeyUpdateRecords
}

// lifetime watches the limits Config sets on a connection's life.
type lifetime struct {
	lastActive atomic.Int64 // unix nanoseconds of the last Read or Write
	timer      atomic.Pointer[time.Timer]
	reason     atomic.Pointer[error]
}

func (c *Conn) touch() {
	if c.config.IdleTimeout > 0 {
		c.life.lastActive.Store(time.Now().UnixNano())
	}
}

// startLifetime arms the timer after the handshake: idle timeout, maximum
// age, and (when asked) the peer certificate's NotAfter.
func (c *Conn) startLifetime() {
	cfg := c.config
	var deadline time.Time
	var why error
	if cfg.MaxSessionAge > 0 {
		deadline, why = time.Now().Add(cfg.MaxSessionAge), ErrSessionTooOld
	}
	if cfg.CloseAtCertificateExpiry && c.st != nil && len(c.st.PeerCertificates) > 0 {
		// Traffic continues until the certificate expiration time occurs.
		na := time.Now().Add(c.st.PeerCertificates[0].NotAfter.Sub(cfg.now()))
		if deadline.IsZero() || na.Before(deadline) {
			deadline, why = na, ErrCertificateExpiry
		}
	}
	if cfg.IdleTimeout <= 0 && deadline.IsZero() {
		return
	}
	c.touch()
	var check func()
	check = func() {
		if c.closed.Load() {
			return
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			c.expire(why)
			return
		}
		next := deadline
		if cfg.IdleTimeout > 0 {
			idleAt := time.Unix(0, c.life.lastActive.Load()).Add(cfg.IdleTimeout)
			if !now.Before(idleAt) {
				c.expire(ErrIdleTimeout)
				return
			}
			if next.IsZero() || idleAt.Before(next) {
				next = idleAt
			}
		}
		c.life.timer.Store(time.AfterFunc(next.Sub(now), check))
	}
	check()
}

// expire closes the connection with close_notify and remembers why.
func (c *Conn) expire(why error) {
	c.life.reason.CompareAndSwap(nil, &why)
	c.Close()
}

// expiredErr replaces the error of a Read or Write cut short by expiry.
func (c *Conn) expiredErr(err error) error {
	if err == nil {
		return nil
	}
	if r := c.life.reason.Load(); r != nil {
		return *r
	}
	return err
}
