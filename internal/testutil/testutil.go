// Package testutil holds small helpers shared by hasp's tests.
package testutil

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// SyncBuffer collects output written from several goroutines (a peer
// process's stdout and stderr, a command under test).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls until the buffer holds want or d has passed.
func (s *SyncBuffer) WaitFor(want string, d time.Duration) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if strings.Contains(s.String(), want) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return strings.Contains(s.String(), want)
}

// NeedPeer finds a peer program. Under CI (HASP_CI set by .ci/run) a
// missing peer fails the test, so a missing install step cannot hide;
// elsewhere the test is skipped.
func NeedPeer(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("HASP_CI") != "" {
			t.Fatalf("%s not found; .ci/run must install it", name)
		}
		noteSkip(t, name)
		t.Skipf("%s not installed", name)
	}
	return p
}

// Unhex decodes hex written with any white space between the digits, as
// in the RFCs' example traces; it panics on anything else.
func Unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}
