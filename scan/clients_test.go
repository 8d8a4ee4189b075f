package scan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// clientIsGREASE reports whether v has the 0x?a?a shape of the GREASE
// values (RFC 8701), which the profiles must leave out.
func clientIsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a }

func clientIsTLS13Suite(s uint16) bool { return s >= 0x1301 && s <= 0x1305 }

func clientDups[T comparable](list []T) []T {
	seen := make(map[T]bool, len(list))
	var dups []T
	for _, v := range list {
		if seen[v] {
			dups = append(dups, v)
		}
		seen[v] = true
	}
	return dups
}

func TestClientProfilesComplete(t *testing.T) {
	if len(Clients) < 10 {
		t.Errorf("%d client profiles, want at least 10", len(Clients))
	}
	names := map[string]bool{}
	for i, c := range Clients {
		if c.Name == "" {
			t.Errorf("Clients[%d]: no Name", i)
		}
		if names[c.Name] {
			t.Errorf("Clients[%d]: Name %q used twice", i, c.Name)
		}
		names[c.Name] = true
		if c.Source == "" {
			t.Errorf("%s: no Source", c.Name)
		}
		if len(c.Suites) == 0 {
			t.Errorf("%s: no Suites", c.Name)
		}
		if c.MaxVersion < 0x0301 || c.MaxVersion > 0x0304 {
			t.Errorf("%s: MaxVersion %#04x, want 0x0301..0x0304", c.Name, c.MaxVersion)
		}
		if len(c.Groups) == 0 {
			t.Errorf("%s: no Groups", c.Name)
		}
		if c.MaxVersion >= 0x0303 && len(c.SigSchemes) == 0 {
			t.Errorf("%s: TLS 1.2 client without signature_algorithms", c.Name)
		}
		// Every client here signals RFC 5746, by extension or by SCSV.
		if !c.SecureReneg && !slices.Contains(c.Suites, 0x00ff) {
			t.Errorf("%s: neither renegotiation_info nor the SCSV 0x00ff", c.Name)
		}
	}
}

func TestClientProfilesVersions(t *testing.T) {
	for _, c := range Clients {
		if len(c.Versions) > 0 {
			if c.Versions[0] != c.MaxVersion {
				t.Errorf("%s: Versions start with %#04x, MaxVersion is %#04x", c.Name, c.Versions[0], c.MaxVersion)
			}
			for _, v := range c.Versions {
				if v < 0x0301 || v > c.MaxVersion {
					t.Errorf("%s: Versions has %#04x", c.Name, v)
				}
			}
		}
		if c.MaxVersion == 0x0304 {
			if !slices.Contains(c.Versions, 0x0304) {
				t.Errorf("%s: TLS 1.3 client without 0x0304 in Versions %#04x", c.Name, c.Versions)
			}
			n := 0
			for _, s := range c.Suites {
				if clientIsTLS13Suite(s) {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: TLS 1.3 client without a TLS 1.3 suite", c.Name)
			}
			if len(c.KeyShares) == 0 {
				t.Errorf("%s: TLS 1.3 client without key shares", c.Name)
			}
			for _, g := range c.KeyShares {
				if !slices.Contains(c.Groups, g) {
					t.Errorf("%s: key share for %#04x, not in Groups %#04x", c.Name, g, c.Groups)
				}
			}
			continue
		}
		for _, s := range c.Suites {
			if clientIsTLS13Suite(s) {
				t.Errorf("%s: TLS %#04x-max client offers TLS 1.3 suite %#04x", c.Name, c.MaxVersion, s)
			}
		}
		if slices.Contains(c.Versions, 0x0304) {
			t.Errorf("%s: MaxVersion %#04x but Versions has 0x0304", c.Name, c.MaxVersion)
		}
		if len(c.KeyShares) != 0 {
			t.Errorf("%s: key shares without TLS 1.3", c.Name)
		}
	}
}

func TestClientProfilesNoDuplicates(t *testing.T) {
	for _, c := range Clients {
		lists := map[string][]uint16{
			"Versions":   c.Versions,
			"Suites":     c.Suites,
			"Groups":     c.Groups,
			"KeyShares":  c.KeyShares,
			"SigSchemes": c.SigSchemes,
		}
		for name, list := range lists {
			if d := clientDups(list); len(d) > 0 {
				t.Errorf("%s: %s repeats %#04x", c.Name, name, d)
			}
		}
		if d := clientDups(c.ALPN); len(d) > 0 {
			t.Errorf("%s: ALPN repeats %q", c.Name, d)
		}
		if d := clientDups(c.PointFormats); len(d) > 0 {
			t.Errorf("%s: PointFormats repeats %v", c.Name, d)
		}
	}
}

func TestClientProfilesNoGREASE(t *testing.T) {
	for _, c := range Clients {
		for name, list := range map[string][]uint16{
			"Versions":   c.Versions,
			"Suites":     c.Suites,
			"Groups":     c.Groups,
			"KeyShares":  c.KeyShares,
			"SigSchemes": c.SigSchemes,
		} {
			for _, v := range list {
				if clientIsGREASE(v) {
					t.Errorf("%s: %s has GREASE value %#04x", c.Name, name, v)
				}
			}
		}
	}
}

func TestClientGREASEPattern(t *testing.T) {
	for _, v := range []uint16{0x0a0a, 0x1a1a, 0x3a3a, 0xeaea, 0xfafa} {
		if !clientIsGREASE(v) {
			t.Errorf("%#04x not seen as GREASE", v)
		}
	}
	for _, v := range []uint16{0x000a, 0xc00a, 0x001d, 0x11ec, 0x0a0b, 0x1301} {
		if clientIsGREASE(v) {
			t.Errorf("%#04x seen as GREASE", v)
		}
	}
}

// The profiles the scanner is expected to carry, by what makes each one
// worth simulating.
func TestClientProfilesCoverage(t *testing.T) {
	has := func(desc string, ok func(ClientProfile) bool) {
		t.Helper()
		for _, c := range Clients {
			if ok(c) {
				return
			}
		}
		t.Errorf("no profile: %s", desc)
	}
	has("a client sending an X25519MLKEM768 key share", func(c ClientProfile) bool {
		return slices.Contains(c.KeyShares, 0x11ec) && slices.Contains(c.KeyShares, 0x001d)
	})
	has("a TLS 1.2-max client without x25519", func(c ClientProfile) bool {
		return c.MaxVersion == 0x0303 && !slices.Contains(c.Groups, 0x001d)
	})
	has("a client with secp256r1 as its only group", func(c ClientProfile) bool {
		return len(c.Groups) == 1 && c.Groups[0] == 0x0017
	})
	has("a client offering ffdhe groups", func(c ClientProfile) bool {
		return slices.Contains(c.Groups, 0x0100)
	})
	has("a TLS 1.3 client without ALPN", func(c ClientProfile) bool {
		return c.MaxVersion == 0x0304 && len(c.ALPN) == 0
	})
	for _, name := range []string{"Chrome", "Firefox", "Safari", "curl", "Java 17", "Java 21", "Android 14", "Android 7", "IE 11", "OpenSSL 1.0.2"} {
		has(fmt.Sprintf("named %q", name), func(c ClientProfile) bool {
			return strings.Contains(c.Name, name)
		})
	}
}
