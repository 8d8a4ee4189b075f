// Command peercheck says which of the programs hasp's tests run against are
// missing on this machine, and which tests skipped for them in the last
// `go test` run. `go test` prints nothing of a passing package, so a skip
// would otherwise go unseen; the README's test command runs this after it.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hasp-tls/hasp/internal/testutil"
)

func found(program string) bool {
	if _, err := exec.LookPath(program); err == nil {
		return true
	}
	// Servers live in sbin, often not in a user's PATH; the tests look there too.
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if st, err := os.Stat(filepath.Join(dir, program)); err == nil && !st.IsDir() {
			return true
		}
	}
	if program == "initdb" {
		m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		return len(m) > 0
	}
	return false
}

func main() { report(os.Stdout, found) }

func report(w io.Writer, found func(string) bool) {
	var missing []testutil.Peer
	debs := map[string]bool{}
	for _, p := range testutil.Peers {
		if !found(p.Program) {
			missing = append(missing, p)
			for _, d := range strings.Fields(p.Debian) {
				debs[d] = true
			}
		}
	}
	skipped := map[string][]string{} // peer -> "package Test"
	if f, err := os.Open(testutil.SkipLog()); err == nil {
		sc := bufio.NewScanner(f)
		seen := map[string]bool{}
		for sc.Scan() {
			parts := strings.SplitN(sc.Text(), "\t", 3)
			if len(parts) != 3 || seen[sc.Text()] {
				continue
			}
			seen[sc.Text()] = true
			skipped[parts[0]] = append(skipped[parts[0]], parts[1]+" "+parts[2])
		}
		f.Close()
		os.Remove(testutil.SkipLog())
	}
	if len(missing) == 0 && len(skipped) == 0 {
		fmt.Fprintf(w, "peercheck: all %d peer programs found; no test skipped for a missing peer.\n", len(testutil.Peers))
		return
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "peercheck: %d of %d peer programs are missing here, so the tests that need them skipped:\n", len(missing), len(testutil.Peers))
		for _, p := range missing {
			fmt.Fprintf(w, "  %-13s (Debian: %s) %s\n", p.Program, p.Debian, p.Tests)
		}
	}
	if len(skipped) > 0 {
		var names []string
		n := 0
		for k, v := range skipped {
			names = append(names, k)
			n += len(v)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "Tests skipped in the last run (%d; cached packages did not run again):\n", n)
		for _, k := range names {
			v := skipped[k]
			sort.Strings(v)
			fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(v, ", "))
		}
	}
	if len(debs) > 0 {
		var d []string
		for k := range debs {
			d = append(d, k)
		}
		sort.Strings(d)
		fmt.Fprintf(w, "Install them with: sudo apt-get install --no-install-recommends %s\n(or run bash .ci/run as root, which installs them and fails, not skips, when one is missing)\n", strings.Join(d, " "))
	}
}
