// Command shim runs hasp under BoringSSL's BoGo conformance runner
// (ssl/test/runner). The runner starts it with -port, -shim-id and the
// test's flags; the shim dials the runner, sends its id, runs hasp as a
// client (or with -server, a server) and echoes what it reads with each
// byte XORed with 0xff. Exit 0 is a pass; a failure prints the error on
// stderr and exits 1; a flag the shim does not know, or an -expect-* it
// does not check, exits 89 (unimplemented), never silently ignored.
//
// Flags may carry a prefix that limits them to one connection:
// -on-initial- (the first), -on-resume- (the later ones of -resume-count)
// and -on-retry- (not supported: 89).
package main

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/wire"
)

// exitUnimplemented tells the runner the test needs what the shim lacks.
const exitUnimplemented = 89

// settings are the flags of one connection.
type settings struct {
	server, ipv6                   bool
	port, shimID                   int
	resumeCount                    int
	minVersion, maxVersion         uint16
	expectVersion                  uint16
	noTLS13, noTLS12, noTLS11, no1 bool
	writesFirst, shutsDown         bool
	trustCert                      string
	// creds are the credentials: the default one, then one for each
	// -new-x509-credential; -cert-file, -key-file and -ocsp-response
	// describe the last.
	creds                  []credential
	advertiseALPN          []string
	selectALPN, expectALPN string
	declineALPN            bool
	hostName               string
	expectSessionMiss      bool
	requireClientCert      bool
	verifyPeer             bool
	curves                 []hasp.CurveID
	expectCurve            int
	expectHRR, expectNoHRR bool
	verifyFail             bool
	expectPeerSigAlg       int
	expectCredential       *int
	verifyPrefs            []hasp.SignatureScheme
	expectVerifyResult     bool
	exportLength           int
	exportLabel            string
	exportContext          string
	useExportContext       bool
	// policy is BoringSSL's compliance policy: "fips-202205" or
	// "wpa-202304".
	policy string

	tlsUnique            bool
	noTicket             bool
	expectServerName     string
	expectOCSP           []byte
	expectSCTs           []byte
	expectAdvertisedALPN []byte
	expectPeerCertFile   string
	keyUpdate            bool
	keyUpdateBeforeRead  bool
	oldClientCertCB      bool
	reverifyOnResume     bool
	customVerify         bool
	ocspCallback         bool
	declineOCSP          bool
	failOCSP             bool
	checkCloseNotify     bool
	psk, pskIdentity     string
	hasPSK               bool
	expectPeerVerifyPref []hasp.SignatureScheme
}

