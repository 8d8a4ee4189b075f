package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Write replaces the content and sets the mode, and leaves no temporary
// file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, content := range []string{"first", "second"} {
		if err := Write(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("wrote into a directory that does not exist")
	}
}

// The temporary file Write makes has the name CleanStale looks for.
func TestWriteTempName(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ca.key")
	var seen []string
	BeforeRename = func() {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			seen = append(seen, e.Name())
		}
	}
	defer func() { BeforeRename = nil }()
	if err := Write(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || !isTempName(seen[0], "ca.key") {
		t.Fatalf("files during the write: %q, want one ca.key.tmpN", seen)
	}
}

func TestIsTempName(t *testing.T) {
	for name, want := range map[string]bool{
		"ca.key.tmp0":           true,
		"ca.key.tmp4294967295":  true,
		"ca.key.tmp":            false,
		"ca.key.tmp12345678901": false, // 11 digits
		"ca.key.tmp12a":         false,
		"ca.key.tmp-1":          false,
		"ca.key.tmp 1":          false,
		"ca.key.tmp1.bak":       false,
		"ca.key":                false,
		"xca.key.tmp1":          false,
		"ca.pem.tmp1":           false,
		"ca.key.TMP1":           false,
	} {
		if got := isTempName(name, "ca.key"); got != want {
			t.Errorf("isTempName(%q) = %v, want %v", name, got, want)
		}
	}
}

// CleanStale removes old temporary files of the target and nothing else:
// not a fresh one (a writer may be using it), not another target's, not a
// directory, not a file whose name only looks similar.
func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "known_hosts")
	old := time.Now().Add(-2 * StaleAfter)
	mk := func(name string, mtime time.Time) {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	mk("known_hosts", old)
	mk("known_hosts.tmp123", old)        // removed
	mk("known_hosts.tmp4294967295", old) // removed
	mk("known_hosts.tmp77", time.Now())  // fresh: kept
	mk("known_hosts.tmp", old)           // no digits
	mk("known_hosts.tmp12x", old)        // not only digits
	mk("known_hosts.tmp1.bak", old)      // the user's
	mk("known_hosts.lock", old)          // not a temporary file
	mk("exceptions.tmp123", old)         // another target's
	mk("my_known_hosts.tmp123", old)     // another target's
	if err := os.Mkdir(filepath.Join(dir, "known_hosts.tmp5"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := CleanStale(p); err != nil {
		t.Fatal(err)
	}
	var got []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := []string{"exceptions.tmp123", "known_hosts", "known_hosts.lock", "known_hosts.tmp", "known_hosts.tmp1.bak", "known_hosts.tmp12x", "known_hosts.tmp5", "known_hosts.tmp77", "my_known_hosts.tmp123"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("left\n%q\nwant\n%q", got, want)
	}
	if err := CleanStale(filepath.Join(dir, "missing", "f")); err != nil {
		t.Errorf("missing directory: %v", err)
	}
}

// A process killed during a Write (here: exiting at BeforeRename, so no
// deferred cleanup runs) leaves its temporary file behind and the old
// content in place; once the file is older than StaleAfter, CleanStale
// removes it.
func TestCleanStaleAfterKilledWrite(t *testing.T) {
	if p := os.Getenv("HASP_ATOMICFILE_KILL"); p != "" {
		BeforeRename = func() { os.Exit(3) }
		Write(p, []byte("new"), 0o600)
		t.Fatal("the write was not killed")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "ca.key")
	if err := Write(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCleanStaleAfterKilledWrite$")
	cmd.Env = append(os.Environ(), "HASP_ATOMICFILE_KILL="+p)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("content %q after a killed write, want the old", got)
	}
	left, _ := filepath.Glob(p + ".tmp*")
	if len(left) != 1 {
		t.Fatalf("temporary files after a killed write: %q, want one", left)
	}
	if b, _ := os.ReadFile(left[0]); string(b) != "new" {
		t.Fatalf("temporary file holds %q", b)
	}
	// Just killed: a live writer's file would look the same, so it stays.
	if err := CleanStale(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left[0]); err != nil {
		t.Fatalf("a fresh temporary file was removed: %v", err)
	}
	old := time.Now().Add(-StaleAfter - time.Second)
	if err := os.Chtimes(left[0], old, old); err != nil {
		t.Fatal(err)
	}
	if err := CleanStale(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left[0]); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary file still there: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("CleanStale changed the target: %q", got)
	}
}
