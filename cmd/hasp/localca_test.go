package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/atomicfile"
)

// caResult is one loadOrCreateCA call's outcome, as a line of text (so a
// helper process can report it): "ok CREATED FINGERPRINT" or "err MSG".
func caResult(dir string) string {
	ca, created, err := loadOrCreateCA(dir)
	if err != nil {
		return "err " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	if !ca.key.PublicKey.Equal(ca.cert.PublicKey) {
		return "err the CA returned has a key that is not the certificate's"
	}
	sum := sha256.Sum256(ca.cert.Raw)
	return fmt.Sprintf("ok %v %s", created, hex.EncodeToString(sum[:]))
}

// runCAGoroutines calls loadOrCreateCA on dir from n goroutines that all
// start when start is closed.
func runCAGoroutines(dir string, n int, start <-chan struct{}) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = caResult(dir)
		}()
	}
	wg.Wait()
	return out
}

// Several processes, each with several goroutines, starting hasp serve's
// CA setup at once on a fresh config directory all get one CA, made once,
// whose key is the certificate's; and that is the CA left on disk.
func TestLoadOrCreateCAConcurrent(t *testing.T) {
	if os.Getenv("HASP_LOCALCA_HELPER") != "" {
		return
	}
	const procs, perProc = 4, 8
	dir := filepath.Join(t.TempDir(), "hasp") // does not exist yet
	goFile := filepath.Join(t.TempDir(), "go")
	var cmds []*exec.Cmd
	var outs []*bufio.Reader
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestLocalCAHelper$")
		cmd.Env = append(os.Environ(), "HASP_LOCALCA_HELPER=race", "HASP_LOCALCA_DIR="+dir,
			"HASP_LOCALCA_GO="+goFile, "HASP_LOCALCA_N="+strconv.Itoa(perProc))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		cmds = append(cmds, cmd)
		outs = append(outs, bufio.NewReader(out))
	}
	for i, r := range outs {
		if line, err := r.ReadString('\n'); line != "ready\n" {
			t.Fatalf("helper %d: %q, %v", i, line, err)
		}
	}
	start := make(chan struct{})
	var mine []string
	done := make(chan struct{})
	go func() { mine = runCAGoroutines(dir, perProc, start); close(done) }()
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	close(start)
	<-done
	results := mine
	for i, r := range outs {
		rest, _ := io.ReadAll(r)
		if err := cmds[i].Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, rest)
		}
		for _, l := range strings.Split(string(rest), "\n") {
			if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "err ") {
				results = append(results, l)
			}
		}
	}
	if len(results) != (procs+1)*perProc {
		t.Fatalf("%d results, want %d:\n%s", len(results), (procs+1)*perProc, strings.Join(results, "\n"))
	}
	created, fps := 0, map[string]int{}
	for _, r := range results {
		f := strings.Fields(r)
		if f[0] != "ok" {
			t.Fatalf("loadOrCreateCA failed: %s", r)
		}
		if f[1] == "true" {
			created++
		}
		fps[f[2]]++
	}
	if len(fps) != 1 || created != 1 {
		t.Fatalf("%d CAs made, %d different CAs returned: %v", created, len(fps), fps)
	}
	// And the CA on disk is that one, with its own key.
	if got := caResult(dir); got != "ok false "+strings.Fields(results[0])[2] {
		t.Fatalf("after the race: %s, want %s", got, results[0])
	}
}