// policies are BoringSSL's compliance policies as hasp settings: the
// suites, groups and signature schemes each allows (NIST SP 800-52r2 for
// FIPS 202205; WPA3 192-bit for WPA 202304), TLS 1.2 and 1.3 only.
var policies = map[string]struct {
	suites  []uint16
	groups  []hasp.CurveID
	schemes []hasp.SignatureScheme
}{
	"fips-202205": {
		suites: []uint16{hasp.TLS_AES_128_GCM_SHA256, hasp.TLS_AES_256_GCM_SHA384,
			wire.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, wire.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		groups: []hasp.CurveID{hasp.CurveP256, hasp.CurveP384},
		schemes: []hasp.SignatureScheme{hasp.PKCS1WithSHA256, hasp.PKCS1WithSHA384, hasp.PKCS1WithSHA512,
			hasp.ECDSAWithP256AndSHA256, hasp.ECDSAWithP384AndSHA384,
			hasp.PSSWithSHA256, hasp.PSSWithSHA384, hasp.PSSWithSHA512},
	},
	"wpa-202304": {
		suites: []uint16{hasp.TLS_AES_256_GCM_SHA384,
			wire.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, wire.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		groups: []hasp.CurveID{hasp.CurveP384},
		schemes: []hasp.SignatureScheme{hasp.PKCS1WithSHA384, hasp.PKCS1WithSHA512,
			hasp.ECDSAWithP384AndSHA384, hasp.PSSWithSHA384, hasp.PSSWithSHA512},
	},
}

// verifyFailed is what the last verification of a peer's chain found
// (BoringSSL's verify result): it carries over to a resumed connection,
// which does not verify again.
var verifyFailed bool

// credential is one certificate chain with its key.
type credential struct {
	certFile, keyFile string
	ocsp              []byte
	signingPrefs      []hasp.SignatureScheme
	scts              [][]byte
	// index is the runner's name for it: -1 for the default credential,
	// else the count of -new-x509-credential before it.
	index int
}

// loadedIndex is the runner's index of the i-th certificate config
// loaded (the credentials with files, in order).
func (s *settings) loadedIndex(i int) int {
	if o := s.ordered(); i < len(o) {
		return o[i].index
	}
	return -2
}

// ordered lists the credentials with files in the order BoringSSL tries
// them: those added with -new-x509-credential first, the default last.
func (s *settings) ordered() []credential {
	var out []credential
	for _, pass := range []bool{true, false} {
		for _, c := range s.creds {
			if (c.certFile != "" || c.keyFile != "") && (c.index >= 0) == pass {
				out = append(out, c)
			}
		}
	}
	return out
}

// cred is the credential the credential flags describe now.
func (s *settings) cred() *credential {
	if len(s.creds) == 0 {
		s.creds = append(s.creds, credential{index: -1})
	}
	return &s.creds[len(s.creds)-1]
}

type flagKind int

const (
	boolFlag flagKind = iota
	intFlag
	stringFlag
)

// flags lists what the shim implements: name, kind, and how it sets a
// connection's settings.
var flags = map[string]struct {
	kind flagKind
	set  func(s *settings, v string) error
}{
	"server":            {boolFlag, func(s *settings, _ string) error { s.server = true; return nil }},
	"ipv6":              {boolFlag, func(s *settings, _ string) error { s.ipv6 = true; return nil }},
	"port":              {intFlag, func(s *settings, v string) error { return atoi(v, &s.port) }},
	"shim-id":           {intFlag, func(s *settings, v string) error { return atoi(v, &s.shimID) }},
	"resume-count":      {intFlag, func(s *settings, v string) error { return atoi(v, &s.resumeCount) }},
	"min-version":       {intFlag, func(s *settings, v string) error { return atou16(v, &s.minVersion) }},
	"max-version":       {intFlag, func(s *settings, v string) error { return atou16(v, &s.maxVersion) }},
	"expect-version":    {intFlag, func(s *settings, v string) error { return atou16(v, &s.expectVersion) }},
	"no-tls13":          {boolFlag, func(s *settings, _ string) error { s.noTLS13 = true; return nil }},
	"no-tls12":          {boolFlag, func(s *settings, _ string) error { s.noTLS12 = true; return nil }},
	"no-tls11":          {boolFlag, func(s *settings, _ string) error { s.noTLS11 = true; return nil }},
	"no-tls1":           {boolFlag, func(s *settings, _ string) error { s.no1 = true; return nil }},
	"shim-writes-first": {boolFlag, func(s *settings, _ string) error { s.writesFirst = true; return nil }},
	"shim-shuts-down":   {boolFlag, func(s *settings, _ string) error { s.shutsDown = true; return nil }},
	"cert-file":         {stringFlag, func(s *settings, v string) error { s.cred().certFile = v; return nil }},
	"key-file":          {stringFlag, func(s *settings, v string) error { s.cred().keyFile = v; return nil }},
	"new-x509-credential": {boolFlag, func(s *settings, _ string) error {
		n := 0
		for _, c := range s.creds {
			if c.index >= 0 {
				n++
			}
		}
		s.creds = append(s.creds, credential{index: n})
		return nil
	}},
	"expect-selected-credential": {intFlag, func(s *settings, v string) error {
		s.expectCredential = new(int)
		return atoi(v, s.expectCredential)
	}},
	// BoringSSL's implicit handshake (started by the first read or
	// write) puts the same bytes on the wire as an explicit one.
	"implicit-handshake":             {boolFlag, func(*settings, string) error { return nil }},
	"trust-cert":                     {stringFlag, func(s *settings, v string) error { s.trustCert = v; return nil }},
	"host-name":                      {stringFlag, func(s *settings, v string) error { s.hostName = v; return nil }},
	"select-alpn":                    {stringFlag, func(s *settings, v string) error { s.selectALPN = v; return nil }},
	"expect-alpn":                    {stringFlag, func(s *settings, v string) error { s.expectALPN = v; return nil }},
	"decline-alpn":                   {boolFlag, func(s *settings, _ string) error { s.declineALPN = true; return nil }},
	"expect-session-miss":            {boolFlag, func(s *settings, _ string) error { s.expectSessionMiss = true; return nil }},
	"require-any-client-certificate": {boolFlag, func(s *settings, _ string) error { s.requireClientCert = true; return nil }},
	"verify-peer":                    {boolFlag, func(s *settings, _ string) error { s.verifyPeer = true; return nil }},
	"expect-curve-id":                {intFlag, func(s *settings, v string) error { return atoi(v, &s.expectCurve) }},
	"curves": {intFlag, func(s *settings, v string) error {
		var c int
		err := atoi(v, &c)
		s.curves = append(s.curves, hasp.CurveID(c))
		return err
	}},
	"advertise-alpn": {stringFlag, func(s *settings, v string) error {
		for len(v) > 0 {
			n := int(v[0])
			if 1+n > len(v) {
				return errors.New("bad -advertise-alpn")
			}
			s.advertiseALPN = append(s.advertiseALPN, v[1:1+n])
			v = v[1+n:]
		}
		return nil
	}},
	// Settings a plain TLS shim can ignore: where the runner wants the
	// handshake's settings written (for its split-handshake tests);
	// BoringSSL's asynchronous mode (hasp has only one); asking for OCSP
	// (hasp always asks).
	"write-settings":       {stringFlag, func(*settings, string) error { return nil }},
	"async":                {boolFlag, func(*settings, string) error { return nil }},
	"enable-ocsp-stapling": {boolFlag, func(*settings, string) error { return nil }},
	"check-close-notify":   {boolFlag, func(s *settings, _ string) error { s.checkCloseNotify = true; return nil }},
	// The shim's own verification and OCSP callbacks: BoringSSL's accept
	// every chain unless -verify-fail and hand out the configured staple,
	// which is what this shim always does.
	"use-custom-verify-callback": {boolFlag, func(s *settings, _ string) error { s.customVerify = true; return nil }},
	"use-ocsp-callback":          {boolFlag, func(s *settings, _ string) error { s.ocspCallback = true; return nil }},
	// The server's callback sets the configured staple (what hasp sends
	// anyway), declines (no staple) or fails; the client's fails.
	"set-ocsp-in-callback":  {boolFlag, func(*settings, string) error { return nil }},
	"decline-ocsp-callback": {boolFlag, func(s *settings, _ string) error { s.declineOCSP = true; return nil }},
	"fail-ocsp-callback":    {boolFlag, func(s *settings, _ string) error { s.failOCSP = true; return nil }},
	"ocsp-response": {stringFlag, func(s *settings, v string) (err error) {
		s.cred().ocsp, err = base64.StdEncoding.DecodeString(v)
		return err
	}},
	"expect-hrr":                      {boolFlag, func(s *settings, _ string) error { s.expectHRR = true; return nil }},
	"expect-no-hrr":                   {boolFlag, func(s *settings, _ string) error { s.expectNoHRR = true; return nil }},
	"verify-fail":                     {boolFlag, func(s *settings, _ string) error { s.verifyFail = true; return nil }},
	"expect-peer-signature-algorithm": {intFlag, func(s *settings, v string) error { return atoi(v, &s.expectPeerSigAlg) }},
	"signing-prefs": {intFlag, func(s *settings, v string) error {
		var n uint16
		err := atou16(v, &n)
		c := s.cred()
		c.signingPrefs = append(c.signingPrefs, hasp.SignatureScheme(n))
		return err
	}},
	"verify-prefs": {intFlag, func(s *settings, v string) error {
		var n uint16
		err := atou16(v, &n)
		s.verifyPrefs = append(s.verifyPrefs, hasp.SignatureScheme(n))
		return err
	}},
	// BoringSSL's verify result: X509_V_OK after a handshake that
	// verified, which is every handshake that gets this far (a refused
	// chain ends it).
	"psk":                {stringFlag, func(s *settings, v string) error { s.psk, s.hasPSK = v, true; return nil }},
	"psk-identity":       {stringFlag, func(s *settings, v string) error { s.pskIdentity = v; return nil }},
	"tls-unique":         {boolFlag, func(s *settings, _ string) error { s.tlsUnique = true; return nil }},
	"no-ticket":          {boolFlag, func(s *settings, _ string) error { s.noTicket = true; return nil }},
	"expect-server-name": {stringFlag, func(s *settings, v string) error { s.expectServerName = v; return nil }},
	"expect-ocsp-response": {stringFlag, func(s *settings, v string) (err error) {
		s.expectOCSP, err = base64.StdEncoding.DecodeString(v)
		return err
	}},
	"expect-signed-cert-timestamps": {stringFlag, func(s *settings, v string) (err error) {
		s.expectSCTs, err = base64.StdEncoding.DecodeString(v)
		return err
	}},
	"signed-cert-timestamps": {stringFlag, func(s *settings, v string) error {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return err
		}
		s.cred().scts, err = parseSCTList(b)
		return err
	}},
	// A hasp client always asks for SCTs (and OCSP): hasp/trust judges them.
	"enable-signed-cert-timestamps": {boolFlag, func(*settings, string) error { return nil }},
	"expect-advertised-alpn":        {stringFlag, func(s *settings, v string) error { s.expectAdvertisedALPN = []byte(v); return nil }},
	"expect-peer-cert-file":         {stringFlag, func(s *settings, v string) error { s.expectPeerCertFile = v; return nil }},
	"key-update":                    {boolFlag, func(s *settings, _ string) error { s.keyUpdate = true; return nil }},
	"key-update-before-read":        {boolFlag, func(s *settings, _ string) error { s.keyUpdateBeforeRead = true; return nil }},
	// BoringSSL's client-certificate callback hands over the configured
	// certificate when the server asks: hasp's GetClientCertificate.
	"use-old-client-cert-callback": {boolFlag, func(s *settings, _ string) error { s.oldClientCertCB = true; return nil }},
	"reverify-on-resume":           {boolFlag, func(s *settings, _ string) error { s.reverifyOnResume = true; return nil }},
	"expect-peer-verify-pref": {intFlag, func(s *settings, v string) error {
		var n uint16
		err := atou16(v, &n)
		s.expectPeerVerifyPref = append(s.expectPeerVerifyPref, hasp.SignatureScheme(n))
		return err
	}},
	"fips-202205":            {boolFlag, func(s *settings, _ string) error { return s.setPolicy("fips-202205") }},
	"wpa-202304":             {boolFlag, func(s *settings, _ string) error { return s.setPolicy("wpa-202304") }},
	"expect-verify-result":   {boolFlag, func(s *settings, _ string) error { s.expectVerifyResult = true; return nil }},
	"export-keying-material": {intFlag, func(s *settings, v string) error { return atoi(v, &s.exportLength) }},
	"export-label":           {stringFlag, func(s *settings, v string) error { s.exportLabel = v; return nil }},
	"export-context":         {stringFlag, func(s *settings, v string) error { s.exportContext = v; return nil }},
	"use-export-context":     {boolFlag, func(s *settings, _ string) error { s.useExportContext = true; return nil }},
}

func (s *settings) setPolicy(p string) error {
	if s.policy != "" && s.policy != p {
		return errors.New("multiple policy options given")
	}
	s.policy = p
	return nil
}

// parseSCTList splits a SignedCertificateTimestampList (RFC 6962 section
// 3.3) into its SCTs.
func parseSCTList(b []byte) ([][]byte, error) {
	if len(b) < 2 || int(b[0])<<8|int(b[1]) != len(b)-2 {
		return nil, errors.New("bad SCT list")
	}
	var out [][]byte
	for b = b[2:]; len(b) > 0; {
		if len(b) < 2 || int(b[0])<<8|int(b[1]) > len(b)-2 {
			return nil, errors.New("bad SCT list")
		}
		n := int(b[0])<<8 | int(b[1])
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

// sctList is the inverse of parseSCTList.
func sctList(scts [][]byte) []byte {
	var body []byte
	for _, s := range scts {
		body = append(body, byte(len(s)>>8), byte(len(s)))
		body = append(body, s...)
	}
	if body == nil {
		return nil
	}
	return append([]byte{byte(len(body) >> 8), byte(len(body))}, body...)
}

// alpnList is the wire form of a protocol list (what -advertise-alpn
// takes).
func alpnList(protos []string) []byte {
	var out []byte
	for _, p := range protos {
		out = append(out, byte(len(p)))
		out = append(out, p...)
	}
	return out
}

// helloSeen is what a server's certificate hook saw of the ClientHello.
var helloSeen *hasp.ClientHelloInfo

func atoi(v string, p *int) (err error) { *p, err = strconv.Atoi(v); return err }

func atou16(v string, p *uint16) error {
	n, err := strconv.ParseUint(v, 10, 16)
	*p = uint16(n)
	return err
}

func main() {
	for _, a := range os.Args[1:] {
		if a == "-is-handshaker-supported" {
			fmt.Println("No")
			return
		}
	}
	initial, resume, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		var u unimplemented
		if errors.As(err, &u) {
			if log := os.Getenv("HASP_SHIM_UNIMPLEMENTED_LOG"); log != "" {
				// Which flags are missing, for deciding what to add next.
				if f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
					fmt.Fprintln(f, string(u))
					f.Close()
				}
			}
			os.Exit(exitUnimplemented)
		}
		os.Exit(1)
	}
	if !initial.server && (initial.expectPeerVerifyPref != nil || resume.expectPeerVerifyPref != nil) {
		// The client's certificate choice is hasp's own, inside; the
		// request's schemes are only seen by a GetClientCertificate.
		fmt.Fprintln(os.Stderr, "unimplemented: -expect-peer-verify-pref on a client")
		os.Exit(exitUnimplemented)
	}
	if initial.server && (initial.expectPeerSigAlg != 0 || resume.expectPeerSigAlg != 0) {
		// A hasp server does not report the client's signature scheme.
		fmt.Fprintln(os.Stderr, "unimplemented: -expect-peer-signature-algorithm on a server")
		os.Exit(exitUnimplemented)
	}
	cache := hasp.NewLRUClientSessionCache(8)
	ticketKeys := [][32]byte{{1, 2, 3}}
	// One Config for all connections when their settings agree, so that a
	// server's TLS 1.2 session-ID cache carries over to the resumption.
	var shared *hasp.Config
	for i := 0; i <= initial.resumeCount; i++ {
		s := initial
		if i > 0 {
			s = resume
		}
		cfg := shared
		if cfg == nil || !reflect.DeepEqual(initial, resume) {
			if cfg, err = config(s, cache, ticketKeys); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			shared = cfg
		}
		if err := connect(s, i > 0, cfg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

type unimplemented string

func (u unimplemented) Error() string { return "unimplemented: " + string(u) }

// parse reads the flags into the settings of the first connection and of
// the resumed ones.
func parse(args []string) (initial, resume settings, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return initial, resume, fmt.Errorf("unexpected argument %q", a)
		}
		name := a[1:]
		targets := []*settings{&initial, &resume}
		switch {
		case strings.HasPrefix(name, "on-initial-"):
			name, targets = strings.TrimPrefix(name, "on-initial-"), []*settings{&initial}
		case strings.HasPrefix(name, "on-resume-"):
			name, targets = strings.TrimPrefix(name, "on-resume-"), []*settings{&resume}
		case strings.HasPrefix(name, "on-retry-"):
			return initial, resume, unimplemented(a)
		}
		f, ok := flags[name]
		if !ok {
			return initial, resume, unimplemented(a)
		}
		v := ""
		if f.kind != boolFlag {
			if i+1 >= len(args) {
				return initial, resume, fmt.Errorf("%s needs a value", a)
			}
			i++
			v = args[i]
		}
		for _, t := range targets {
			if err := f.set(t, v); err != nil {
				return initial, resume, fmt.Errorf("%s %q: %v", a, v, err)
			}
		}
	}
	return initial, resume, nil
}

// config builds the hasp configuration of one connection.
func config(s settings, cache hasp.ClientSessionCache, ticketKeys [][32]byte) (*hasp.Config, error) {
	cfg := &hasp.Config{
		// No SNI unless -host-name, as BoringSSL's own shim.
		// BoringSSL's shim never fails a chain unless -verify-fail says
		// so (its verification callback accepts); that hook is below.
		InsecureSkipVerify: true,
		ClientSessionCache: cache,
		MinVersion:         s.minVersion,
		MaxVersion:         s.maxVersion,
		NextProtos:         s.advertiseALPN,
		CurvePreferences:   s.curves,
		SignatureSchemes:   s.verifyPrefs,
	}
	cfg.SetSessionTicketKeys(ticketKeys)
	if p, ok := policies[s.policy]; ok {
		// BoringSSL applies the policy over the context's verify
		// preferences and the default credential's signing ones; the
		// version and curve flags apply after it.
		cfg.CipherSuites, cfg.SignatureSchemes = p.suites, p.schemes
		if s.curves == nil {
			cfg.CurvePreferences = p.groups
		}
	}
	if s.hostName != "" {
		cfg.ServerName = s.hostName
	}
	if s.noTLS13 {
		cfg.MaxVersion = hasp.VersionTLS12
	}
	if s.noTLS12 {
		cfg.MinVersion = hasp.VersionTLS13
	}
	if s.selectALPN != "" {
		cfg.NextProtos = []string{s.selectALPN}
	}
	if s.declineALPN {
		cfg.NextProtos = nil
	}
	for _, c := range s.ordered() {
		cert, err := hasp.LoadX509KeyPair(c.certFile, c.keyFile)
		if err != nil {
			return nil, err
		}
		cert.OCSPStaple = c.ocsp
		if s.ocspCallback && s.declineOCSP {
			cert.OCSPStaple = nil
		}
		cert.SupportedSignatureAlgorithms = c.signingPrefs
		cert.SignedCertificateTimestamps = c.scts
		if p, ok := policies[s.policy]; ok && c.index < 0 {
			cert.SupportedSignatureAlgorithms = p.schemes
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}

	// BoringSSL's shim verifies the peer's chain (its callback accepts
	// any unless -verify-fail) and ends the handshake on a failure only in
	// SSL_VERIFY_PEER mode: -verify-peer, or -require-any-client-
	// certificate on a server. Otherwise a failure is only recorded.
	fatal := s.verifyPeer || s.server && s.requireClientCert
	verify := func() error {
		verifyFailed = s.verifyFail
		if s.verifyFail && fatal {
			// BoringSSL refuses with certificate_unknown when its custom
			// verification callback says no, and with handshake_failure
			// for X509_V_ERR_APPLICATION_VERIFICATION from its X.509 one.
			alert := hasp.AlertHandshakeFailure
			if s.customVerify {
				alert = hasp.AlertCertificateUnknown
			}
			return &hasp.AlertError{Alert: alert, Reason: "certificate verify failed (-verify-fail)"}
		}
		return nil
	}
	cfg.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error { return verify() }
	cfg.VerifyConnection = func(st hasp.ConnectionState) error {
		if s.ocspCallback && s.failOCSP && !s.server {
			// The client's OCSP callback runs with or without a staple.
			return &hasp.AlertError{Alert: hasp.AlertBadCertificateStatusResponse, Reason: "OCSP callback failed"}
		}
		if s.reverifyOnResume && st.DidResume {
			// BoringSSL's SSL_CTX_set_reverify_on_resume runs the
			// verification callback again on resumption.
			return verify()
		}
		return nil
	}
	if s.noTicket {
		cfg.SessionTicketsDisabled = true
	}
	if s.hasPSK {
		// BoringSSL's PSK callbacks: the identity is also the server's
		// hint, and the client checks the hint against it. With them
		// BoringSSL offers its PSK suites besides the others.
		id, key := s.pskIdentity, []byte(s.psk)
		cfg.PSK = &hasp.PSKConfig{
			Hint: []byte(id),
			ClientKey: func(hint []byte) ([]byte, []byte, error) {
				if string(hint) != id {
					return nil, nil, fmt.Errorf("server PSK hint %q, want %q", hint, id)
				}
				return []byte(id), key, nil
			},
			ServerKey: func(identity []byte) ([]byte, error) {
				if string(identity) != id {
					return nil, fmt.Errorf("client PSK identity %q, want %q", identity, id)
				}
				return key, nil
			},
		}
		if cfg.CipherSuites == nil {
			cfg.CipherSuites = []uint16{hasp.TLS_AES_128_GCM_SHA256, hasp.TLS_AES_256_GCM_SHA384, hasp.TLS_CHACHA20_POLY1305_SHA256,
				hasp.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, hasp.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
				hasp.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, hasp.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
				hasp.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, hasp.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
				hasp.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, hasp.TLS_PSK_WITH_AES_128_GCM_SHA256, hasp.TLS_PSK_WITH_AES_256_GCM_SHA384,
				hasp.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256}
		}
	}
	if s.server {
		// Falls through to hasp's own choice among Certificates after
		// noting what the client sent.
		cfg.GetCertificate = func(h *hasp.ClientHelloInfo) (*hasp.Certificate, error) {
			helloSeen = h
			if s.ocspCallback && s.failOCSP {
				return nil, &hasp.AlertError{Alert: hasp.AlertInternalError, Reason: "OCSP callback failed"}
			}
			return nil, nil
		}
	}
	if s.oldClientCertCB && !s.server {
		certs := cfg.Certificates
		cfg.Certificates = nil
		cfg.GetClientCertificate = func(*hasp.CertificateRequestInfo) (*hasp.Certificate, error) {
			if len(certs) == 0 {
				return nil, nil
			}
			return &certs[0], nil
		}
	}
	if s.trustCert != "" {
		b, err := os.ReadFile(s.trustCert)
		if err != nil {
			return nil, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, errors.New("-trust-cert: no PEM")
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AddCert(c)
		cfg.ClientCAs = cfg.RootCAs
	}
	switch {
	case s.requireClientCert:
		cfg.ClientAuth = hasp.RequireAnyClientCert
	case s.verifyPeer && s.server:
		// BoringSSL's SSL_VERIFY_PEER on a server: ask for a certificate,
		// take any (the shim's verification callback accepts).
		cfg.ClientAuth = hasp.RequestClientCert
	}
	return cfg, nil
}

// lingerConn closes as a TCP peer that has said its last word should:
// it half-closes, then reads what the runner still sends (for a moment at
// most) before closing. Closing with unread bytes makes the kernel send a
// reset, and the runner, still writing its flight, then loses the alert
// hasp sent just before: the test would fail on timing, not on hasp.
type lingerConn struct{ *net.TCPConn }

func (c lingerConn) Close() error {
	c.CloseWrite()
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.Copy(io.Discard, c.TCPConn)
	return c.TCPConn.Close()
}

// connect runs one connection of the test.
func connect(s settings, resumed bool, cfg *hasp.Config) error {
	host := "127.0.0.1"
	if s.ipv6 {
		host = "::1"
	}
	raw, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(s.port)))
	if err != nil {
		return err
	}
	raw = lingerConn{raw.(*net.TCPConn)}
	defer raw.Close()
	var id [8]byte
	binary.LittleEndian.PutUint64(id[:], uint64(s.shimID))
	if _, err := raw.Write(id[:]); err != nil {
		return err
	}
	var conn *hasp.Conn
	if s.server {
		conn = hasp.Server(raw, cfg)
	} else {
		conn = hasp.Client(raw, cfg)
	}
	if err := conn.Handshake(); err != nil {
		return err
	}
	st := conn.ConnectionState()
	if s.expectVersion != 0 && st.Version != s.expectVersion {
		return fmt.Errorf("negotiated version %04x, want %04x", st.Version, s.expectVersion)
	}
	if s.expectALPN != "" && st.NegotiatedProtocol != s.expectALPN {
		return fmt.Errorf("ALPN %q, want %q", st.NegotiatedProtocol, s.expectALPN)
	}
	if s.expectHRR && !st.HelloRetryRequest || s.expectNoHRR && st.HelloRetryRequest {
		return fmt.Errorf("HelloRetryRequest %v, want %v", st.HelloRetryRequest, s.expectHRR)
	}
	if s.expectPeerSigAlg != 0 && !st.DidResume && int(st.SignatureScheme) != s.expectPeerSigAlg {
		return fmt.Errorf("peer signature algorithm %04x, want %04x", st.SignatureScheme, s.expectPeerSigAlg)
	}
	if s.expectCredential != nil {
		got := -2 // none of ours
		if chain := conn.LocalCertificateChain(); len(chain) > 0 {
			for i, c := range cfg.Certificates {
				if bytes.Equal(c.Certificate[0], chain[0]) {
					got = s.loadedIndex(i)
				}
			}
		}
		if got != *s.expectCredential {
			return fmt.Errorf("selected credential %d, want %d", got, *s.expectCredential)
		}
	}
	if s.expectCurve != 0 && int(st.CurveID) != s.expectCurve {
		return fmt.Errorf("group %d, want %d", st.CurveID, s.expectCurve)
	}
	if resumed && s.expectSessionMiss && st.DidResume {
		return errors.New("resumed, want a full handshake")
	}
	if resumed && !s.expectSessionMiss && !st.DidResume {
		return errors.New("did not resume")
	}
	if s.expectVerifyResult && verifyFailed != s.verifyFail {
		return fmt.Errorf("verification failed: %v, want %v", verifyFailed, s.verifyFail)
	}
	if s.expectServerName != "" && st.ServerName != s.expectServerName {
		return fmt.Errorf("server name %q, want %q", st.ServerName, s.expectServerName)
	}
	if s.expectOCSP != nil && !bytes.Equal(st.OCSPResponse, s.expectOCSP) {
		return fmt.Errorf("OCSP response %x, want %x", st.OCSPResponse, s.expectOCSP)
	}
	if s.expectSCTs != nil && !bytes.Equal(sctList(st.SignedCertificateTimestamps), s.expectSCTs) {
		return fmt.Errorf("SCT list %x, want %x", sctList(st.SignedCertificateTimestamps), s.expectSCTs)
	}
	if s.expectAdvertisedALPN != nil && (helloSeen == nil || !bytes.Equal(alpnList(helloSeen.SupportedProtos), s.expectAdvertisedALPN)) {
		return errors.New("the client's ALPN list is not the one expected")
	}
	if s.expectPeerVerifyPref != nil && !resumed {
		if helloSeen == nil || !reflect.DeepEqual(helloSeen.SignatureSchemes, s.expectPeerVerifyPref) {
			return errors.New("the client's signature_algorithms are not the ones expected")
		}
	}
	if s.expectPeerCertFile != "" {
		b, err := os.ReadFile(s.expectPeerCertFile)
		if err != nil {
			return err
		}
		var want [][]byte
		for blk, rest := pem.Decode(b); blk != nil; blk, rest = pem.Decode(rest) {
			want = append(want, blk.Bytes)
		}
		var got [][]byte
		for _, c := range st.PeerCertificates {
			got = append(got, c.Raw)
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("peer sent %d certificates, not the %d of %s", len(got), len(want), s.expectPeerCertFile)
		}
	}
	if s.exportLength > 0 {
		var context []byte
		if s.useExportContext {
			context = []byte(s.exportContext)
		}
		ekm, err := st.ExportKeyingMaterial(s.exportLabel, context, s.exportLength)
		if err != nil {
			return err
		}
		if _, err := conn.Write(ekm); err != nil {
			return err
		}
	}
	if s.tlsUnique {
		if len(st.TLSUnique) != 12 {
			return fmt.Errorf("tls-unique of %d bytes, want 12", len(st.TLSUnique))
		}
		if _, err := conn.Write(st.TLSUnique); err != nil {
			return err
		}
	}
	if s.writesFirst {
		if _, err := io.WriteString(conn, "hello"); err != nil {
			return err
		}
	}
	if s.shutsDown && s.checkCloseNotify {
		// Our close_notify, then the peer's: anything else before it
		// (data, a renegotiation request, an alert, a bare EOF) fails.
		if err := conn.CloseWrite(); err != nil {
			return err
		}
		n, err := conn.Read(make([]byte, 1))
		switch {
		case n > 0:
			return errors.New("application data on shutdown")
		case err == io.EOF && conn.CloseNotifyReceived():
			return nil
		case err == io.EOF:
			return errors.New("the peer closed without close_notify")
		case err == nil:
			return errors.New("no close_notify")
		}
		return err
	}
	if s.shutsDown {
		return conn.Close()
	}
	buf := make([]byte, 1<<14)
	for {
		if s.keyUpdateBeforeRead {
			if err := conn.KeyUpdate(false); err != nil {
				return err
			}
		}
		n, err := conn.Read(buf)
		if s.keyUpdate && err == nil {
			if err := conn.KeyUpdate(false); err != nil {
				return err
			}
		}
		for i := range buf[:n] {
			buf[i] ^= 0xff
		}
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF && s.checkCloseNotify && !conn.CloseNotifyReceived() {
			return errors.New("the peer closed without close_notify")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
