//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO planted under a key is refused by Dir.Get at once (opened
// without waiting for a writer), not read from or waited on.
func TestDirGetRefusesFIFO(t *testing.T) {
	ctx := context.Background()
	d := Dir(t.TempDir())
	fifo := filepath.Join(string(d), "certs", "fifo.pem")
	if err := os.MkdirAll(filepath.Dir(fifo), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := d.Get(ctx, "certs/fifo.pem"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), "certs/fifo.pem") {
			t.Fatalf("a FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		// Unblock the reader so that the test ends.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("Dir.Get blocked on a FIFO")
	}
}