// A certificate and a key from different CAs on disk are refused with an
// error naming both files and saying what to do; nothing is overwritten.
func TestLoadCAMismatchedPair(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, _, err := loadOrCreateCA(d); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, _ := os.ReadFile(filepath.Join(a, "ca.pem"))
	keyPEM, _ := os.ReadFile(filepath.Join(b, "ca.key"))
	certPath, keyPath := filepath.Join(c, "ca.pem"), filepath.Join(c, "ca.key")
	os.WriteFile(certPath, certPEM, 0o644)
	os.WriteFile(keyPath, keyPEM, 0o600)
	for i := 0; i < 2; i++ { // and again: the error is not "fixed" by a retry
		_, _, err := loadOrCreateCA(c)
		if err == nil {
			t.Fatal("a mismatched CA certificate and key were accepted")
		}
		for _, want := range []string{certPath, keyPath, "different key pairs",
			"delete both and run hasp serve again to make a new CA",
			"tools that trusted the old CA must trust the new one"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	if got, _ := os.ReadFile(certPath); string(got) != string(certPEM) {
		t.Error("ca.pem was changed")
	}
	if got, _ := os.ReadFile(keyPath); string(got) != string(keyPEM) {
		t.Error("ca.key was changed")
	}
	// Following the advice works.
	os.Remove(certPath)
	os.Remove(keyPath)
	if r := caResult(c); !strings.HasPrefix(r, "ok true ") {
		t.Fatalf("after deleting both: %s", r)
	}
}

// A key without its certificate is a CA whose making was cut short: the
// next start makes a whole new one. A certificate without its key is an
// error that says what to do.
func TestLoadCAIncomplete(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := loadOrCreateCA(dir); err != nil {
		t.Fatal(err)
	}
	oldKey, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	os.Remove(filepath.Join(dir, "ca.pem"))
	if r := caResult(dir); !strings.HasPrefix(r, "ok true ") {
		t.Fatalf("key without certificate: %s", r)
	}
	if newKey, _ := os.ReadFile(filepath.Join(dir, "ca.key")); string(newKey) == string(oldKey) {
		t.Error("the key of the unfinished CA was kept")
	}

	os.Remove(filepath.Join(dir, "ca.key"))
	_, _, err := loadOrCreateCA(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "ca.key")) || !strings.Contains(err.Error(), "delete "+filepath.Join(dir, "ca.pem")) {
		t.Fatalf("certificate without key: %v", err)
	}
}

// hasp serve killed (kill -9) while writing the CA leaves a temporary file,
// which for ca.key is a copy of the private key. A later start removes it
// once it is stale, but not a fresh one (some other process may be writing
// it) nor files that only look similar.
func TestLoadOrCreateCAKilledWrite(t *testing.T) {
	if os.Getenv("HASP_LOCALCA_HELPER") != "" {
		return
	}
	for _, killAt := range []int{1, 2} { // writing ca.key, writing ca.pem
		t.Run(strconv.Itoa(killAt), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hasp")
			cmd := exec.Command(os.Args[0], "-test.run", "^TestLocalCAHelper$")
			cmd.Env = append(os.Environ(), "HASP_LOCALCA_HELPER=kill", "HASP_LOCALCA_DIR="+dir, "HASP_LOCALCA_N="+strconv.Itoa(killAt))
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "ca.*.tmp*"))
			if len(left) != 1 {
				t.Fatalf("after the kill: %q, want one temporary file", left)
			}
			if _, err := os.Stat(filepath.Join(dir, "ca.pem")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("ca.pem after the kill: %v", err)
			}
			old := time.Now().Add(-atomicfile.StaleAfter - time.Minute)
			os.Chtimes(left[0], old, old)
			keep := []string{"ca.key.tmp", "ca.key.tmp1.bak", "ca.key.tmpx", "notca.key.tmp1"}
			for _, name := range keep {
				p := filepath.Join(dir, name)
				os.WriteFile(p, []byte("the user's"), 0o600)
				os.Chtimes(p, old, old)
			}
			fresh := filepath.Join(dir, "ca.pem.tmp42") // as if being written now
			os.WriteFile(fresh, nil, 0o600)
			keep = append(keep, filepath.Base(fresh))

			if r := caResult(dir); !strings.HasPrefix(r, "ok true ") {
				t.Fatalf("start after the kill: %s", r)
			}
			if _, err := os.Stat(left[0]); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stale %s not removed: %v", filepath.Base(left[0]), err)
			}
			for _, name := range keep {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("%s removed: %v", name, err)
				}
			}
			// Once stale, the fresh one goes too, on a start that finds the
			// CA whole.
			os.Chtimes(fresh, old, old)
			if r := caResult(dir); !strings.HasPrefix(r, "ok false ") {
				t.Fatalf("next start: %s", r)
			}
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stale %s not removed: %v", filepath.Base(fresh), err)
			}
		})
	}
}

// TestLocalCAHelper is the other processes of the tests above.
func TestLocalCAHelper(t *testing.T) {
	dir := os.Getenv("HASP_LOCALCA_DIR")
	n, _ := strconv.Atoi(os.Getenv("HASP_LOCALCA_N"))
	switch os.Getenv("HASP_LOCALCA_HELPER") {
	case "":
		t.Skip("helper process only")
	case "race":
		fmt.Println("ready")
		start := make(chan struct{})
		go func() {
			for {
				if _, err := os.Stat(os.Getenv("HASP_LOCALCA_GO")); err == nil {
					close(start)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		}()
		for _, r := range runCAGoroutines(dir, n, start) {
			fmt.Println(r)
		}
	case "kill":
		// Die like kill -9 at the nth rename: no deferred cleanup runs.
		renames := 0
		atomicfile.BeforeRename = func() {
			if renames++; renames == n {
				os.Exit(3)
			}
		}
		loadOrCreateCA(dir)
		t.Fatal("not killed")
	}
}
