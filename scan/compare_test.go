package scan

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/testutil"
)

// Side by side with testssl.sh and sslscan from Debian: on three servers
// hasp scan must find every version, suite and group they find. Where
// hasp finds more, the test says what (the peers' OpenSSL lacks the
// ML-KEM hybrids, for one). Times are logged, not asserted: the figures
// in the README come from bench/scan_compare.sh.

// found is what one scanner reported.
type found struct {
	versions map[string]bool            // "TLS 1.2"
	suites   map[string]map[uint16]bool // version -> suite IDs
	groups   map[string]bool            // IANA names
	took     time.Duration
}

func newFound() *found {
	return &found{versions: map[string]bool{}, suites: map[string]map[uint16]bool{}, groups: map[string]bool{}}
}

func (f *found) addSuite(v string, id uint16) {
	if f.suites[v] == nil {
		f.suites[v] = map[uint16]bool{}
	}
	f.suites[v][id] = true
}

// Names the peers use for groups, to IANA's.
var peerGroupNames = map[string]string{
	"prime256v1": "secp256r1", "X25519": "x25519", "X448": "x448", "secp256r1": "secp256r1",
	"secp384r1": "secp384r1", "secp521r1": "secp521r1", "x25519": "x25519", "x448": "x448",
}

func normGroup(n string) string {
	n = strings.Fields(n)[0]
	if m, ok := peerGroupNames[n]; ok {
		return m
	}
	return n
}

func fromHasp(r *Report) *found {
	f := newFound()
	for _, p := range r.Protocols {
		if p.Supported {
			f.versions[p.Name] = true
		}
	}
	for _, vs := range r.Suites {
		for _, s := range vs.Suites {
			f.addSuite(vs.Version, s.ID)
		}
	}
	for _, g := range r.Groups {
		f.groups[g.Name] = true
	}
	return f
}

func runSSLScan(t *testing.T, addr string) *found {
	sslscan := testutil.NeedPeer(t, "sslscan")
	out := filepath.Join(t.TempDir(), "sslscan.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, sslscan, "--no-colour", "--ipv4", "--timeout=3", "--xml="+out,
		"--no-check-certificate", "--no-heartbleed", "--no-compression", "--no-fallback", "--no-renegotiation", addr)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sslscan: %v\n%s", err, b)
	}
	f := newFound()
	f.took = time.Since(start)
	var doc struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"ssltest>protocol"`
		Ciphers []struct {
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"ssltest>cipher"`
		Groups []struct {
			Name string `xml:"name,attr"`
		} `xml:"ssltest>group"`
	}
	b, _ := os.ReadFile(out)
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("sslscan XML: %v\n%s", err, b)
	}
	vname := func(s string) string {
		switch s {
		case "ssl 2", "SSLv2":
			return "SSLv2"
		case "ssl 3", "SSLv3":
			return "SSLv3"
		}
		return "TLS " + strings.TrimPrefix(strings.TrimPrefix(s, "tls "), "TLSv")
	}
	for _, p := range doc.Protocols {
		if p.Enabled == "1" {
			f.versions[vname(p.Type+" "+p.Version)] = true
		}
	}
	for _, c := range doc.Ciphers {
		id, _ := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(c.ID), "0x"), 16, 16)
		f.addSuite(vname(c.Version), uint16(id))
	}
	for _, g := range doc.Groups {
		f.groups[normGroup(g.Name)] = true
	}
	return f
}

