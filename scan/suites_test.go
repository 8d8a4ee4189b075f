package scan

import (
	"strings"
	"testing"
)

// The registry has 350 assigned suites (IANA tls-parameters-4.csv as of
// December 2022, without the two SCSVs), 15 of them TLS 1.3 suites.
const (
	wantSuites      = 350
	wantTLS13Suites = 15
)

// spot is one expected suite; flags lists the true booleans by name (cbc,
// aead, export, anon, tls13, fs).
type spot struct {
	id         uint16
	name       string
	kx, auth   string
	cipher     string
	bits       int
	blockBits  int
	mac        string
	minVersion uint16
	flags      string
}

func (w spot) suite() Suite {
	f := func(name string) bool {
		for _, x := range strings.Fields(w.flags) {
			if x == name {
				return true
			}
		}
		return false
	}
	return Suite{
		ID: w.id, Name: w.name, Kx: w.kx, Auth: w.auth, Cipher: w.cipher,
		Bits: w.bits, BlockBits: w.blockBits,
		CBC: f("cbc"), AEAD: f("aead"), Export: f("export"), Anon: f("anon"),
		MAC: w.mac, TLS13: f("tls13"), MinVersion: w.minVersion,
		ForwardSecret: f("fs"),
	}
}

var spots = []spot{
	{0x0000, "TLS_NULL_WITH_NULL_NULL", "NULL", "NULL", "NULL", 0, 0, "NULL", 0x0300, ""},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "RSA", "RSA", "RC4_40", 40, 0, "MD5", 0x0300, "export"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RSA", "RSA", "RC4_128", 128, 0, "MD5", 0x0300, ""},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "RSA", "RSA", "RC2_CBC_40", 40, 64, "MD5", 0x0300, "cbc export"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "RSA", "RSA", "IDEA_CBC", 128, 64, "SHA", 0x0300, "cbc"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "RSA", "RSA", "DES_CBC", 56, 64, "SHA", 0x0300, "cbc"},
	{0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", "RSA", "3DES_EDE_CBC", 112, 64, "SHA", 0x0300, "cbc"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "DHE", "DSS", "DES40_CBC", 40, 64, "SHA", 0x0300, "cbc export fs"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "DH", "anon", "RC4_128", 128, 0, "MD5", 0x0300, "anon"},
	{0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "DH", "anon", "3DES_EDE_CBC", 112, 64, "SHA", 0x0300, "cbc anon"},
	{0x001e, "TLS_KRB5_WITH_DES_CBC_SHA", "KRB5", "KRB5", "DES_CBC", 56, 64, "SHA", 0x0300, "cbc"},
	{0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5", "KRB5", "KRB5", "IDEA_CBC", 128, 64, "MD5", 0x0300, "cbc"},
	{0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", "KRB5", "KRB5", "DES_CBC_40", 40, 64, "SHA", 0x0300, "cbc export"},
	{0x002b, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5", "KRB5", "KRB5", "RC4_40", 40, 0, "MD5", 0x0300, "export"},
	{0x002c, "TLS_PSK_WITH_NULL_SHA", "PSK", "PSK", "NULL", 0, 0, "SHA", 0x0300, ""},
	{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "RSA", "AES_128_CBC", 128, 128, "SHA", 0x0300, "cbc"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE", "RSA", "AES_128_CBC", 128, 128, "SHA", 0x0300, "cbc fs"},
	{0x003b, "TLS_RSA_WITH_NULL_SHA256", "RSA", "RSA", "NULL", 0, 0, "SHA256", 0x0303, ""},
	{0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", "RSA", "RSA", "AES_256_CBC", 256, 128, "SHA256", 0x0303, "cbc"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "RSA", "RSA", "CAMELLIA_128_CBC", 128, 128, "SHA", 0x0300, "cbc"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE", "RSA", "CAMELLIA_256_CBC", 256, 128, "SHA", 0x0300, "cbc fs"},
	{0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", "PSK", "PSK", "3DES_EDE_CBC", 112, 64, "SHA", 0x0300, "cbc"},
	{0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", "RSA_PSK", "RSA", "RC4_128", 128, 0, "SHA", 0x0300, ""},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "RSA", "RSA", "SEED_CBC", 128, 128, "SHA", 0x0300, "cbc"},
	{0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA", "DH", "anon", "SEED_CBC", 128, 128, "SHA", 0x0300, "cbc anon"},
	{0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "RSA", "AES_128_GCM", 128, 128, "", 0x0303, "aead"},
	{0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE", "RSA", "AES_256_GCM", 256, 128, "", 0x0303, "aead fs"},
	{0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", "DHE_PSK", "PSK", "AES_256_GCM", 256, 128, "", 0x0303, "aead fs"},
	{0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384", "RSA_PSK", "RSA", "NULL", 0, 0, "SHA384", 0x0303, ""},
	{0x00c6, "TLS_SM4_GCM_SM3", "", "", "SM4_GCM", 128, 128, "", 0x0304, "aead tls13 fs"},
	{0x1301, "TLS_AES_128_GCM_SHA256", "", "", "AES_128_GCM", 128, 128, "", 0x0304, "aead tls13 fs"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256", "", "", "CHACHA20_POLY1305", 256, 0, "", 0x0304, "aead tls13 fs"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256", "", "", "AES_128_CCM_8", 128, 128, "", 0x0304, "aead tls13 fs"},
	{0x1306, "TLS_AEGIS_256_SHA384", "", "", "AEGIS_256", 256, 0, "", 0x0304, "aead tls13 fs"},
	{0x1307, "TLS_AEGIS_128L_SHA256", "", "", "AEGIS_128L", 128, 0, "", 0x0304, "aead tls13 fs"},
	{0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE", "ECDSA", "NULL", 0, 0, "SHA", 0x0300, "fs"},
	{0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", "ECDH", "RSA", "3DES_EDE_CBC", 112, 64, "SHA", 0x0300, "cbc"},
	{0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA", "ECDH", "anon", "RC4_128", 128, 0, "SHA", 0x0300, "anon"},
	{0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", "SRP", "SRP", "3DES_EDE_CBC", 112, 64, "SHA", 0x0300, "cbc"},
	{0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", "SRP", "RSA", "3DES_EDE_CBC", 112, 64, "SHA", 0x0300, "cbc"},
	{0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", "SRP", "DSS", "AES_256_CBC", 256, 128, "SHA", 0x0300, "cbc"},
	{0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE", "ECDSA", "AES_256_CBC", 256, 128, "SHA384", 0x0303, "cbc fs"},
	{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE", "RSA", "AES_128_GCM", 128, 128, "", 0x0303, "aead fs"},
	{0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", "ECDH", "RSA", "AES_256_GCM", 256, 128, "", 0x0303, "aead"},
	{0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384", "ECDHE_PSK", "PSK", "NULL", 0, 0, "SHA384", 0x0303, "fs"},
	{0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", "RSA", "RSA", "ARIA_256_CBC", 256, 128, "SHA384", 0x0303, "cbc"},
	{0xc05a, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256", "DH", "anon", "ARIA_128_GCM", 128, 128, "", 0x0303, "aead anon"},
	{0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "ECDHE", "RSA", "ARIA_256_GCM", 256, 128, "", 0x0303, "aead fs"},
	{0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", "ECDHE", "RSA", "CAMELLIA_256_GCM", 256, 128, "", 0x0303, "aead fs"},
	{0xc09c, "TLS_RSA_WITH_AES_128_CCM", "RSA", "RSA", "AES_128_CCM", 128, 128, "", 0x0303, "aead"},
	{0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8", "DHE_PSK", "PSK", "AES_128_CCM_8", 128, 128, "", 0x0303, "aead fs"},
	{0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE", "ECDSA", "AES_128_CCM_8", 128, 128, "", 0x0303, "aead fs"},
	{0xc0b2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256", "ECCPWD", "ECCPWD", "AES_128_CCM", 128, 128, "", 0x0303, "aead"},
	{0xc0b4, "TLS_SHA256_SHA256", "", "", "NULL", 0, 0, "SHA256", 0x0304, "tls13 fs"},
	{0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", "GOST", "GOST", "KUZNYECHIK_CTR", 256, 128, "OMAC", 0x0303, ""},
	{0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT", "GOST", "GOST", "28147_CNT", 256, 64, "IMIT", 0x0303, ""},
	{0xc104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L", "", "", "MAGMA_MGM", 256, 64, "", 0x0304, "aead tls13 fs"},
	{0xc105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S", "", "", "KUZNYECHIK_MGM", 256, 128, "", 0x0304, "aead tls13 fs"},
	{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE", "RSA", "CHACHA20_POLY1305", 256, 0, "", 0x0303, "aead fs"},
	{0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "PSK", "PSK", "CHACHA20_POLY1305", 256, 0, "", 0x0303, "aead"},
	{0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", "ECDHE_PSK", "PSK", "AES_128_CCM_8", 128, 128, "", 0x0303, "aead fs"},
}

func TestSuiteSpotChecks(t *testing.T) {
	for _, w := range spots {
		got, ok := SuiteByID(w.id)
		if !ok {
			t.Errorf("SuiteByID(%#04x): not found", w.id)
			continue
		}
		if want := w.suite(); got != want {
			t.Errorf("SuiteByID(%#04x)\n got %+v\nwant %+v", w.id, got, want)
		}
	}
}

func TestSuiteCount(t *testing.T) {
	if len(Suites) != wantSuites {
		t.Errorf("len(Suites) = %d, want %d", len(Suites), wantSuites)
	}
	n := 0
	for _, s := range Suites {
		if s.TLS13 {
			n++
		}
	}
	if n != wantTLS13Suites {
		t.Errorf("%d TLS 1.3 suites, want %d", n, wantTLS13Suites)
	}
}

func TestSuiteIDsSortedUnique(t *testing.T) {
	for i := 1; i < len(Suites); i++ {
		if Suites[i-1].ID >= Suites[i].ID {
			t.Errorf("Suites[%d] %#04x then Suites[%d] %#04x", i-1, Suites[i-1].ID, i, Suites[i].ID)
		}
	}
	names := map[string]uint16{}
	for _, s := range Suites {
		if id, dup := names[s.Name]; dup {
			t.Errorf("%s at both %#04x and %#04x", s.Name, id, s.ID)
		}
		names[s.Name] = s.ID
	}
}

func TestSuiteNoSCSV(t *testing.T) {
	for _, id := range []uint16{SCSVRenegotiation, SCSVFallback} {
		if s, ok := SuiteByID(id); ok {
			t.Errorf("SuiteByID(%#04x) = %s, want none", id, s.Name)
		}
	}
	for _, s := range Suites {
		if strings.HasSuffix(s.Name, "_SCSV") {
			t.Errorf("%#04x %s is an SCSV", s.ID, s.Name)
		}
	}
}

func TestSuiteByIDMisses(t *testing.T) {
	// Reserved (SSL 3.0 FORTEZZA, EXPORT1024), GREASE, unassigned, private use.
	for _, id := range []uint16{0x001c, 0x0062, 0x0a0a, 0x1300, 0x1308, 0xc000, 0xd004, 0xfefe, 0xff85} {
		if s, ok := SuiteByID(id); ok {
			t.Errorf("SuiteByID(%#04x) = %s, want none", id, s.Name)
		}
	}
	for _, s := range Suites {
		if got, ok := SuiteByID(s.ID); !ok || got != s {
			t.Errorf("SuiteByID(%#04x) = %v, %v", s.ID, got.Name, ok)
		}
	}
}

// cipherBits is each cipher's strength and block size, written out apart
// from the parser's rules.
var cipherBits = map[string][2]int{
	"NULL":              {0, 0},
	"RC4_40":            {40, 0},
	"RC4_128":           {128, 0},
	"RC2_CBC_40":        {40, 64},
	"DES40_CBC":         {40, 64},
	"DES_CBC_40":        {40, 64},
	"DES_CBC":           {56, 64},
	"3DES_EDE_CBC":      {112, 64},
	"IDEA_CBC":          {128, 64},
	"SEED_CBC":          {128, 128},
	"AES_128_CBC":       {128, 128},
	"AES_256_CBC":       {256, 128},
	"AES_128_GCM":       {128, 128},
	"AES_256_GCM":       {256, 128},
	"AES_128_CCM":       {128, 128},
	"AES_256_CCM":       {256, 128},
	"AES_128_CCM_8":     {128, 128},
	"AES_256_CCM_8":     {256, 128},
	"CAMELLIA_128_CBC":  {128, 128},
	"CAMELLIA_256_CBC":  {256, 128},
	"CAMELLIA_128_GCM":  {128, 128},
	"CAMELLIA_256_GCM":  {256, 128},
	"ARIA_128_CBC":      {128, 128},
	"ARIA_256_CBC":      {256, 128},
	"ARIA_128_GCM":      {128, 128},
	"ARIA_256_GCM":      {256, 128},
	"CHACHA20_POLY1305": {256, 0},
	"AEGIS_128L":        {128, 0},
	"AEGIS_256":         {256, 0},
	"SM4_GCM":           {128, 128},
	"SM4_CCM":           {128, 128},
	"KUZNYECHIK_CTR":    {256, 128},
	"KUZNYECHIK_MGM":    {256, 128},
	"MAGMA_CTR":         {256, 64},
	"MAGMA_MGM":         {256, 64},
	"28147_CNT":         {256, 64},
}

// TestSuiteProperties checks every suite's fields against each other and
// against its name.
func TestSuiteProperties(t *testing.T) {
	for _, s := range Suites {
		bad := func(format string, args ...any) {
			t.Helper()
			t.Errorf("%#04x %s: "+format, append([]any{s.ID, s.Name}, args...)...)
		}
		if !strings.HasPrefix(s.Name, "TLS_") {
			bad("name lacks TLS_")
		}
		// The integrity-only TLS_SHA256_SHA256 and TLS_SHA384_SHA384 have
		// NULL, unnamed.
		if !strings.Contains(s.Name, s.Cipher) && !(s.TLS13 && s.Cipher == "NULL") {
			bad("cipher %q not in the name", s.Cipher)
		}
		b, ok := cipherBits[s.Cipher]
		if !ok {
			bad("unexpected cipher %q", s.Cipher)
		} else if s.Bits != b[0] || s.BlockBits != b[1] {
			bad("bits %d/%d, want %d/%d for %s", s.Bits, s.BlockBits, b[0], b[1], s.Cipher)
		}
		if s.CBC != strings.Contains(s.Cipher, "CBC") {
			bad("CBC %v for %s", s.CBC, s.Cipher)
		}
		if s.CBC && s.AEAD {
			bad("both CBC and AEAD")
		}
		aead := strings.Contains(s.Cipher, "GCM") || strings.Contains(s.Cipher, "CCM") ||
			strings.Contains(s.Cipher, "POLY1305") || strings.Contains(s.Cipher, "AEGIS") ||
			strings.Contains(s.Cipher, "MGM")
		if s.AEAD != aead {
			bad("AEAD %v for %s", s.AEAD, s.Cipher)
		}
		if s.AEAD != (s.MAC == "") {
			bad("AEAD %v with MAC %q", s.AEAD, s.MAC)
		}
		if s.MAC != "" && s.MAC != "NULL" && !strings.HasSuffix(s.Name, "_"+s.MAC) {
			bad("MAC %q not at the end of the name", s.MAC)
		}
		if s.Export != strings.Contains(s.Name, "_EXPORT_") {
			bad("Export %v", s.Export)
		}
		if s.Export && s.Bits != 40 {
			bad("export with %d bits", s.Bits)
		}
		if s.Anon != strings.Contains(s.Name, "_anon_") || s.Anon != (s.Auth == "anon") {
			bad("Anon %v, Auth %q", s.Anon, s.Auth)
		}
		if s.TLS13 != (s.MinVersion == 0x0304) {
			bad("TLS13 %v, MinVersion %#04x", s.TLS13, s.MinVersion)
		}
		if s.TLS13 != (s.Kx == "") || s.TLS13 != (s.Auth == "") {
			bad("TLS13 %v with Kx %q Auth %q", s.TLS13, s.Kx, s.Auth)
		}
		if !strings.Contains(s.Name, "_MGM_") && s.TLS13 == strings.Contains(s.Name, "_WITH_") {
			bad("TLS13 %v", s.TLS13)
		}
		switch {
		case s.TLS13:
		case s.AEAD || s.MAC == "SHA256" || s.MAC == "SHA384" || s.Kx == "GOST":
			if s.MinVersion != 0x0303 {
				bad("MinVersion %#04x, want TLS 1.2", s.MinVersion)
			}
		default:
			if s.MinVersion != 0x0300 {
				bad("MinVersion %#04x, want SSL 3.0", s.MinVersion)
			}
		}
		fs := s.TLS13 || s.Kx == "DHE" || s.Kx == "ECDHE" || s.Kx == "DHE_PSK" || s.Kx == "ECDHE_PSK"
		if s.ForwardSecret != fs {
			bad("ForwardSecret %v with Kx %q", s.ForwardSecret, s.Kx)
		}
		if !s.TLS13 && !strings.Contains(s.Name, strings.TrimSuffix(s.Kx, "_PSK")) {
			bad("Kx %q not in the name", s.Kx)
		}
	}
}

func TestSuitesFor(t *testing.T) {
	count := func(ss []Suite, keep func(Suite) bool) int {
		n := 0
		for _, s := range ss {
			if keep(s) {
				n++
			}
		}
		return n
	}
	has := func(ss []Suite, id uint16) bool {
		for _, s := range ss {
			if s.ID == id {
				return true
			}
		}
		return false
	}

	tls13 := SuitesFor(0x0304)
	if len(tls13) != wantTLS13Suites || count(tls13, func(s Suite) bool { return s.TLS13 }) != len(tls13) {
		t.Errorf("SuitesFor(TLS 1.3): %d suites, want the %d TLS 1.3 ones", len(tls13), wantTLS13Suites)
	}
	tls12 := SuitesFor(0x0303)
	if len(tls12) != wantSuites-wantTLS13Suites || count(tls12, func(s Suite) bool { return s.TLS13 }) != 0 {
		t.Errorf("SuitesFor(TLS 1.2): %d suites, want the %d others", len(tls12), wantSuites-wantTLS13Suites)
	}
	if !has(tls12, 0xc02f) || !has(tls12, 0x000a) || has(tls12, 0x1301) {
		t.Error("SuitesFor(TLS 1.2) misses 0xc02f or 0x000a, or has 0x1301")
	}
	old := SuitesFor(0x0300)
	if len(old) == 0 || count(old, func(s Suite) bool { return s.MinVersion == 0x0300 }) != len(old) {
		t.Errorf("SuitesFor(SSL 3.0): %d suites, not all SSL 3.0 ones", len(old))
	}
	if !has(old, 0x000a) || !has(old, 0x0003) || has(old, 0xc02f) || has(old, 0x003c) || has(old, 0x1301) {
		t.Error("SuitesFor(SSL 3.0) misses 0x000a or 0x0003, or has 0xc02f, 0x003c or 0x1301")
	}
	for _, v := range []uint16{0x0301, 0x0302} {
		if got := SuitesFor(v); len(got) != len(old) {
			t.Errorf("SuitesFor(%#04x): %d suites, want %d", v, len(got), len(old))
		}
	}
	if len(old)+count(tls12, func(s Suite) bool { return s.MinVersion == 0x0303 }) != len(tls12) {
		t.Error("the SSL 3.0 and the TLS 1.2-only suites do not make up TLS 1.2's")
	}
	for _, v := range []uint16{0x0002, 0x0200, 0x02ff, 0x0305, 0xfefd} {
		if got := SuitesFor(v); got != nil {
			t.Errorf("SuitesFor(%#04x): %d suites, want none", v, len(got))
		}
	}
	// The result is the caller's.
	tls13[0].Name = "changed"
	if s, _ := SuiteByID(tls13[0].ID); s.Name == "changed" {
		t.Error("SuitesFor shares its result with Suites")
	}
}

func TestSuiteSSLv2Ciphers(t *testing.T) {
	if len(SSLv2Ciphers) != 7 {
		t.Fatalf("%d SSLv2 cipher kinds, want 7", len(SSLv2Ciphers))
	}
	first, last := SSLv2Ciphers[0], SSLv2Ciphers[6]
	if first.ID != 0x010080 || first.Name != "SSL_CK_RC4_128_WITH_MD5" || first.Bits != 128 || first.Export {
		t.Errorf("first SSLv2 kind %+v", first)
	}
	if last.ID != 0x0700c0 || last.Name != "SSL_CK_DES_192_EDE3_CBC_WITH_MD5" || last.Bits != 112 || last.Export {
		t.Errorf("last SSLv2 kind %+v", last)
	}
	for i, c := range SSLv2Ciphers {
		if c.ID>>16 != uint32(i+1) || c.ID > 0xffffff {
			t.Errorf("kind %d has ID %#06x", i, c.ID)
		}
		if !strings.HasPrefix(c.Name, "SSL_CK_") || !strings.HasSuffix(c.Name, "_WITH_MD5") {
			t.Errorf("kind %#06x named %s", c.ID, c.Name)
		}
		if c.Export != strings.Contains(c.Name, "EXPORT40") || c.Export != (c.Bits == 40) {
			t.Errorf("kind %#06x %s: export %v, %d bits", c.ID, c.Name, c.Export, c.Bits)
		}
	}
}

func TestSuiteParseErrors(t *testing.T) {
	for _, name := range []string{
		"SSL_RSA_WITH_RC4_128_MD5",
		"TLS_FOO_WITH_AES_128_CBC_SHA",
		"TLS_DHE_FOO_WITH_AES_128_CBC_SHA",
		"TLS_RSA_WITH_BLOWFISH_CBC_SHA",
		"TLS_RSA_WITH_AES_192_CBC_SHA",
		"TLS_RSA_WITH_AES_128_CBC",
		"TLS_RSA_EXPORT_WITH_AES_128_CBC_SHA",
		"TLS_RSA_WITH_RC4_40_MD5",
		"TLS_AES_128_CBC_SHA256",
		"TLS_NOTHING",
		"TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR",
		"TLS_GOSTR341112_256_WITH_AES_MGM_L",
	} {
		if s, err := parseSuiteName(0xfeff, name); err == nil {
			t.Errorf("parseSuiteName(%q) = %+v, want an error", name, s)
		}
	}
}
