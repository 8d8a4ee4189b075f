package scan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hasp-tls/hasp/trust"
)

// The findings a scan draws from what it saw, and the grade. The rules
// follow the SSL Labs rating guide (three scores, then caps); each is
// written out in docs/scan-grading.md.

func (s *Scanner) findings(rep *Report, st *state) {
	add := func(f Finding) { rep.Findings = append(rep.Findings, f) }
	sup := st.supported
	if len(rep.Protocols) > 0 && rep.Protocols[0].Supported {
		add(Finding{ID: "sslv2", Severity: Critical, Title: "SSL 2.0 accepted",
			Detail: "SSL 2.0 is broken beyond repair (RFC 6176); a server that speaks it also exposes its RSA key to DROWN (CVE-2016-0800)."})
	}
	if sup[0x0300] {
		add(Finding{ID: "sslv3", Severity: High, Title: "SSL 3.0 accepted",
			Detail: "SSL 3.0's CBC padding is not authenticated: POODLE (CVE-2014-3566) reads secrets a byte at a time (RFC 7568 forbids SSL 3.0)."})
	}
	if sup[0x0301] {
		add(Finding{ID: "tls10", Severity: Medium, Title: "TLS 1.0 accepted", Detail: "Deprecated by RFC 8996: SHA-1 in the handshake, CBC with predictable IVs (BEAST)."})
	}
	if sup[0x0302] {
		add(Finding{ID: "tls11", Severity: Medium, Title: "TLS 1.1 accepted", Detail: "Deprecated by RFC 8996: SHA-1/MD5 in the handshake signatures, no AEAD suites."})
	}
	if sup[0x0304] {
		add(Finding{ID: "tls13", Severity: Good, Title: "TLS 1.3 supported"})
	} else {
		add(Finding{ID: "no-tls13", Severity: Low, Title: "No TLS 1.3", Detail: "TLS 1.3 (RFC 8446) encrypts the certificate, needs one round trip, and has only forward-secret AEAD suites."})
	}
	if !sup[0x0303] && !sup[0x0304] {
		add(Finding{ID: "no-tls12", Severity: High, Title: "Neither TLS 1.2 nor TLS 1.3", Detail: "Only deprecated protocol versions: current clients refuse to connect."})
	}

	// Suites.
	seen := map[string]bool{}
	anyFS, anyAEAD, allFS := false, false, true
	for _, vs := range rep.Suites {
		for _, su := range vs.Suites {
			anyFS = anyFS || su.ForwardSecret
			anyAEAD = anyAEAD || su.AEAD
			allFS = allFS && su.ForwardSecret
			info, _ := SuiteByID(su.ID)
			once := func(f Finding) {
				if !seen[f.ID] {
					seen[f.ID] = true
					add(f)
				}
			}
			switch {
			case info.Export:
				once(Finding{ID: "export", Severity: Critical, Title: "Export cipher suites accepted", Detail: su.Name + ": 40- and 56-bit keys from the 1990s export rules (FREAK, Logjam)."})
			case info.Cipher == "NULL":
				once(Finding{ID: "null", Severity: Critical, Title: "NULL cipher suites accepted", Detail: su.Name + " sends data unencrypted."})
			}
			if info.Anon {
				once(Finding{ID: "anon", Severity: Critical, Title: "Anonymous cipher suites accepted", Detail: su.Name + " authenticates no one: any man in the middle wins."})
			}
			if strings.Contains(info.Cipher, "RC4") {
				once(Finding{ID: "rc4", Severity: High, Title: "RC4 accepted", Detail: su.Name + ": RC4's biases recover plaintext (RFC 7465 forbids it)."})
			}
			if info.BlockBits == 64 {
				once(Finding{ID: "sweet32", Severity: Medium, Title: "64-bit block ciphers accepted (Sweet32)", Detail: su.Name + ": after 2^32 blocks (32 GB) collisions reveal plaintext (CVE-2016-2183)."})
			}
			if info.CBC && (vs.Version == "TLS 1.0" || vs.Version == "SSLv3") {
				once(Finding{ID: "beast", Severity: Low, Title: "CBC suites in TLS 1.0 or SSL 3.0 (BEAST)", Detail: su.Name + " with predictable IVs (CVE-2011-3389); clients mitigate with 1/n-1 splitting."})
			}
			if info.Kx == "RSA" {
				once(Finding{ID: "rsa-kx", Severity: Medium, Title: "RSA key exchange accepted (no forward secrecy)", Detail: su.Name + ": a stolen server key decrypts every recorded session; also the ROBOT family of oracles."})
			}
			if b := dhBitsOf(su); b > 0 && b < 2048 {
				sev := Medium
				if b < 1024 {
					sev = Critical
				}
				once(Finding{ID: "weak-dh", Severity: sev, Title: "Diffie-Hellman parameters under 2048 bits (Logjam)", Detail: su.Name + " with a " + strconv.Itoa(b) + "-bit prime (CVE-2015-4000)."})
			}
		}
	}
	if len(rep.Suites) > 0 {
		if !anyFS {
			add(Finding{ID: "no-fs", Severity: High, Title: "No forward secrecy", Detail: "No accepted suite uses ephemeral keys."})
		} else if allFS {
			add(Finding{ID: "fs", Severity: Good, Title: "Forward secrecy with every suite"})
		}
		if !anyAEAD {
			add(Finding{ID: "no-aead", Severity: High, Title: "No AEAD suite", Detail: "Only CBC or stream suites: MAC-then-encrypt padding oracles (Lucky 13)."})
		}
	}

	// Groups.
	var pq []string
	for _, g := range rep.Groups {
		if g.PQ {
			pq = append(pq, g.Name)
		}
	}
	if len(pq) > 0 {
		add(Finding{ID: "pq", Severity: Good, Title: "Post-quantum hybrid key exchange: " + strings.Join(pq, ", ")})
	} else if len(rep.Groups) > 0 {
		add(Finding{ID: "no-pq", Severity: Info, Title: "No post-quantum key exchange", Detail: "Recorded traffic can be decrypted once large quantum computers exist; X25519MLKEM768 is what browsers offer."})
	}

	// Certificates.
	for i, c := range rep.Certificates {
		id := func(s string) string { return fmt.Sprintf("cert%d-%s", i+1, s) }
		v := c.Verdict
		name := c.KeyType + " certificate (" + c.Subject + ")"
		if len(c.Seen) == 1 && c.Seen[0] == "no SNI" {
			// Only clients that send no name get it: shown, not graded.
			add(Finding{ID: id("no-sni"), Severity: Info, Title: "Without SNI the server sends another certificate: " + name,
				Detail: "Clients too old to send server_name get it; its verdict for " + rep.ServerName + ": " + v.Summary})
			continue
		}
		if !v.Trusted {
			add(Finding{ID: id("untrusted"), Severity: High, Title: name + " is not trusted", Detail: v.Summary + ": " + strings.Join(failedReasons(v), "; ")})
		}
		switch {
		case c.DaysLeft < 0:
			add(Finding{ID: id("expired"), Severity: Critical, Title: name + " has expired", Detail: "on " + c.NotAfter.Format("2006-01-02")})
		case c.DaysLeft < 7:
			add(Finding{ID: id("expires-7"), Severity: High, Title: name + " expires in " + strconv.Itoa(c.DaysLeft) + " days"})
		case c.DaysLeft < 30:
			add(Finding{ID: id("expires-30"), Severity: Medium, Title: name + " expires in " + strconv.Itoa(c.DaysLeft) + " days"})
		}
		if strings.Contains(c.Signature, "SHA1") || strings.Contains(c.Signature, "MD5") {
			add(Finding{ID: id("sha1"), Severity: High, Title: name + " is signed with " + c.Signature})
		}
		if strings.HasPrefix(c.KeyType, "RSA ") {
			if bits, _ := strconv.Atoi(strings.TrimPrefix(c.KeyType, "RSA ")); bits < 2048 {
				add(Finding{ID: id("weak-key"), Severity: High, Title: name + " has a " + c.KeyType + " key", Detail: "Under 2048 bits (NIST SP 800-131A)."})
			}
		}
		if c.ChainProblem != "" {
			sev := Low
			if strings.Contains(c.ChainProblem, "does not send") {
				sev = High
			}
			add(Finding{ID: id("chain"), Severity: sev, Title: "Chain of the " + name, Detail: c.ChainProblem})
		}
		if !c.OCSPStapled && len(c.Seen) > 0 && !strings.HasSuffix(c.Seen[0], "probe") {
			add(Finding{ID: id("no-staple"), Severity: Info, Title: name + ": no OCSP staple"})
		}
	}

	// HTTP.
	if rep.HTTP != nil {
		if age := hstsMaxAge(rep.HTTP.HSTS); age >= 15768000 {
			add(Finding{ID: "hsts", Severity: Good, Title: "HSTS: " + rep.HTTP.HSTS})
		} else if rep.HTTP.HSTS != "" {
			add(Finding{ID: "hsts-short", Severity: Low, Title: "HSTS max-age under six months: " + rep.HTTP.HSTS})
		} else if !strings.HasPrefix(rep.HTTP.Status, "no HTTP") {
			add(Finding{ID: "no-hsts", Severity: Low, Title: "No HSTS header", Detail: "Without Strict-Transport-Security a first visit by http:// can be stripped of TLS."})
		}
	}
	// Sessions.
	if rep.Sessions.TLS13PSK == "yes" || rep.Sessions.TLS12Ticket == "yes" {
		add(Finding{ID: "resumption", Severity: Good, Title: "Sessions resume"})
	}
}

