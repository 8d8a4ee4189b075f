package hasp

import (
	"errors"
	"math"
	"sync"
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

// lifetime watches the limits Config sets on a connection's life. Its
// times are all on the configured clock (Config.Time): the deadlines, the
// last activity and the checks. The timer runs on the wall clock, so it
// only says when to look again; a configured clock that runs ahead of the
// wall clock (set forward, say) is also looked at on each Read and Write.
type lifetime struct {
	lastActive atomic.Int64 // Config.Time unix nanoseconds of the last Read or Write
	timer      atomic.Pointer[time.Timer]
	reason     atomic.Pointer[error]
	limits     atomic.Pointer[lifeLimits] // set once, by startLifetime
	checkMu    sync.Mutex                 // one checkLifetime at a time
}

// lifeLimits are a connection's limits on the configured clock.
type lifeLimits struct {
	deadline time.Time // from MaxSessionAge or the certificate's NotAfter; zero for none
	why      error     // ErrSessionTooOld or ErrCertificateExpiry
	idle     time.Duration
}

// at says whether a limit has passed at now (why), and if none has, when
// the next one falls (zero for never).
func (l *lifeLimits) at(now time.Time, lastActive int64) (next time.Time, why error) {
	next = l.deadline
	if !next.IsZero() && !now.Before(next) {
		return time.Time{}, l.why
	}
	if l.idle > 0 {
		idleAt := time.Unix(0, lastActive).Add(l.idle)
		if !now.Before(idleAt) {
			return time.Time{}, ErrIdleTimeout
		}
		if next.IsZero() || idleAt.Before(next) {
			next = idleAt
		}
	}
	return next, nil
}

// touch records a Read or Write that returned data. When the configured
// clock is already past a limit (it ran ahead of the timer), the activity
// does not count and the timer runs at once to close the connection: it
// cannot be closed here, where a Write may hold outMu.
func (c *Conn) touch() {
	lt := c.life.Load()
	if lt == nil {
		return
	}
	l := lt.limits.Load()
	now := c.config.now()
	if _, why := l.at(now, lt.lastActive.Load()); why != nil {
		if t := lt.timer.Load(); t != nil {
			t.Reset(0)
		}
		return
	}
	if l.idle > 0 {
		lt.lastActive.Store(now.UnixNano())
	}
}

// startLifetime arms the timer after the handshake: idle timeout, maximum
// age, and (when asked) the peer certificate's NotAfter, all judged by
// Config.Time.
func (c *Conn) startLifetime() {
	cfg := c.config
	if cfg.IdleTimeout <= 0 && cfg.MaxSessionAge <= 0 && !cfg.CloseAtCertificateExpiry {
		return // no limit: nothing to keep (and nothing allocated)
	}
	now := cfg.now()
	l := &lifeLimits{idle: max(cfg.IdleTimeout, 0)}
	if cfg.MaxSessionAge > 0 {
		l.deadline, l.why = now.Add(cfg.MaxSessionAge), ErrSessionTooOld
	}
	if cfg.CloseAtCertificateExpiry && c.state() != nil && len(c.state().PeerCertificates) > 0 {
		// Traffic continues until the certificate expiration time occurs.
		if na := c.state().PeerCertificates[0].NotAfter; l.deadline.IsZero() || na.Before(l.deadline) {
			l.deadline, l.why = na, ErrCertificateExpiry
		}
	}
	if l.idle == 0 && l.deadline.IsZero() {
		return
	}
	// Made only when there is a limit: a connection without one keeps
	// no lifetime state. The timer and limits exist before it is
	// published, so that touch and Close find them; checkLifetime arms
	// the timer.
	lt := &lifetime{}
	lt.lastActive.Store(now.UnixNano())
	lt.timer.Store(time.AfterFunc(math.MaxInt64, c.checkLifetime))
	lt.limits.Store(l)
	c.life.Store(lt)
	c.checkLifetime()
}

// checkLifetime closes the connection if the configured clock is past a
// limit, and otherwise sets the timer for the next one. It runs from the
// timer, and once from startLifetime, never with inMu or outMu held.
func (c *Conn) checkLifetime() {
	lt := c.life.Load()
	if lt == nil {
		return
	}
	lt.checkMu.Lock()
	defer lt.checkMu.Unlock()
	l := lt.limits.Load()
	if l == nil || c.closed.Load() {
		return
	}
	now := c.config.now()
	next, why := l.at(now, lt.lastActive.Load())
	if why != nil {
		c.expire(why)
		return
	}
	if !next.IsZero() {
		// A wall-clock wait of what is left on the configured clock; if
		// that clock runs slower, the next check waits again.
		lt.timer.Load().Reset(next.Sub(now))
	}
}

// expire closes the connection with close_notify and remembers why.
func (c *Conn) expire(why error) {
	if lt := c.life.Load(); lt != nil {
		lt.reason.CompareAndSwap(nil, &why)
	}
	c.Close()
}

// expiredErr replaces the error of a Read or Write cut short by expiry.
func (c *Conn) expiredErr(err error) error {
	if err == nil {
		return nil
	}
	if lt := c.life.Load(); lt != nil {
		if r := lt.reason.Load(); r != nil {
			return *r
		}
	}
	return err
}
