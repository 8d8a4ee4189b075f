package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp/internal/testutil"
)

// A test that skips for a missing peer is named afterwards, with the
// Debian package that brings the peer.
func TestReportsSkips(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("HASP_CI", "")
	t.Run("needs", func(t *testing.T) {
		testutil.NeedPeer(t, "hasp-no-such-peer")
		t.Error("NeedPeer did not skip")
	})
	var out strings.Builder
	report(&out, func(p string) bool { return p != "gnutls-serv" })
	got := out.String()
	for _, want := range []string{
		fmt.Sprintf("1 of %d peer programs are missing", len(testutil.Peers)),
		"gnutls-serv   (Debian: gnutls-bin)",
		"hasp-no-such-peer: peercheck TestReportsSkips/needs",
		"apt-get install --no-install-recommends gnutls-bin",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	report(&out, func(string) bool { return true })
	if !strings.Contains(out.String(), "no test skipped") {
		t.Errorf("the log was not cleared:\n%s", out.String())
	}
}
