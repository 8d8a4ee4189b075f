package scan

import "fmt"

// The IANA "TLS Supported Groups" registry entries a scan asks about.
type groupInfo struct {
	id   uint16
	name string
	// bits: classical strength measure (EC field size, FFDHE modulus).
	bits  int
	ffdhe bool
	pq    bool
	// tls13: allowed in TLS 1.3 (RFC 8446 4.2.7 deprecates the rest).
	tls13 bool
}

var groups = []groupInfo{
	{1, "sect163k1", 163, false, false, false},
	{2, "sect163r1", 163, false, false, false},
	{3, "sect163r2", 163, false, false, false},
	{4, "sect193r1", 193, false, false, false},
	{5, "sect193r2", 193, false, false, false},
	{6, "sect233k1", 233, false, false, false},
	{7, "sect233r1", 233, false, false, false},
	{8, "sect239k1", 239, false, false, false},
	{9, "sect283k1", 283, false, false, false},
	{10, "sect283r1", 283, false, false, false},
	{11, "sect409k1", 409, false, false, false},
	{12, "sect409r1", 409, false, false, false},
	{13, "sect571k1", 571, false, false, false},
	{14, "sect571r1", 571, false, false, false},
	{15, "secp160k1", 160, false, false, false},
	{16, "secp160r1", 160, false, false, false},
	{17, "secp160r2", 160, false, false, false},
	{18, "secp192k1", 192, false, false, false},
	{19, "secp192r1", 192, false, false, false},
	{20, "secp224k1", 224, false, false, false},
	{21, "secp224r1", 224, false, false, false},
	{22, "secp256k1", 256, false, false, false},
	{23, "secp256r1", 256, false, false, true},
	{24, "secp384r1", 384, false, false, true},
	{25, "secp521r1", 521, false, false, true},
	{26, "brainpoolP256r1", 256, false, false, false},
	{27, "brainpoolP384r1", 384, false, false, false},
	{28, "brainpoolP512r1", 512, false, false, false},
	{29, "x25519", 253, false, false, true},
	{30, "x448", 448, false, false, true},
	{31, "brainpoolP256r1tls13", 256, false, false, true},
	{32, "brainpoolP384r1tls13", 384, false, false, true},
	{33, "brainpoolP512r1tls13", 512, false, false, true},
	{256, "ffdhe2048", 2048, true, false, true},
	{257, "ffdhe3072", 3072, true, false, true},
	{258, "ffdhe4096", 4096, true, false, true},
	{259, "ffdhe6144", 6144, true, false, true},
	{260, "ffdhe8192", 8192, true, false, true},
	{4587, "SecP256r1MLKEM768", 256, false, true, true},
	{4588, "X25519MLKEM768", 253, false, true, true},
	{4589, "SecP384r1MLKEM1024", 384, false, true, true},
	{25497, "X25519Kyber768Draft00", 253, false, true, true},
}

func groupByID(id uint16) (groupInfo, bool) {
	for _, g := range groups {
		if g.id == id {
			return g, true
		}
	}
	return groupInfo{}, false
}

func groupName(id uint16) string {
	if g, ok := groupByID(id); ok {
		return g.name
	}
	return fmt.Sprintf("group(0x%04x)", id)
}

// ecGroupIDs: the elliptic curves (for TLS 1.2 ECDHE probes).
func ecGroupIDs() []uint16 {
	var out []uint16
	for _, g := range groups {
		if !g.ffdhe && !g.pq {
			out = append(out, g.id)
		}
	}
	return out
}

func tls13GroupIDs() []uint16 {
	var out []uint16
	for _, g := range groups {
		if g.tls13 {
			out = append(out, g.id)
		}
	}
	return out
}

func allGroupIDs() []uint16 {
	out := make([]uint16, len(groups))
	for i, g := range groups {
		out[i] = g.id
	}
	return out
}

// The IANA "TLS SignatureScheme" entries a scan asks about.
var schemes = []struct {
	id    uint16
	name  string
	tls13 bool
}{
	{0x0201, "rsa_pkcs1_sha1", false},
	{0x0202, "dsa_sha1", false},
	{0x0203, "ecdsa_sha1", false},
	{0x0301, "rsa_sha224", false},
	{0x0302, "dsa_sha224", false},
	{0x0303, "ecdsa_sha224", false},
	{0x0401, "rsa_pkcs1_sha256", false},
	{0x0402, "dsa_sha256", false},
	{0x0403, "ecdsa_secp256r1_sha256", true},
	{0x0501, "rsa_pkcs1_sha384", false},
	{0x0502, "dsa_sha384", false},
	{0x0503, "ecdsa_secp384r1_sha384", true},
	{0x0601, "rsa_pkcs1_sha512", false},
	{0x0602, "dsa_sha512", false},
	{0x0603, "ecdsa_secp521r1_sha512", true},
	{0x0804, "rsa_pss_rsae_sha256", true},
	{0x0805, "rsa_pss_rsae_sha384", true},
	{0x0806, "rsa_pss_rsae_sha512", true},
	{0x0807, "ed25519", true},
	{0x0808, "ed448", true},
	{0x0809, "rsa_pss_pss_sha256", true},
	{0x080a, "rsa_pss_pss_sha384", true},
	{0x080b, "rsa_pss_pss_sha512", true},
	{0x081a, "ecdsa_brainpoolP256r1tls13_sha256", true},
	{0x081b, "ecdsa_brainpoolP384r1tls13_sha384", true},
	{0x081c, "ecdsa_brainpoolP512r1tls13_sha512", true},
}

func schemeName(id uint16) string {
	for _, s := range schemes {
		if s.id == id {
			return s.name
		}
	}
	return fmt.Sprintf("0x%04x", id)
}

func allSchemeIDs() []uint16 {
	out := make([]uint16, len(schemes))
	for i, s := range schemes {
		out[i] = s.id
	}
	return out
}

// versionName names a protocol version.
func versionName(v uint16) string {
	switch v {
	case 0x0002:
		return "SSLv2"
	case 0x0300:
		return "SSLv3"
	case 0x0301:
		return "TLS 1.0"
	case 0x0302:
		return "TLS 1.1"
	case 0x0303:
		return "TLS 1.2"
	case 0x0304:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}
