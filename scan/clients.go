package scan

// Client simulations: the ClientHello of popular clients, as data, so the
// scanner can send the same hello and report what a server would
// negotiate with each (as SSL Labs' handshake simulation and testssl.sh's
// client simulation do).
//
// Every value is an IANA code point: versions (0x0301 TLS 1.0 ...
// 0x0304 TLS 1.3), TLS cipher suites, supported groups (23 secp256r1,
// 24 secp384r1, 25 secp521r1, 29 x25519, 30 x448, 256.. ffdhe, 4588
// X25519MLKEM768), signature schemes (0x0403 ecdsa_secp256r1_sha256,
// 0x0804 rsa_pss_rsae_sha256, 0x0401 rsa_pkcs1_sha256, ...). GREASE
// values (0x?a?a) that some clients add are left out. Each profile says
// where its data comes from; most are decoded from recorded ClientHello
// bytes, a few from a hello captured on loopback from the client itself.

// ClientProfile is the ClientHello of a real client, as data.
type ClientProfile struct {
	Name   string // e.g. "Chrome 131 / Windows 11"
	Source string // where the data comes from (document, version, date)
	// MaxVersion is the highest version it offers (0x0304 TLS 1.3 ...
	// 0x0301); Versions is its supported_versions list (nil when it sends
	// no such extension).
	MaxVersion uint16
	Versions   []uint16
	Suites     []uint16 // in the client's order (without GREASE; SCSV 0x00ff included if the client sends it)
	Groups     []uint16 // supported_groups in order
	KeyShares  []uint16 // groups it sends key shares for (TLS 1.3 clients)
	SigSchemes []uint16 // signature_algorithms in order
	ALPN       []string
	// SNI: sends server_name (for a host name, not an IP literal). EMS:
	// extended_master_secret. SecureReneg: the renegotiation_info
	// extension (RFC 5746); a client that signals with the SCSV instead
	// has 0x00ff in Suites. SessionTicket: the session_ticket extension.
	// StatusRequest: status_request (OCSP stapling). SCT:
	// signed_certificate_timestamp.
	SNI, EMS, SecureReneg, SessionTicket, StatusRequest, SCT bool

	PointFormats []uint8 // ec_point_formats (nil when not sent)
}

