package scan

import (
	"fmt"
	"slices"
	"strings"
)

// The scanner's cipher-suite table. The IDs and names are those of the
// IANA "TLS Cipher Suites" registry
// (https://www.iana.org/assignments/tls-parameters/, tls-parameters-4.csv);
// everything else in a Suite is derived from the name by parseSuiteName, so
// adding a suite is adding one line to registry.

// Signalling cipher suite values a scanner sends; they are not suites and
// are not in Suites.
const (
	SCSVRenegotiation = 0x00ff // TLS_EMPTY_RENEGOTIATION_INFO_SCSV, RFC 5746
	SCSVFallback      = 0x5600 // TLS_FALLBACK_SCSV, RFC 7507
)

// Protocol versions as they appear on the wire.
const (
	versionSSL30 = 0x0300
	versionTLS12 = 0x0303
	versionTLS13 = 0x0304
)

// Suite is one cipher suite of the IANA registry, with what a grade needs.
type Suite struct {
	ID   uint16
	Name string // the IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	// Kx is the key exchange: RSA, DH, DHE, ECDH, ECDHE, PSK, DHE_PSK,
	// ECDHE_PSK, RSA_PSK, SRP, KRB5, ECCPWD, GOST, NULL; "" for TLS 1.3
	// suites. The anonymous suites have DH or ECDH (as their names say).
	Kx string
	// Auth is how the server is authenticated: RSA, DSS, ECDSA, anon, PSK,
	// SRP, KRB5, ECCPWD, GOST, NULL; "" for TLS 1.3 suites. RSA_PSK and
	// SRP_SHA_RSA have RSA, SRP_SHA_DSS has DSS.
	Auth string
	// Cipher is the bulk cipher as the name spells it: AES_128_GCM,
	// AES_256_CBC, 3DES_EDE_CBC, RC4_128, DES_CBC, DES40_CBC, DES_CBC_40,
	// RC2_CBC_40, IDEA_CBC, SEED_CBC, CAMELLIA_128_CBC, ARIA_256_GCM,
	// CHACHA20_POLY1305, AES_128_CCM_8, SM4_GCM, AEGIS_256, KUZNYECHIK_CTR,
	// MAGMA_MGM, NULL, ...
	Cipher string
	// Bits is the effective symmetric strength: 3DES 112, DES 56, the
	// export ciphers 40, NULL 0, otherwise the key size.
	Bits int
	// BlockBits is the cipher's block size: 64 for DES, 3DES, IDEA, RC2,
	// Magma and GOST 28147 (Sweet32), 128 for AES, CAMELLIA, ARIA, SEED,
	// SM4 and Kuznyechik, 0 for RC4, ChaCha20, AEGIS and NULL.
	BlockBits int
	CBC       bool
	AEAD      bool // GCM, CCM, CCM_8, ChaCha20-Poly1305, AEGIS, MGM
	Export    bool // the EXPORT suites
	Anon      bool // anonymous (no authentication): *_anon_*
	// MAC is the record MAC: MD5, SHA, SHA256, SHA384 (OMAC and IMIT for
	// the GOST TLS 1.2 suites, NULL for TLS_NULL_WITH_NULL_NULL), or ""
	// for AEAD suites, whose trailing hash is only the PRF's.
	MAC   string
	TLS13 bool
	// MinVersion is the lowest protocol version the suite can be
	// negotiated in: 0x0304 for TLS 1.3 suites; 0x0303 for those that need
	// TLS 1.2 (SHA256/SHA384 MACs, every AEAD, GOST); 0x0300 otherwise.
	MinVersion uint16
	// ForwardSecret: DHE, ECDHE (and their PSK variants), and all TLS 1.3
	// suites.
	ForwardSecret bool
}

// Suites lists every assigned suite of the registry (not the
// reserved/unassigned ranges, not SCSVs), in ID order.
var Suites = buildSuites()

