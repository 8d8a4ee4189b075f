// Package ratelog bounds a log of repeated events, such as failed TLS
// handshakes: the first few in each interval are logged one by one, the
// rest are counted by reason and summed up in one line when the interval
// ends. A client sending random bytes then costs a line a minute, not a
// line a connection.
package ratelog

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Limiter logs at most Burst events one by one per Interval and one
// summary line for the others. The zero value is not usable; use New.
type Limiter struct {
	logf     func(format string, args ...any)
	burst    int
	interval time.Duration
	what     string

	mu         sync.Mutex
	windowEnds time.Time
	logged     int
	suppressed int
	reasons    map[string]int
	timer      *time.Timer
	now        func() time.Time
}

// New makes a Limiter that writes through logf. what names the events in
// the summary ("failed TLS handshakes").
func New(logf func(format string, args ...any), what string, burst int, interval time.Duration) *Limiter {
	return &Limiter{logf: logf, what: what, burst: burst, interval: interval, reasons: map[string]int{}, now: time.Now}
}

// Event records one event. line is what is logged when it is logged one
// by one; reason is its class, counted when it is not.
func (l *Limiter) Event(reason, line string) {
	l.mu.Lock()
	now := l.now()
	if now.After(l.windowEnds) {
		l.flushLocked()
		l.windowEnds = now.Add(l.interval)
	}
	if l.logged < l.burst {
		l.logged++
		l.mu.Unlock()
		l.logf("%s", line)
		return
	}
	l.suppressed++
	if len(l.reasons) < 64 || l.reasons[reason] > 0 {
		l.reasons[reason]++
	} else {
		l.reasons["other"]++
	}
	if l.timer == nil {
		// The summary comes when the window ends even if nothing else
		// happens by then.
		l.timer = time.AfterFunc(l.windowEnds.Sub(now), l.expire)
	}
	l.mu.Unlock()
}

// Flush writes the summary of what was not logged, if anything, and
// starts a new window.
func (l *Limiter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	l.windowEnds = time.Time{}
}

// expire ends the window when its timer fires, unless a newer window has
// begun since.
func (l *Limiter) expire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.now().Before(l.windowEnds) {
		l.flushLocked()
		l.windowEnds = time.Time{}
	}
}

func (l *Limiter) flushLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.logged = 0
	if l.suppressed == 0 {
		return
	}
	type rc struct {
		reason string
		n      int
	}
	var top []rc
	for r, n := range l.reasons {
		top = append(top, rc{r, n})
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].n != top[j].n {
			return top[i].n > top[j].n
		}
		return top[i].reason < top[j].reason
	})
	if len(top) > 3 {
		top = top[:3]
	}
	var parts []string
	for _, t := range top {
		parts = append(parts, fmt.Sprintf("%d %s", t.n, t.reason))
	}
	l.logf("%d more %s in the last %s (not logged one by one); top reasons: %s",
		l.suppressed, l.what, l.interval, strings.Join(parts, ", "))
	l.suppressed = 0
	clear(l.reasons)
}