// Clients are the simulated clients, newest browsers first, then
// libraries and runtimes, then old clients.
var Clients = []ClientProfile{
	// Chromium 137 on Windows 11. Decoded from the ClientHello recorded
	// with Wireshark by the testssl.sh project ("Chromium 137 (Win 11)",
	// etc/client-simulation.wiresharked.txt, added 2025-04-09). Chrome
	// has sent this hello since Chrome 131, which replaced the Kyber
	// draft group 0x6399 with X25519MLKEM768 (0x11EC) and sends a key
	// share for it (Google Online Security Blog, "A new path for Kyber
	// on the web", 2024). Chrome also sends GREASE, compress_certificate
	// (brotli), ALPS (17613), an ECH GREASE extension and
	// psk_key_exchange_modes, and shuffles its extension order.
	{
		Name:       "Chrome 137 / Windows 11",
		Source:     "Chromium 137 on Windows 11, Wireshark capture published in testssl.sh etc/client-simulation.wiresharked.txt (2025-04-09); same hello since Chrome 131 (X25519MLKEM768 0x11EC per Google Security Blog, 'A new path for Kyber on the web', 2024)",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303},
		Suites: []uint16{
			0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
			0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
		},
		Groups:    []uint16{0x11ec, 0x001d, 0x0017, 0x0018}, // X25519MLKEM768, x25519, secp256r1, secp384r1
		KeyShares: []uint16{0x11ec, 0x001d},
		SigSchemes: []uint16{
			0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
		},
		ALPN:          []string{"h2", "http/1.1"},
		SNI:           true,
		EMS:           true,
		SecureReneg:   true,
		SessionTicket: true,
		StatusRequest: true,
		SCT:           true,
		PointFormats:  []uint8{0},
	},

	// Firefox 137 on Windows 11. Decoded from the ClientHello recorded
	// with Wireshark by the testssl.sh project ("Firefox 137 (Win 11)",
	// etc/client-simulation.wiresharked.txt, added 2025-04-09). Firefox
	// sends three key shares (X25519MLKEM768, x25519, secp256r1) and also
	// delegated_credentials, record_size_limit, compress_certificate
	// (zlib, brotli, zstd) and an ECH GREASE extension; no GREASE.
	{
		Name:       "Firefox 137 / Windows 11",
		Source:     "Firefox 137 on Windows 11, Wireshark capture published in testssl.sh etc/client-simulation.wiresharked.txt (2025-04-09)",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303},
		Suites: []uint16{
			0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c,
			0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
			0x0035,
		},
		// X25519MLKEM768, x25519, secp256r1, secp384r1, secp521r1, ffdhe2048, ffdhe3072
		Groups:    []uint16{0x11ec, 0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101},
		KeyShares: []uint16{0x11ec, 0x001d, 0x0017},
		SigSchemes: []uint16{
			0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
			0x0601, 0x0203, 0x0201,
		},
		ALPN:          []string{"h2", "http/1.1"},
		SNI:           true,
		EMS:           true,
		SecureReneg:   true,
		SessionTicket: true,
		StatusRequest: true,
		SCT:           true,
		PointFormats:  []uint8{0},
	},

	// Safari 18.4 on macOS 15.4; iOS 18.4 sends the same hello (only the
	// GREASE values differ). Decoded from the ClientHellos recorded with
	// Wireshark by the testssl.sh project ("Safari 18.4 (macOS 15.4)"
	// and "Safari 18.4 (iOS 18.4)", etc/client-simulation.wiresharked.txt,
	// 2025). Safari still lists TLS 1.0 and 1.1 in supported_versions and
	// 3DES suites last. Its signature_algorithms carry 0x0805
	// (rsa_pss_rsae_sha384) twice; it is listed once here. It sends no
	// session_ticket extension, and it sends compress_certificate (zlib)
	// and padding.
	{
		Name:       "Safari 18.4 / macOS 15.4 (and iOS 18.4)",
		Source:     "Safari 18.4 on macOS 15.4 and on iOS 18.4, Wireshark captures published in testssl.sh etc/client-simulation.wiresharked.txt (2025); duplicate 0x0805 in signature_algorithms listed once",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303, 0x0302, 0x0301},
		Suites: []uint16{
			0x1301, 0x1302, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f,
			0xcca8, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x0035,
			0x002f, 0xc008, 0xc012, 0x000a,
		},
		Groups:    []uint16{0x001d, 0x0017, 0x0018, 0x0019}, // x25519, secp256r1, secp384r1, secp521r1
		KeyShares: []uint16{0x001d},
		SigSchemes: []uint16{
			0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
			0x0201,
		},
		ALPN:          []string{"h2", "http/1.1"},
		SNI:           true,
		EMS:           true,
		SecureReneg:   true,
		StatusRequest: true,
		SCT:           true,
		PointFormats:  []uint8{0},
	},

	// curl 7.88.1 with OpenSSL 3.0.19 as shipped by Debian 12 (curl
	// 7.88.1-10+deb12u14), default options, "curl https://host/".
	// Captured on loopback for this table. The suites, groups and
	// signature schemes are OpenSSL 3.0's defaults under Debian's
	// security level 2 (no SHA-1 signature schemes); curl adds ALPN and
	// post_handshake_auth, and turns session tickets off. OpenSSL also
	// sends encrypt_then_mac and padding, and the renegotiation SCSV
	// instead of the extension.
	{
		Name:       "curl 7.88.1 + OpenSSL 3.0 (Debian 12)",
		Source:     "curl 7.88.1 (Debian 7.88.1-10+deb12u14) with OpenSSL 3.0.19, default options, ClientHello captured on loopback",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303, 0x0302, 0x0301},
		Suites: []uint16{
			0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8,
			0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023,
			0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033,
			0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
		},
		// x25519, secp256r1, x448, secp521r1, secp384r1, ffdhe2048 ... ffdhe8192
		Groups: []uint16{
			0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		KeyShares: []uint16{0x001d},
		SigSchemes: []uint16{
			0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b,
			0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301,
			0x0302, 0x0402, 0x0502, 0x0602,
		},
		ALPN:         []string{"h2", "http/1.1"},
		SNI:          true,
		EMS:          true,
		PointFormats: []uint8{0, 1, 2},
	},

	// Java 17 (OpenJDK 17.0.15, Debian 12 build, whose java.security
	// matches upstream's), JSSE defaults: SSLSocketFactory.getDefault(),
	// server name set. Captured on loopback for this table. JSSE sends
	// key shares for x25519 and secp256r1, status_request and
	// status_request_v2, signature_algorithms_cert, and the renegotiation
	// SCSV; no ALPN unless the application sets it. TLS 1.0/1.1 and
	// TLS_ECDH_* are disabled by jdk.tls.disabledAlgorithms. This is the
	// hello of 17.0.x up to 17.0.17: 17.0.18 (January 2026) also disables
	// TLS_RSA_* and SHA-1 handshake signatures (see Java 21 below).
	{
		Name:       "Java 17.0.15 (OpenJDK, JSSE defaults)",
		Source:     "OpenJDK 17.0.15+6 (Debian 12 build), default SSLSocketFactory, ClientHello captured on loopback; upstream jdk.tls.disabledAlgorithms (SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, MD5withRSA, DH<1024, EC<224, 3DES_EDE_CBC, anon, NULL, ECDH)",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303},
		Suites: []uint16{
			0x1302, 0x1301, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xcca8,
			0xc02f, 0x009f, 0xccaa, 0x00a3, 0x009e, 0x00a2, 0xc024, 0xc028,
			0xc023, 0xc027, 0x006b, 0x006a, 0x0067, 0x0040, 0xc00a, 0xc014,
			0xc009, 0xc013, 0x0039, 0x0038, 0x0033, 0x0032, 0x009d, 0x009c,
			0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
		},
		// x25519, secp256r1, secp384r1, secp521r1, x448, ffdhe2048 ... ffdhe8192
		Groups: []uint16{
			0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		KeyShares: []uint16{0x001d, 0x0017},
		SigSchemes: []uint16{
			0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
			0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0402, 0x0303,
			0x0301, 0x0302, 0x0203, 0x0201, 0x0202,
		},
		SNI:           true,
		EMS:           true,
		SessionTicket: true,
		StatusRequest: true,
		PointFormats:  []uint8{0},
	},

	// Java 21 from 21.0.10 (January 2026) on, JSSE defaults. 21.0.10
	// added TLS_RSA_* (JDK-8245545) and "rsa_pkcs1_sha1 / ecdsa_sha1 /
	// dsa_sha1 usage HandshakeSignature" (JDK-8340321, backported in
	// openjdk/jdk21u-dev PR #2197 "for parity with 21.0.10-oracle") to
	// jdk.tls.disabledAlgorithms, which makes its java.security the same
	// as JDK 25's. Not captured from a JDK 21: the wire data is the
	// loopback capture of Temurin 25.0.3 (same JSSE defaults), which is
	// the Java 17.0.15 hello less the TLS_RSA_* suites and less the SHA-1
	// schemes in signature_algorithms (signature_algorithms_cert keeps
	// them). Java 21.0.0 to 21.0.9 send the Java 17.0.15 hello above.
	{
		Name:       "Java 21.0.10+ (OpenJDK, JSSE defaults)",
		Source:     "JDK 21.0.10+ java.security (JDK-8245545 TLS_RSA_* disabled; JDK-8340321 SHA-1 handshake signatures disabled, jdk21u-dev PR #2197); wire layout from a loopback capture of Temurin 25.0.3, whose defaults are the same",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303},
		Suites: []uint16{
			0x1302, 0x1301, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xcca8,
			0xc02f, 0x009f, 0xccaa, 0x00a3, 0x009e, 0x00a2, 0xc024, 0xc028,
			0xc023, 0xc027, 0x006b, 0x006a, 0x0067, 0x0040, 0xc00a, 0xc014,
			0xc009, 0xc013, 0x0039, 0x0038, 0x0033, 0x0032, 0x00ff,
		},
		Groups: []uint16{
			0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101, 0x0102,
			0x0103, 0x0104,
		},
		KeyShares: []uint16{0x001d, 0x0017},
		SigSchemes: []uint16{
			0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
			0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0402, 0x0303,
			0x0301, 0x0302,
		},
		SNI:           true,
		EMS:           true,
		SessionTicket: true,
		StatusRequest: true,
		PointFormats:  []uint8{0},
	},

	// Android 14, system TLS stack (Conscrypt over BoringSSL, as used by
	// HttpsURLConnection and apps on the platform default), not Chrome
	// on Android (which sends the Chrome hello). Decoded from the
	// ClientHello recorded with Wireshark by the testssl.sh project
	// ("Android 14 (native)", etc/client-simulation.wiresharked.txt,
	// 2025-04-16; Android 13's is identical). ALPN is what the
	// platform's HttpsURLConnection offers (http/1.1 only); an app with
	// its own HTTP stack may offer h2 too.
	{
		Name:       "Android 14 (system TLS, Conscrypt)",
		Source:     "Android 14 native (Conscrypt/BoringSSL platform default), Wireshark capture published in testssl.sh etc/client-simulation.wiresharked.txt (2025-04-16); Android 13 identical",
		MaxVersion: 0x0304,
		Versions:   []uint16{0x0304, 0x0303},
		Suites: []uint16{
			0x1301, 0x1302, 0x1303, 0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030,
			0xcca8, 0xc009, 0xc00a, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
			0x0035,
		},
		Groups:    []uint16{0x001d, 0x0017, 0x0018}, // x25519, secp256r1, secp384r1
		KeyShares: []uint16{0x001d},
		SigSchemes: []uint16{
			0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
			0x0201,
		},
		ALPN:          []string{"http/1.1"},
		SNI:           true,
		EMS:           true,
		SecureReneg:   true,
		SessionTicket: true,
		StatusRequest: true,
		PointFormats:  []uint8{0},
	},

	// Android 7.0, system TLS stack. Decoded from the ClientHello
	// recorded with Wireshark by the testssl.sh project ("Android 7.0
	// (native)", etc/client-simulation.wiresharked.txt, 2020-06-23).
	// TLS 1.2 at most, and secp256r1 as its only group: Android 7.0
	// cannot do ECDHE with a server that offers only secp384r1 or x25519.
	{
		Name:       "Android 7.0 (system TLS)",
		Source:     "Android 7.0 native, Wireshark capture published in testssl.sh etc/client-simulation.wiresharked.txt (2020-06-23)",
		MaxVersion: 0x0303,
		Suites: []uint16{
			0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8, 0xc013, 0xc014,
			0x009c, 0x009d, 0x002f, 0x0035,
		},
		Groups: []uint16{0x0017}, // secp256r1
		SigSchemes: []uint16{
			0x0601, 0x0603, 0x0501, 0x0503, 0x0401, 0x0403, 0x0301, 0x0303,
			0x0201, 0x0203,
		},
		ALPN:          []string{"h2", "http/1.1"},
		SNI:           true,
		EMS:           true,
		SecureReneg:   true,
		SessionTicket: true,
		PointFormats:  []uint8{0},
	},

	// Internet Explorer 11 on Windows 7 SP1 (SChannel). Decoded from
	// SSL Labs' client data ("IE 11 / Win 7", api.ssllabs.com getClients,
	// as kept in testssl.sh etc/client-simulation.txt). The suite order
	// is SChannel's default for Windows 7 after update KB3042058
	// (Microsoft, "TLS Cipher Suites in Windows 7"): CBC first, no
	// ECDHE-RSA-GCM, DHE-RSA-GCM and 3DES present, no RC4. TLS 1.2 at
	// most, secp256r1 and secp384r1 only, no ALPN, no session tickets.
	{
		Name:       "IE 11 / Windows 7",
		Source:     "SSL Labs client list 'IE 11 / Win 7' (getClients API data as kept in testssl.sh etc/client-simulation.txt); order matches Microsoft 'TLS Cipher Suites in Windows 7' after KB3042058",
		MaxVersion: 0x0303,
		Suites: []uint16{
			0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x009d, 0x009c,
			0x003d, 0x003c, 0x0035, 0x002f, 0xc02c, 0xc02b, 0xc024, 0xc023,
			0xc00a, 0xc009, 0x006a, 0x0040, 0x0038, 0x0032, 0x000a, 0x0013,
		},
		Groups: []uint16{0x0017, 0x0018}, // secp256r1, secp384r1
		SigSchemes: []uint16{
			0x0601, 0x0603, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203,
			0x0202,
		},
		SNI:           true,
		EMS:           true,
		SecureReneg:   true,
		StatusRequest: true,
		PointFormats:  []uint8{0},
	},

	// OpenSSL 1.0.2e, s_client with its default cipher list
	// (ALL:!EXPORT:!LOW:!aNULL:!eNULL:!SSLv2, so RC4, 3DES, SEED, IDEA,
	// Camellia, static DH/ECDH suites included). Decoded from SSL Labs'
	// client data ("OpenSSL 1.0.2e", as kept in testssl.sh
	// etc/client-simulation.txt). TLS 1.2 at most, no EMS (added in
	// 1.1.0), renegotiation SCSV, 13 named curves including binary ones,
	// all three point formats. The recorded hello also has status_request
	// and heartbeat; plain s_client sends status_request only with
	// -status, and SNI only with -servername.
	{
		Name:       "OpenSSL 1.0.2e",
		Source:     "SSL Labs client list 'OpenSSL 1.0.2e' (getClients API data as kept in testssl.sh etc/client-simulation.txt)",
		MaxVersion: 0x0303,
		Suites: []uint16{
			0xc030, 0xc02c, 0xc028, 0xc024, 0xc014, 0xc00a, 0x00a5, 0x00a3,
			0x00a1, 0x009f, 0x006b, 0x006a, 0x0069, 0x0068, 0x0039, 0x0038,
			0x0037, 0x0036, 0x0088, 0x0087, 0x0086, 0x0085, 0xc032, 0xc02e,
			0xc02a, 0xc026, 0xc00f, 0xc005, 0x009d, 0x003d, 0x0035, 0x0084,
			0xc02f, 0xc02b, 0xc027, 0xc023, 0xc013, 0xc009, 0x00a4, 0x00a2,
			0x00a0, 0x009e, 0x0067, 0x0040, 0x003f, 0x003e, 0x0033, 0x0032,
			0x0031, 0x0030, 0x009a, 0x0099, 0x0098, 0x0097, 0x0045, 0x0044,
			0x0043, 0x0042, 0xc031, 0xc02d, 0xc029, 0xc025, 0xc00e, 0xc004,
			0x009c, 0x003c, 0x002f, 0x0096, 0x0041, 0x0007, 0xc011, 0xc007,
			0xc00c, 0xc002, 0x0005, 0x0004, 0xc012, 0xc008, 0x0016, 0x0013,
			0x0010, 0x000d, 0xc00d, 0xc003, 0x000a, 0x0015, 0x0012, 0x000f,
			0x000c, 0x0009, 0x00ff,
		},
		// secp256r1, secp521r1, brainpoolP512r1, brainpoolP384r1, secp384r1,
		// brainpoolP256r1, secp256k1, sect571r1, sect571k1, sect409k1,
		// sect409r1, sect283k1, sect283r1
		Groups: []uint16{
			0x0017, 0x0019, 0x001c, 0x001b, 0x0018, 0x001a, 0x0016, 0x000e,
			0x000d, 0x000b, 0x000c, 0x0009, 0x000a,
		},
		SigSchemes: []uint16{
			0x0601, 0x0602, 0x0603, 0x0501, 0x0502, 0x0503, 0x0401, 0x0402,
			0x0403, 0x0301, 0x0302, 0x0303, 0x0201, 0x0202, 0x0203,
		},
		SNI:           true,
		SessionTicket: true,
		StatusRequest: true,
		PointFormats:  []uint8{0, 1, 2},
	},
}