func failedReasons(v *trust.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if c.Outcome == trust.Fail {
			out = append(out, c.Name+": "+c.Reason)
		}
	}
	return out
}

func dhBitsOf(su SuiteResult) int {
	f := strings.Fields(su.Kx)
	if len(f) == 2 && (f[0] == "DHE" || f[0] == "DH" || f[0] == "DHE_PSK") {
		n, _ := strconv.Atoi(f[1])
		return n
	}
	return 0
}

func hstsMaxAge(h string) int {
	for _, part := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "max-age") {
			n, _ := strconv.Atoi(strings.Trim(v, `"`))
			return n
		}
	}
	return -1
}

var protocolScores = map[string]int{"SSLv2": 0, "SSLv3": 80, "TLS 1.0": 90, "TLS 1.1": 95, "TLS 1.2": 100, "TLS 1.3": 100}

func strengthScore(bits int) int {
	switch {
	case bits <= 0:
		return 0
	case bits < 512:
		return 20
	case bits < 1024:
		return 40
	case bits < 2048:
		return 80
	case bits < 4096:
		return 90
	}
	return 100
}

func cipherScore(bits int) int {
	switch {
	case bits <= 0:
		return 0
	case bits < 128:
		return 20
	case bits < 256:
		return 80
	}
	return 100
}