func buildSuites() []Suite {
	out := make([]Suite, len(registry))
	for i, r := range registry {
		out[i] = suiteFromName(r.id, r.name)
	}
	return out
}

// SuiteByID finds a suite.
func SuiteByID(id uint16) (Suite, bool) {
	i, ok := slices.BinarySearchFunc(Suites, id, func(s Suite, id uint16) int {
		return int(s.ID) - int(id)
	})
	if !ok {
		return Suite{}, false
	}
	return Suites[i], true
}

// SuitesFor returns the suites a ClientHello of version can offer: for TLS
// 1.3 (0x0304) only the TLS 1.3 suites; for TLS 1.2 (0x0303) every other
// suite; for SSL 3.0 to TLS 1.1 (0x0300-0x0302) those whose MinVersion is
// at most version. Any other version has none. The slice is new; the
// caller may change it.
func SuitesFor(version uint16) []Suite {
	var keep func(Suite) bool
	switch {
	case version == versionTLS13:
		keep = func(s Suite) bool { return s.TLS13 }
	case version == versionTLS12:
		keep = func(s Suite) bool { return !s.TLS13 }
	case version >= versionSSL30 && version < versionTLS12:
		keep = func(s Suite) bool { return s.MinVersion <= version }
	default:
		return nil
	}
	var out []Suite
	for _, s := range Suites {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// suiteFromName derives a Suite from its IANA name. The names in registry
// all parse; a name that does not is a bug in the table, and panics.
func suiteFromName(id uint16, name string) Suite {
	s, err := parseSuiteName(id, name)
	if err != nil {
		panic(err)
	}
	return s
}

// parseSuiteName reads an IANA suite name. TLS 1.2-style names are
// TLS_<kx>[_EXPORT]_WITH_<cipher>[_<mac>]; TLS 1.3-style names are
// TLS_<aead>_<hash>. The GOST suites are named neither way and are looked
// up whole.
func parseSuiteName(id uint16, name string) (Suite, error) {
	s := Suite{ID: id, Name: name}
	body, ok := strings.CutPrefix(name, "TLS_")
	if !ok {
		return s, fmt.Errorf("scan: suite %#04x %q: no TLS_ prefix", id, name)
	}
	if cipher, ok := strings.CutPrefix(body, "GOSTR341112_256_WITH_"); ok {
		return parseGOST(s, cipher)
	}
	kxPart, cipherPart, ok := strings.Cut(body, "_WITH_")
	if !ok {
		return parseTLS13(s, body)
	}

	if k, ok := strings.CutSuffix(kxPart, "_EXPORT"); ok {
		s.Export = true
		kxPart = k
	}
	s.Kx, s.Auth, ok = parseKx(kxPart)
	if !ok {
		return s, fmt.Errorf("scan: suite %#04x %q: unknown key exchange %q", id, name, kxPart)
	}
	s.Anon = s.Auth == "anon"

	s.Cipher, s.MAC = cutMAC(cipherPart)
	c, ok := cipherOf(s.Cipher)
	if !ok {
		return s, fmt.Errorf("scan: suite %#04x %q: unknown cipher %q", id, name, s.Cipher)
	}
	c.apply(&s)
	if s.Export != (s.Bits == 40) {
		return s, fmt.Errorf("scan: suite %#04x %q: export and a %d-bit cipher", id, name, s.Bits)
	}
	if s.AEAD {
		s.MAC = "" // the hash in an AEAD suite's name is the PRF's
	} else if s.MAC == "" {
		return s, fmt.Errorf("scan: suite %#04x %q: no MAC", id, name)
	}

	switch {
	case s.AEAD || s.MAC == "SHA256" || s.MAC == "SHA384":
		s.MinVersion = versionTLS12
	default:
		s.MinVersion = versionSSL30
	}
	switch s.Kx {
	case "DHE", "ECDHE", "DHE_PSK", "ECDHE_PSK":
		s.ForwardSecret = true
	}
	return s, nil
}

// parseKx splits the part of a name before _WITH_ into key exchange and
// authentication.
func parseKx(p string) (kx, auth string, ok bool) {
	switch p {
	case "NULL", "RSA", "KRB5", "PSK", "ECCPWD":
		return p, p, true
	case "RSA_PSK":
		return "RSA_PSK", "RSA", true // the server has an RSA certificate
	case "PSK_DHE": // the CCM_8 suites 0xc0aa and 0xc0ab spell DHE_PSK so
		return "DHE_PSK", "PSK", true
	case "SRP_SHA":
		return "SRP", "SRP", true
	}
	if sig, ok := strings.CutPrefix(p, "SRP_SHA_"); ok && (sig == "RSA" || sig == "DSS") {
		return "SRP", sig, true
	}
	kx, auth, ok = strings.Cut(p, "_")
	if !ok {
		return "", "", false
	}
	switch kx {
	case "DH", "DHE", "ECDH", "ECDHE":
	default:
		return "", "", false
	}
	switch auth {
	case "RSA", "DSS", "ECDSA", "anon":
		return kx, auth, true
	case "PSK":
		return kx + "_PSK", "PSK", true
	}
	return "", "", false
}

// cutMAC splits the part of a name after _WITH_ into cipher and MAC (or,
// for the AEAD suites, PRF hash). CCM suites of RFC 6655 and RFC 7251
// name no hash: they return mac "".
func cutMAC(p string) (cipher, mac string) {
	if p == "NULL_NULL" {
		return "NULL", "NULL"
	}
	i := strings.LastIndexByte(p, '_')
	if i < 0 {
		return p, ""
	}
	switch h := p[i+1:]; h {
	case "MD5", "SHA", "SHA256", "SHA384":
		return p[:i], h
	}
	return p, ""
}

// cipherInfo is what a cipher contributes to a Suite.
type cipherInfo struct {
	bits, blockBits int
	cbc, aead       bool
}

func (c cipherInfo) apply(s *Suite) {
	s.Bits, s.BlockBits, s.CBC, s.AEAD = c.bits, c.blockBits, c.cbc, c.aead
}

// legacyCiphers are the ciphers whose names carry no mode or key size a
// rule could read.
var legacyCiphers = map[string]cipherInfo{
	"NULL":              {},
	"RC4_128":           {bits: 128},
	"RC4_40":            {bits: 40},
	"RC2_CBC_40":        {bits: 40, blockBits: 64, cbc: true},
	"DES40_CBC":         {bits: 40, blockBits: 64, cbc: true},
	"DES_CBC_40":        {bits: 40, blockBits: 64, cbc: true}, // the KRB5 export spelling
	"DES_CBC":           {bits: 56, blockBits: 64, cbc: true},
	"3DES_EDE_CBC":      {bits: 112, blockBits: 64, cbc: true},
	"IDEA_CBC":          {bits: 128, blockBits: 64, cbc: true},
	"SEED_CBC":          {bits: 128, blockBits: 128, cbc: true},
	"CHACHA20_POLY1305": {bits: 256, aead: true},
	"AEGIS_128L":        {bits: 128, aead: true},
	"AEGIS_256":         {bits: 256, aead: true},
	"SM4_GCM":           {bits: 128, blockBits: 128, aead: true},
	"SM4_CCM":           {bits: 128, blockBits: 128, aead: true},
}

// cipherOf reads a cipher name: one of legacyCiphers, or
// <AES|CAMELLIA|ARIA>_<128|256>_<CBC|GCM|CCM|CCM_8>.
func cipherOf(name string) (cipherInfo, bool) {
	if c, ok := legacyCiphers[name]; ok {
		return c, true
	}
	parts := strings.SplitN(name, "_", 3)
	if len(parts) != 3 {
		return cipherInfo{}, false
	}
	switch parts[0] {
	case "AES", "CAMELLIA", "ARIA":
	default:
		return cipherInfo{}, false
	}
	c := cipherInfo{blockBits: 128}
	switch parts[1] {
	case "128":
		c.bits = 128
	case "256":
		c.bits = 256
	default:
		return cipherInfo{}, false
	}
	switch parts[2] {
	case "CBC":
		c.cbc = true
	case "GCM", "CCM", "CCM_8":
		c.aead = true
	default:
		return cipherInfo{}, false
	}
	return c, true
}

// parseTLS13 reads a TLS 1.3 name, <aead>_<hash>. TLS_SHA256_SHA256 and
// TLS_SHA384_SHA384 (RFC 9150) are integrity only: cipher NULL, with the
// HMAC as MAC.
func parseTLS13(s Suite, body string) (Suite, error) {
	i := strings.LastIndexByte(body, '_')
	if i < 0 {
		return s, fmt.Errorf("scan: suite %#04x %q: neither _WITH_ nor a TLS 1.3 name", s.ID, s.Name)
	}
	s.TLS13 = true
	s.MinVersion = versionTLS13
	s.ForwardSecret = true
	aead, hash := body[:i], body[i+1:]
	if aead == hash && (hash == "SHA256" || hash == "SHA384") {
		s.Cipher, s.MAC = "NULL", hash
		return s, nil
	}
	c, ok := cipherOf(aead)
	if !ok || !c.aead {
		return s, fmt.Errorf("scan: suite %#04x %q: unknown TLS 1.3 AEAD %q", s.ID, s.Name, aead)
	}
	s.Cipher = aead
	c.apply(&s)
	return s, nil
}

// parseGOST reads the part after TLS_GOSTR341112_256_WITH_. The TLS 1.2
// suites of RFC 9189 (CTR_OMAC, CNT_IMIT) use the GOST VKO key agreement
// against the server's certificate key, so they are not forward secret;
// the MGM suites of RFC 9367 are TLS 1.3 AEAD suites (_L and _S are the
// TLSTREE re-keying parameters, not the cipher).
func parseGOST(s Suite, p string) (Suite, error) {
	var block int
	switch {
	case strings.HasPrefix(p, "KUZNYECHIK_"):
		block = 128
	case strings.HasPrefix(p, "MAGMA_"), strings.HasPrefix(p, "28147_"):
		block = 64
	default:
		return s, fmt.Errorf("scan: suite %#04x %q: unknown GOST cipher", s.ID, s.Name)
	}
	s.Bits, s.BlockBits = 256, block
	if i := strings.Index(p, "_MGM_"); i >= 0 && (p[i+5:] == "L" || p[i+5:] == "S") {
		s.Cipher, s.AEAD = p[:i+4], true
		s.TLS13, s.MinVersion, s.ForwardSecret = true, versionTLS13, true
		return s, nil
	}
	var mac string
	for _, m := range []string{"OMAC", "IMIT"} {
		if c, ok := strings.CutSuffix(p, "_"+m); ok {
			p, mac = c, m
		}
	}
	if mac == "" {
		return s, fmt.Errorf("scan: suite %#04x %q: unknown GOST mode", s.ID, s.Name)
	}
	s.Kx, s.Auth = "GOST", "GOST"
	s.Cipher, s.MAC = p, mac
	s.MinVersion = versionTLS12
	return s, nil
}

// SSLv2Cipher is an SSL 2.0 cipher kind (three bytes), for the SSLv2 probe.
type SSLv2Cipher struct {
	ID     uint32
	Name   string
	Bits   int // effective strength, as Suite.Bits: DES 56, 3DES 112
	Export bool
}

// SSLv2Ciphers are the seven cipher kinds of the SSL 2.0 specification.
var SSLv2Ciphers = []SSLv2Cipher{
	{0x010080, "SSL_CK_RC4_128_WITH_MD5", 128, false},
	{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", 40, true},
	{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", 128, false},
	{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", 40, true},
	{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5", 128, false},
	{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", 56, false},
	{0x0700c0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", 112, false},
}

// registry is the IANA TLS Cipher Suites registry: every assigned value
// but the two SCSVs, in ID order — 350 suites, as of the registry's
// tls-parameters-4.csv of December 2022 (the copy committed 2022-12-17;
// its newest entries are TLS_AEGIS_256_SHA384 and TLS_AEGIS_128L_SHA256).
// Not in it, because IANA reserves rather than assigns them: 0x001c-0x001d
// (the SSL 3.0 FORTEZZA suites), 0x0047-0x005c and 0x0060-0x0066 (among
// them OpenSSL's old EXPORT1024 suites), the GREASE values (RFC 8701) and
// 0xff00-0xffff (private use).
var registry = []struct {
	id   uint16
	name string
}{
	{0x0000, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA"},
	{0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA"},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x001e, "TLS_KRB5_WITH_DES_CBC_SHA"},
	{0x001f, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA"},
	{0x0020, "TLS_KRB5_WITH_RC4_128_SHA"},
	{0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA"},
	{0x0022, "TLS_KRB5_WITH_DES_CBC_MD5"},
	{0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5"},
	{0x0024, "TLS_KRB5_WITH_RC4_128_MD5"},
	{0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5"},
	{0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA"},
	{0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA"},
	{0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA"},
	{0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5"},
	{0x002a, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x002b, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5"},
	{0x002c, "TLS_PSK_WITH_NULL_SHA"},
	{0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"},
	{0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"},
	{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003b, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008a, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x008e, "TLS_DHE_PSK_WITH_RC4_128_SHA"},
	{0x008f, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA"},
	{0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA"},
	{0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA"},
	{0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA"},
	{0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA"},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA"},
	{0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA"},
	{0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA"},
	{0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
	{0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA"},
	{0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
	{0x00a1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00b0, "TLS_PSK_WITH_NULL_SHA256"},
	{0x00b1, "TLS_PSK_WITH_NULL_SHA384"},
	{0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"},
	{0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"},
	{0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"},
	{0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"},
	{0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bb, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bc, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c6, "TLS_SM4_GCM_SM3"},
	{0x00c7, "TLS_SM4_CCM_SM3"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	{0x1306, "TLS_AEGIS_256_SHA384"},
	{0x1307, "TLS_AEGIS_128L_SHA256"},
	{0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA"},
	{0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"},
	{0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"},
	{0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"},
	{0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
	{0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"},
	{0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"},
	{0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA"},
	{0xc034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"},
	{0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
	{0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"},
	{0xc03c, "TLS_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc03d, "TLS_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc03e, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256"},
	{0xc03f, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384"},
	{0xc040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256"},
	{0xc043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384"},
	{0xc044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256"},
	{0xc047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384"},
	{0xc048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc04a, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc04b, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc04c, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc04d, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc04e, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256"},
	{0xc04f, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384"},
	{0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xc058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256"},
	{0xc059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384"},
	{0xc05a, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256"},
	{0xc05b, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384"},
	{0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc05e, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc05f, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384"},
	{0xc064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"},
	{0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"},
	{0xc070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256"},
	{0xc071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384"},
	{0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc07e, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc07f, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc08c, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc08d, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc08e, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc08f, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256"},
	{0xc093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384"},
	{0xc094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc09a, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc09b, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
	{0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
	{0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
	{0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
	{0xc0a4, "TLS_PSK_WITH_AES_128_CCM"},
	{0xc0a5, "TLS_PSK_WITH_AES_256_CCM"},
	{0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM"},
	{0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM"},
	{0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8"},
	{0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8"},
	{0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8"},
	{0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8"},
	{0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xc0b0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256"},
	{0xc0b1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384"},
	{0xc0b2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256"},
	{0xc0b3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384"},
	{0xc0b4, "TLS_SHA256_SHA256"},
	{0xc0b5, "TLS_SHA384_SHA384"},
	{0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC"},
	{0xc101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC"},
	{0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"},
	{0xc103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"},
	{0xc104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"},
	{0xc105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S"},
	{0xc106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S"},
	{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
	{0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"},
	{0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
	{0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"},
}
