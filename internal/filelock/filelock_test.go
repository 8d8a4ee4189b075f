package filelock

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Goroutines that each Lock the same path (each with a file of its own)
// are never inside at the same time.
func TestLockExcludesGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	expectExclusion(t, 10, 100*time.Microsecond, func() (func() error, error) {
		l, err := Lock(path)
		if err != nil {
			return nil, err
		}
		return l.Unlock, nil
	})
}

// expectExclusion has 16 goroutines take a lock rounds times each, hold
// it for a while and release it, and fails if two ever hold it at once.
func expectExclusion(t *testing.T, rounds int, hold time.Duration, lock func() (release func() error, err error)) {
	t.Helper()
	var inside atomic.Int32
	var overlap atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < rounds; j++ {
				release, err := lock()
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlap.Store(true)
				}
				time.Sleep(hold)
				inside.Add(-1)
				if err := release(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if overlap.Load() {
		t.Fatal("two goroutines held the lock at once")
	}
}

// Lock waits while another holds the lock, and goes on after Unlock.
func TestLockWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *File)
	go func() {
		l2, err := Lock(path)
		if err != nil {
			t.Error(err)
		}
		got <- l2
	}()
	select {
	case <-got:
		t.Fatal("locked twice")
	case <-time.After(100 * time.Millisecond):
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatalf("second Unlock: %v", err)
	}
	select {
	case l2 := <-got:
		l2.Unlock()
	case <-time.After(10 * time.Second):
		t.Fatal("Lock still waiting after Unlock")
	}
}

func expectNoProcessLocks(t *testing.T) {
	t.Helper()
	processLocks.Lock()
	n := len(processLocks.m)
	processLocks.Unlock()
	if n != 0 {
		t.Fatalf("%d process locks left", n)
	}
}

func TestLockError(t *testing.T) {
	if _, err := Lock(filepath.Join(t.TempDir(), "missing", "x.lock")); err == nil {
		t.Fatal("locked a file in a directory that does not exist")
	}
	// A failed Lock leaves nothing held.
	expectNoProcessLocks(t)
}

// The lock of the process (used where the system's lock is per process,
// or missing) excludes goroutines and forgets paths no one uses.
func TestProcessLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	expectExclusion(t, 50, 10*time.Microsecond, func() (func() error, error) {
		release, err := processLock(path)
		if err != nil {
			return nil, err
		}
		return func() error { release(); return nil }, nil
	})
	expectNoProcessLocks(t)
}

// Processes that Lock the same path never hold it at once: each appends
// "begin" and, a little later, "end" to a log under the lock, and the log
// must alternate.
func TestLockExcludesProcesses(t *testing.T) {
	if os.Getenv("HASP_FILELOCK_HELPER") != "" {
		lockHelper(t)
		return
	}
	if !crossProcess {
		t.Skip("no lock between processes on this system")
	}
	dir := t.TempDir()
	const procs, rounds = 4, 20
	var cmds []*exec.Cmd
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestLockExcludesProcesses$")
		cmd.Env = append(os.Environ(), "HASP_FILELOCK_HELPER="+dir, fmt.Sprintf("HASP_FILELOCK_ROUNDS=%d", rounds))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for want := "begin"; sc.Scan(); n++ {
		if got, _, _ := strings.Cut(sc.Text(), " "); got != want {
			t.Fatalf("line %d: %q, want %s: two processes held the lock at once", n+1, sc.Text(), want)
		}
		if want == "begin" {
			want = "end"
		} else {
			want = "begin"
		}
	}
	if n != 2*procs*rounds {
		t.Fatalf("%d lines, want %d", n, 2*procs*rounds)
	}
}

func lockHelper(t *testing.T) {
	dir := os.Getenv("HASP_FILELOCK_HELPER")
	var rounds int
	fmt.Sscan(os.Getenv("HASP_FILELOCK_ROUNDS"), &rounds)
	logf, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	for i := 0; i < rounds; i++ {
		l, err := Lock(filepath.Join(dir, "x.lock"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(logf, "begin %d %d\n", os.Getpid(), i)
		time.Sleep(time.Millisecond)
		fmt.Fprintf(logf, "end %d %d\n", os.Getpid(), i)
		if err := l.Unlock(); err != nil {
			t.Fatal(err)
		}
	}
}