var letterRank = map[string]int{"A+": 0, "A": 1, "A-": 2, "B": 3, "C": 4, "D": 5, "E": 6, "F": 7}

func letterFor(score int) string {
	switch {
	case score >= 80:
		return "A"
	case score >= 65:
		return "B"
	case score >= 50:
		return "C"
	case score >= 35:
		return "D"
	case score >= 20:
		return "E"
	}
	return "F"
}

// worse reports whether grade a is worse than b.
func worse(a, b string) bool { return letterRank[a] > letterRank[b] }

// capFor: the finding IDs that cap the grade, and at what.
var capRules = []struct {
	finding, max, reason string
}{
	{"sslv2", "F", "SSL 2.0 is accepted"},
	{"export", "F", "export suites are accepted"},
	{"null", "F", "NULL suites are accepted"},
	{"anon", "F", "anonymous suites are accepted"},
	{"no-tls12", "C", "neither TLS 1.2 nor 1.3"},
	{"sslv3", "C", "SSL 3.0 is accepted (POODLE)"},
	{"rc4", "C", "RC4 is accepted"},
	{"compression", "C", "TLS compression (CRIME)"},
	{"insecure-renegotiation", "C", "no secure renegotiation"},
	{"sweet32", "C", "64-bit block ciphers (Sweet32)"},
	{"tls10", "B", "TLS 1.0 is accepted"},
	{"tls11", "B", "TLS 1.1 is accepted"},
	{"no-fs", "B", "no forward secrecy"},
	{"no-aead", "B", "no AEAD suite"},
	{"rsa-kx", "B", "RSA key exchange is accepted"},
	{"no-ems", "A-", "no extended master secret"},
	{"no-fallback-scsv", "A-", "TLS_FALLBACK_SCSV ignored"},
	{"no-tls13", "A-", "no TLS 1.3"},
}

