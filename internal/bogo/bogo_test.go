// Package bogo runs BoringSSL's BoGo conformance suite (ssl/test/runner)
// against hasp through the shim in ./shim, when HASP_BOGO_DIR names a
// checkout of github.com/google/boringssl at commit f51d8b099832 (the
// one Go 1.26 pins). The checkout lives outside this repository and is
// never committed; without it the test skips, in CI too.
//
//	HASP_BOGO_DIR=/path/to/boringssl go test ./internal/bogo -run BoGo -v -timeout 30m
package bogo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// status is one of the runner's progress entries: failed, unimplemented, done,
// started, total.
var status = regexp.MustCompile(`(\d+)/(\d+)/(\d+)/(\d+)/(\d+)`)

func TestBoGo(t *testing.T) {
	dir := os.Getenv("HASP_BOGO_DIR")
	if dir == "" {
		t.Skip("HASP_BOGO_DIR is not set: no BoringSSL checkout to run BoGo from")
	}
	runner := filepath.Join(dir, "ssl", "test", "runner")
	if _, err := os.Stat(filepath.Join(runner, "runner.go")); err != nil {
		t.Fatalf("HASP_BOGO_DIR=%s has no ssl/test/runner: %v", dir, err)
	}
	shim := filepath.Join(t.TempDir(), "shim")
	if out, err := exec.Command("go", "build", "-o", shim, "./shim").CombinedOutput(); err != nil {
		t.Fatalf("building the shim: %v\n%s", err, out)
	}
	config, err := filepath.Abs("config.json")
	if err != nil {
		t.Fatal(err)
	}
	// -v: go test shows the runner's status lines only on failure
	// otherwise, and the last one is the result.
	cmd := exec.Command("go", "test", "-v", "-timeout", "30m", ".", "-shim-path", shim, "-shim-config", config,
		"-allow-unimplemented", "-num-workers", "2")
	cmd.Dir = runner
	out, _ := cmd.CombinedOutput()
	os.WriteFile(filepath.Join(os.TempDir(), "hasp-bogo.log"), out, 0o644)
	// The last status line; go test's own FAIL lines may follow it.
	all := status.FindAllSubmatch(out, -1)
	if len(all) == 0 {
		t.Fatalf("no result from the runner:\n%.4000s", out)
	}
	m := all[len(all)-1]
	n := func(i int) int { v, _ := strconv.Atoi(string(m[i])); return v }
	failed, unimpl, done, total := n(1), n(2), n(3), n(5)
	t.Logf("BoGo: %d pass, %d fail, %d unimplemented, %d disabled (of %d); log in %s",
		done-failed-unimpl, failed, unimpl, total-done, total, filepath.Join(os.TempDir(), "hasp-bogo.log"))
	if failed > 0 {
		t.Errorf("%d BoGo tests fail", failed)
	}
}