func runTestSSL(t *testing.T, addr string) *found {
	testssl := testutil.NeedPeer(t, "testssl")
	dir := t.TempDir()
	out := filepath.Join(dir, "testssl.json")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	// Loopback only: --ip and --nodns none keep it off DNS; NXCONNECT
	// stops its start-up checks from resolving "invalid.".
	cmd := exec.CommandContext(ctx, testssl, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none", "--ip", "127.0.0.1",
		"--connect-timeout", "5", "--openssl-timeout", "5", "--jsonfile", out, "-p", "-E", "-f", addr)
	cmd.Env = append(os.Environ(), "NXCONNECT=127.0.0.1:0")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil && !strings.Contains(err.Error(), "exit status") {
		t.Fatalf("testssl: %v\n%s", err, b)
	}
	f := newFound()
	f.took = time.Since(start)
	var doc []struct{ ID, Finding string }
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("testssl JSON: %v\n%.2000s", err, b)
	}
	versions := map[string]string{"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLS 1.0", "TLS1_1": "TLS 1.1", "TLS1_2": "TLS 1.2", "TLS1_3": "TLS 1.3"}
	for _, e := range doc {
		if v, ok := versions[e.ID]; ok && strings.HasPrefix(e.Finding, "offered") {
			f.versions[v] = true
		}
		if rest, ok := strings.CutPrefix(e.ID, "cipher-"); ok {
			proto, hexid, _ := strings.Cut(rest, "_x")
			id, err := strconv.ParseUint(hexid, 16, 16)
			if err != nil {
				continue
			}
			v := map[string]string{"ssl2": "SSLv2", "ssl3": "SSLv3", "tls1": "TLS 1.0", "tls1_1": "TLS 1.1", "tls1_2": "TLS 1.2", "tls1_3": "TLS 1.3"}[proto]
			f.addSuite(v, uint16(id))
		}
		if e.ID == "PFS_ECDHE_curves" || e.ID == "FS_ECDHE_curves" || e.ID == "DH_groups" {
			for _, g := range strings.Fields(e.Finding) {
				// DH_groups also names primes of its own ("Unknown DH
				// group (1024 bits)"): hasp reports those by size, with
				// the suites.
				if e.ID == "DH_groups" && !strings.HasPrefix(g, "ffdhe") {
					continue
				}
				f.groups[normGroup(g)] = true
			}
		}
	}
	return f
}

// missing lists what other found and hasp did not.
func missing(hasp, other *found) []string {
	var out []string
	for v := range other.versions {
		if !hasp.versions[v] {
			out = append(out, "version "+v)
		}
	}
	for v, ids := range other.suites {
		for id := range ids {
			if !hasp.suites[v][id] {
				out = append(out, fmt.Sprintf("%s suite 0x%04x", v, id))
			}
		}
	}
	for g := range other.groups {
		if !hasp.groups[g] {
			out = append(out, "group "+g)
		}
	}
	slices.Sort(out)
	return out
}

func TestCompareWithTestSSLAndSSLScan(t *testing.T) {
	testutil.NeedPeer(t, "sslscan")
	testutil.NeedPeer(t, "testssl")
	leaf := testCA.Issue(testcerts.RSA2048, "localhost")
	servers := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"openssl s_server, weak", func(t *testing.T) string { return weakOpenSSL(t, "leaf", "ALL:!aNULL:@SECLEVEL=0") }},
		{"openssl s_server, defaults", func(t *testing.T) string { return defaultOpenSSL(t) }},
		{"crypto/tls", func(t *testing.T) string {
			return goServer(t, &tls.Config{Certificates: []tls.Certificate{certOf(leaf)}, NextProtos: []string{"http/1.1"}},
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			addr := srv.addr(t)
			start := time.Now()
			r := Scan(context.Background(), addr, fastOpts())
			h := fromHasp(r)
			h.took = time.Since(start)
			s := runSSLScan(t, addr)
			ts := runTestSSL(t, addr)
			if m := missing(h, s); len(m) > 0 {
				t.Errorf("sslscan found what hasp scan did not: %v", m)
			}
			if m := missing(h, ts); len(m) > 0 {
				t.Errorf("testssl.sh found what hasp scan did not: %v", m)
			}
			// What hasp finds beyond them, said out loud.
			t.Logf("hasp scan %v (%d connections), sslscan %v, testssl.sh %v", h.took.Round(time.Millisecond), r.Connections, s.took.Round(time.Millisecond), ts.took.Round(time.Millisecond))
			if extra := missing(s, h); len(extra) > 0 {
				t.Logf("hasp scan found and sslscan did not: %v", extra)
			}
			if extra := missing(ts, h); len(extra) > 0 {
				t.Logf("hasp scan found and testssl.sh did not: %v", extra)
			}
			if len(h.versions) == 0 {
				t.Fatal("hasp scan found nothing")
			}
		})
	}
}