func grade(rep *Report) {
	g := &rep.Grade
	best, worst := -1, 101
	for _, p := range rep.Protocols {
		if !p.Supported {
			continue
		}
		sc := protocolScores[p.Name]
		best = max(best, sc)
		worst = min(worst, sc)
	}
	g.Protocol = (best + worst) / 2
	// Key exchange: the weakest of the certificate keys and the
	// ephemeral parameters, in RSA-equivalent bits.
	kx := 1 << 30
	anon := false
	for _, c := range rep.Certificates {
		if b := keyBitsOf(c.KeyType); b > 0 {
			kx = min(kx, b)
		}
	}
	for _, vs := range rep.Suites {
		for _, su := range vs.Suites {
			if b := dhBitsOf(su); b > 0 {
				kx = min(kx, b)
			}
			if info, _ := SuiteByID(su.ID); info.Anon {
				anon = true
			}
			if info, _ := SuiteByID(su.ID); info.Export {
				kx = min(kx, 512)
			}
		}
	}
	if kx == 1<<30 {
		kx = 0
	}
	g.KeyExchange = strengthScore(kx)
	if anon {
		g.KeyExchange = 0
	}
	strong, weak := 0, 1<<30
	for _, vs := range rep.Suites {
		for _, su := range vs.Suites {
			strong = max(strong, su.Bits)
			weak = min(weak, su.Bits)
		}
	}
	if weak == 1<<30 {
		weak = 0
	}
	g.Cipher = (cipherScore(strong) + cipherScore(weak)) / 2
	g.Score = (30*g.Protocol + 30*g.KeyExchange + 40*g.Cipher) / 100
	letter := letterFor(g.Score)
	g.Why = append(g.Why, fmt.Sprintf("score %d = 0.3 x protocol %d + 0.3 x key exchange %d (weakest key or DH group: %d bits, RSA-equivalent) + 0.4 x cipher %d (strongest %d bits, weakest %d): %s",
		g.Score, g.Protocol, g.KeyExchange, kx, g.Cipher, strong, weak, letter))
	has := map[string]bool{}
	for _, f := range rep.Findings {
		has[f.ID] = true
	}
	for _, r := range capRules {
		if has[r.finding] {
			g.Caps = append(g.Caps, Cap{Max: r.max, Finding: r.finding, Reason: r.reason})
			if worse(r.max, letter) {
				g.Why = append(g.Why, "capped at "+r.max+": "+r.reason)
				letter = r.max
			} else {
				g.Why = append(g.Why, "also at most "+r.max+": "+r.reason)
			}
		}
	}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.ID, "cert") && strings.HasSuffix(f.ID, "-weak-key") && worse("B", letter) {
			g.Caps = append(g.Caps, Cap{Max: "B", Finding: f.ID, Reason: "a certificate key under 2048 bits"})
			g.Why = append(g.Why, "capped at B: "+f.Title)
			letter = "B"
		}
	}
	if kx > 0 && kx < 1024 && worse("F", letter) {
		g.Why = append(g.Why, "F: key exchange under 1024 bits")
		letter = "F"
	}
	// A+: an A with HSTS of six months or more and nothing that caps.
	if letter == "A" && has["hsts"] && !has["no-ems"] && !has["no-fallback-scsv"] {
		letter = "A+"
		g.Why = append(g.Why, "A+: HSTS with a long max-age and no warnings")
	}
	// T: the grade without trust, shown as T (SSL Labs: trust issues).
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.ID, "cert") && (strings.HasSuffix(f.ID, "-untrusted") || strings.HasSuffix(f.ID, "-expired")) {
			g.Caps = append(g.Caps, Cap{Max: "T", Finding: f.ID, Reason: f.Title})
			g.Why = append(g.Why, "T: "+f.Title+" (graded "+letter+" if it were trusted)")
			letter = "T"
			break
		}
	}
	g.Letter = letter
}

func keyBitsOf(kt string) int {
	switch {
	case strings.HasPrefix(kt, "RSA "):
		n, _ := strconv.Atoi(strings.TrimPrefix(kt, "RSA "))
		return n
	case kt == "ECDSA P-256", kt == "Ed25519":
		return 3072
	case kt == "ECDSA P-384":
		return 7680
	case kt == "ECDSA P-521":
		return 15360
	}
	return 0
}

// Rank orders letters for --fail-under: it reports whether got is at
// least want (T and "-" are below every letter).
func Rank(got, want string) bool {
	gr, ok := letterRank[got]
	if !ok {
		return false
	}
	wr, ok := letterRank[want]
	if !ok {
		return false
	}
	return gr <= wr
}
