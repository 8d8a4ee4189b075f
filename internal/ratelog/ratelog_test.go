package ratelog

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type lines struct {
	mu sync.Mutex
	l  []string
}

func (s *lines) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.l = append(s.l, fmt.Sprintf(format, args...))
}

func (s *lines) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.l...)
}

func TestBurstThenSummary(t *testing.T) {
	var out lines
	l := New(out.logf, "failed TLS handshakes", 10, time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := 0; i < 1000; i++ {
		reason := "client hung up"
		if i%10 == 0 {
			reason = "sent decode_error"
		}
		l.Event(reason, fmt.Sprintf("line %d", i))
	}
	if got := out.get(); len(got) != 10 || got[9] != "line 9" {
		t.Fatalf("logged %d lines one by one, want 10: %q", len(got), got)
	}
	// The next window begins: its first event flushes the summary of the
	// last and is logged itself.
	now = now.Add(61 * time.Second)
	l.Event("timeout", "line 1000")
	got := out.get()
	if len(got) != 12 {
		t.Fatalf("%d lines: %q", len(got), got)
	}
	want := "990 more failed TLS handshakes in the last 1m0s (not logged one by one); top reasons: 891 client hung up, 99 sent decode_error"
	if got[10] != want || got[11] != "line 1000" {
		t.Fatalf("summary %q\nwant     %q", got[10:], want)
	}
}

// The summary comes at the end of the window even when nothing else
// happens.
func TestSummaryOnTimer(t *testing.T) {
	var out lines
	l := New(out.logf, "events", 2, 50*time.Millisecond)
	for i := 0; i < 5; i++ {
		l.Event("r", "e")
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if got := out.get(); len(got) == 3 {
			if !strings.HasPrefix(got[2], "3 more events") {
				t.Fatalf("summary %q", got[2])
			}
			return
		}
	}
	t.Fatalf("no summary: %q", out.get())
}

// Distinct reasons are bounded: a peer cannot grow the map without limit.
func TestReasonsBounded(t *testing.T) {
	var out lines
	l := New(out.logf, "events", 0, time.Hour)
	for i := 0; i < 10000; i++ {
		l.Event(fmt.Sprint(i), "e")
	}
	if len(l.reasons) > 65 {
		t.Fatalf("%d reasons kept", len(l.reasons))
	}
	l.Flush()
	if got := out.get(); len(got) != 1 || !strings.Contains(got[0], "10000 more events") || !strings.Contains(got[0], "other") {
		t.Fatalf("%q", got)
	}
}
