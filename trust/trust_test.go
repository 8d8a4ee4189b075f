package trust

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/hasp-tls/hasp/internal/atomicfile"
)

// A test PKI made here: roots, an intermediate, a cross-signed path and
// leaves of every kind the checks must tell apart.

var serial int64 = 100

func nextSerial() *big.Int { serial++; return big.NewInt(serial) }

type node struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func mustKey(bits int) crypto.Signer {
	if bits > 0 {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func issue(tmpl *x509.Certificate, key crypto.Signer, parent *node) *node {
	tmpl.SerialNumber = nextSerial()
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(90 * 24 * time.Hour)
	}
	pt, pk := tmpl, key
	if parent != nil {
		pt, pk = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pt, key.Public(), pk)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &node{c, key}
}

func ca(name string, parent *node, key crypto.Signer) *node {
	if key == nil {
		key = mustKey(0)
	}
	return issue(&x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, key, parent)
}

func leafTmpl(names ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

type pki struct {
	rootA, rootB, inter, crossInter *node
	pool                            *x509.CertPool // trusts rootA only
}

var testPKI = sync.OnceValue(func() *pki {
	p := &pki{}
	p.rootA = ca("Root A", nil, nil)
	p.rootB = ca("Root B", nil, nil)
	p.inter = ca("Intermediate", p.rootA, nil)
	// The same intermediate key and name, cross-signed by Root B.
	p.crossInter = issue(&x509.Certificate{Subject: pkix.Name{CommonName: "Intermediate"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, p.inter.key, p.rootB)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.rootA.cert)
	return p
})

func chainOf(nodes ...*node) []*x509.Certificate {
	out := make([]*x509.Certificate, len(nodes))
	for i, n := range nodes {
		out[i] = n.cert
	}
	return out
}

func TestVerdictTable(t *testing.T) {
	p := testPKI()
	now := time.Now()
	good := issue(leafTmpl("good.test"), mustKey(0), p.inter)
	expired := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "expired.test"}, DNSNames: []string{"expired.test"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, mustKey(0), p.inter)
	future := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "future.test"}, DNSNames: []string{"future.test"},
		NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, mustKey(0), p.inter)
	soon := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "soon.test"}, DNSNames: []string{"soon.test"},
		NotAfter: now.Add(3 * 24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, mustKey(0), p.inter)
	sha1Tmpl := leafTmpl("sha1.test")
	sha1Tmpl.SignatureAlgorithm = x509.SHA1WithRSA
	rsaInter := ca("RSA Intermediate", p.rootA, mustKey(2048))
	sha1 := issue(sha1Tmpl, mustKey(0), rsaInter)
	weak := issue(leafTmpl("weak.test"), mustKey(1024), p.inter)
	self := issue(leafTmpl("self.test"), mustKey(0), nil)
	constrained := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "Constrained"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, PermittedDNSDomains: []string{"example.com"}}, mustKey(0), p.rootA)
	outside := issue(leafTmpl("evil.test"), mustKey(0), constrained)
	staple := leafTmpl("staple.test")
	staple.ExtraExtensions = []pkix.Extension{{Id: oidTLSFeature, Value: mustMarshal([]int{5})}}
	mustStapleLeaf := issue(staple, mustKey(0), p.inter)
	crossLeaf := issue(leafTmpl("cross.test"), mustKey(0), p.inter)
	poolB := x509.NewCertPool()
	poolB.AddCert(p.rootB.cert)

	cases := []struct {
		name    string
		chain   []*x509.Certificate
		host    string
		roots   *x509.CertPool
		trusted bool
		failed  []string
		warned  []string
	}{
		{"good", chainOf(good, p.inter), "good.test", p.pool, true, nil, nil},
		{"wrong name", chainOf(good, p.inter), "other.test", p.pool, false, []string{CheckName}, nil},
		{"expired", chainOf(expired, p.inter), "expired.test", p.pool, false, []string{CheckValidity}, nil},
		{"not yet valid", chainOf(future, p.inter), "future.test", p.pool, false, []string{CheckValidity}, nil},
		{"expiring soon", chainOf(soon, p.inter), "soon.test", p.pool, true, nil, []string{CheckValidity}},
		{"SHA-1 signed", chainOf(sha1, rsaInter), "sha1.test", p.pool, false, []string{CheckSignature, CheckChain}, nil},
		{"RSA-1024", chainOf(weak, p.inter), "weak.test", p.pool, false, []string{CheckKey}, nil},
		{"self-signed", chainOf(self), "self.test", p.pool, false, []string{CheckChain}, []string{CheckSelfSigned}},
		{"unknown root", chainOf(good, p.inter), "good.test", poolB, false, []string{CheckChain}, nil},
		{"cross-signed path to the other root", chainOf(crossLeaf, p.crossInter), "cross.test", poolB, true, nil, nil},
		{"outside name constraints", chainOf(outside, constrained), "evil.test", p.pool, false, []string{CheckChain}, nil},
		{"must-staple without a staple", chainOf(mustStapleLeaf, p.inter), "staple.test", p.pool, false, []string{CheckMustStaple}, nil},
		{"no certificate", nil, "x.test", p.pool, false, []string{CheckChain}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := (&Verifier{Roots: tc.roots}).Verify(context.Background(), Input{Chain: tc.chain, Host: tc.host, Time: now})
			if v.Trusted != tc.trusted {
				t.Errorf("trusted %v, want %v\n%s", v.Trusted, tc.trusted, v)
			}
			failed := v.Failed()
			for _, f := range tc.failed {
				if !contains(failed, f) {
					t.Errorf("check %s did not fail (failed: %v)\n%s", f, failed, v)
				}
			}
			if tc.failed == nil && len(failed) > 0 {
				t.Errorf("unexpected failures %v\n%s", failed, v)
			}
			for _, w := range tc.warned {
				if c, _ := v.Check(w); c.Outcome != Warn {
					t.Errorf("check %s is %s, want warn", w, c.Outcome)
				}
			}
			if tc.trusted && v.Score < 50 || !tc.trusted && v.Score == 100 {
				t.Errorf("score %d", v.Score)
			}
			if _, err := v.JSON(); err != nil {
				t.Error(err)
			}
		})
	}
	// The wrong-name verdict lists the names the certificate has.
	v := (&Verifier{Roots: p.pool}).Verify(context.Background(), Input{Chain: chainOf(good, p.inter), Host: "other.test"})
	if c, _ := v.Check(CheckName); !strings.Contains(c.Reason, "good.test") {
		t.Errorf("name reason %q does not list the certificate's names", c.Reason)
	}
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestOCSPVerdicts(t *testing.T) {
	p := testPKI()
	leaf := issue(leafTmpl("ocsp.test"), mustKey(0), p.inter)
	now := time.Now()
	resp := func(status int, this, next time.Time, signer *node) []byte {
		b, err := ocsp.CreateResponse(p.inter.cert, signer.cert, ocsp.Response{
			Status: status, SerialNumber: leaf.cert.SerialNumber, ThisUpdate: this, NextUpdate: next,
			RevokedAt: now.Add(-time.Hour), RevocationReason: ocsp.KeyCompromise,
		}, signer.key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		staple  []byte
		policy  Policy
		outcome Outcome
		trusted bool
	}{
		{"good", resp(ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), p.inter), Strict, Pass, false /* no SCTs */},
		{"good (browser)", resp(ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), p.inter), Browser, Pass, true},
		{"revoked", resp(ocsp.Revoked, now.Add(-time.Hour), now.Add(time.Hour), p.inter), Browser, Fail, false},
		{"stale", resp(ocsp.Good, now.Add(-48*time.Hour), now.Add(-24*time.Hour), p.inter), Browser, Fail, true},
		{"wrong responder", resp(ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), p.rootB), Browser, Fail, true},
		{"none", nil, Browser, NotApplicable, true},
		// OpenSSL's responder puts its own certificate in the response
		// even when it is the issuer itself.
		{"issuer embeds itself", func() []byte {
			b, err := ocsp.CreateResponse(p.inter.cert, p.inter.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.cert.SerialNumber,
				ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour), Certificate: p.inter.cert}, p.inter.key)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}(), Browser, Pass, true},
		{"another CA embeds itself", func() []byte {
			b, _ := ocsp.CreateResponse(p.inter.cert, p.rootB.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.cert.SerialNumber,
				ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour), Certificate: p.rootB.cert}, p.rootB.key)
			return b
		}(), Browser, Fail, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := (&Verifier{Roots: p.pool, Policy: tc.policy}).Verify(context.Background(),
				Input{Chain: chainOf(leaf, p.inter), Host: "ocsp.test", OCSP: tc.staple, Time: now})
			c, _ := v.Check(CheckOCSP)
			if c.Outcome != tc.outcome || v.Trusted != tc.trusted {
				t.Fatalf("ocsp %s (%s), trusted %v; want %s, %v\n%s", c.Outcome, c.Reason, v.Trusted, tc.outcome, tc.trusted, v)
			}
		})
	}
}

func TestPinsAndPolicies(t *testing.T) {
	p := testPKI()
	self := issue(leafTmpl("pinned.test"), mustKey(0), nil)
	in := Input{Chain: chainOf(self), Host: "pinned.test"}
	if v := (&Verifier{Roots: p.pool}).Verify(context.Background(), in); v.Trusted {
		t.Fatal("self-signed trusted by the browser policy")
	}
	v := (&Verifier{Roots: p.pool, Policy: Pinned, Pins: []string{"sha256/" + SPKIHash(self.cert)}}).Verify(context.Background(), in)
	if !v.Trusted {
		t.Fatalf("pinned self-signed not trusted:\n%s", v)
	}
	v = (&Verifier{Roots: p.pool, Policy: Pinned, Pins: []string{"sha256/AAAA"}}).Verify(context.Background(), in)
	if v.Trusted || !contains(v.Failed(), CheckPin) {
		t.Fatalf("wrong pin trusted:\n%s", v)
	}
	v = (&Verifier{Roots: p.pool, Policy: Opportunistic}).Verify(context.Background(), in)
	if !v.Trusted || !strings.Contains(v.Summary, "UNAUTHENTICATED") {
		t.Fatalf("opportunistic: %s", v)
	}
	if _, err := PolicyByName("nope"); err == nil {
		t.Error("unknown policy accepted")
	}
}

func TestKnownHostsAndExceptions(t *testing.T) {
	p := testPKI()
	dir := t.TempDir()
	kh := OpenKnownHosts(filepath.Join(dir, "known_hosts"))
	self := issue(leafTmpl("tofu.test"), mustKey(0), nil)
	other := issue(leafTmpl("tofu.test"), mustKey(0), nil)
	vf := &Verifier{Roots: p.pool, Policy: TOFU, KnownHosts: kh}
	in := Input{Chain: chainOf(self), Host: "tofu.test", Port: "443"}
	if v := vf.Verify(context.Background(), in); v.Trusted {
		t.Fatal("unknown self-signed host trusted on TOFU before it was remembered")
	}
	now := time.Now()
	if err := kh.Remember("tofu.test:443", SPKIHash(self.cert), now); err != nil {
		t.Fatal(err)
	}
	if v := vf.Verify(context.Background(), in); !v.Trusted {
		t.Fatalf("remembered host not trusted:\n%s", v)
	}
	if err := kh.Remember("tofu.test:443", SPKIHash(self.cert), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if h, _ := kh.Lookup("tofu.test:443"); !h.LastSeen.After(h.FirstSeen) {
		t.Error("last seen not updated")
	}
	in.Chain = chainOf(other)
	v := vf.Verify(context.Background(), in)
	if v.Trusted || !contains(v.Failed(), CheckKnownHost) || !strings.Contains(v.String(), "KEY CHANGED") {
		t.Fatalf("changed key:\n%s", v)
	}
	err := kh.Remember("tofu.test:443", SPKIHash(other.cert), now)
	if !errors.Is(err, ErrKeyChanged) || !strings.Contains(err.Error(), SPKIHash(self.cert)) || !strings.Contains(err.Error(), SPKIHash(other.cert)) {
		t.Fatalf("Remember with another key: %v", err)
	}

	// An exception trusts one certificate for one host until it expires.
	ex := OpenExceptions(filepath.Join(dir, "exceptions"))
	vf = &Verifier{Roots: p.pool, Exceptions: ex}
	in = Input{Chain: chainOf(other), Host: "tofu.test", Port: "443", Time: now}
	if err := ex.Grant("tofu.test:443", CertHash(other.cert), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	v = vf.Verify(context.Background(), in)
	if !v.Trusted || !v.ViaException || !v.Until.Equal(now.Add(time.Hour).Truncate(time.Second)) {
		t.Fatalf("exception:\n%s %v %v", v, v.ViaException, v.Until)
	}
	in.Time = now.Add(2 * time.Hour)
	if v := vf.Verify(context.Background(), in); v.Trusted {
		t.Fatal("trusted after the exception expired")
	}
}

// Two processes remembering hosts at once lose nothing.
func TestKnownHostsConcurrentProcesses(t *testing.T) {
	if os.Getenv("HASP_TRUST_HELPER") != "" {
		return
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	var cmds []*exec.Cmd
	for i := 0; i < 2; i++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestKnownHostsHelper$")
		cmd.Env = append(os.Environ(), "HASP_TRUST_HELPER=write", "HASP_TRUST_FILE="+path, "HASP_TRUST_PREFIX="+string(rune('a'+i)))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	all, err := OpenKnownHosts(path).All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*helperWrites {
		t.Fatalf("%d entries, want %d", len(all), 2*helperWrites)
	}
}

const helperWrites = 25

// A write killed halfway leaves the old file whole.
func TestKnownHostsKilledWrite(t *testing.T) {
	if os.Getenv("HASP_TRUST_HELPER") != "" {
		return
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	kh := OpenKnownHosts(path)
	if err := kh.Remember("kept.test:443", "KEPT", time.Now()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKnownHostsHelper$")
	cmd.Env = append(os.Environ(), "HASP_TRUST_HELPER=hang", "HASP_TRUST_FILE="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	out.Read(buf) // the helper says it is inside the write
	cmd.Process.Kill()
	cmd.Wait()
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatalf("file changed by a killed write:\n%s\n---\n%s", before, after)
	}
	if _, ok := kh.Lookup("kept.test:443"); !ok {
		t.Fatal("entry lost")
	}
}

func TestKnownHostsHelper(t *testing.T) {
	path := os.Getenv("HASP_TRUST_FILE")
	switch os.Getenv("HASP_TRUST_HELPER") {
	case "write":
		kh := OpenKnownHosts(path)
		for i := 0; i < helperWrites; i++ {
			host := os.Getenv("HASP_TRUST_PREFIX") + strings.Repeat("x", i) + ".test:443"
			if err := kh.Remember(host, "KEY", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	case "hang":
		atomicfile.BeforeRename = func() {
			os.Stdout.WriteString("inside\n")
			time.Sleep(time.Minute)
		}
		OpenKnownHosts(path).Remember("new.test:443", "NEW", time.Now())
	}
}

func FuzzParseKnownHosts(f *testing.F) {
	f.Add([]byte("# c\nexample.com:443 sha256/AAAA 2026-01-01T00:00:00Z 2026-01-02T00:00:00Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hosts, err := ParseKnownHosts(b)
		if err != nil {
			return
		}
		for _, h := range hosts {
			if _, err := knownHostFromFields(h.fields()); err != nil {
				t.Fatalf("entry does not round-trip: %v", err)
			}
		}
	})
}

func FuzzParseExceptions(f *testing.F) {
	f.Add([]byte("example.com:443 cert-sha256/AAAA 2026-01-01T00:00:00Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseExceptions(b); err != nil {
			return
		}
	})
}

// makeSCT signs an SCT for leaf with a log key (RFC 6962 section 3.2).
func makeSCT(t *testing.T, logKey *ecdsa.PrivateKey, leaf *x509.Certificate) []byte {
	spki, _ := x509.MarshalPKIXPublicKey(&logKey.PublicKey)
	id := sha256.Sum256(spki)
	ts := []byte{0, 0, 1, 0x8b, 0, 0, 0, 0}
	signed := append([]byte{0, 0}, ts...)
	signed = append(signed, 0, 0, byte(len(leaf.Raw)>>16), byte(len(leaf.Raw)>>8), byte(len(leaf.Raw)))
	signed = append(signed, leaf.Raw...)
	signed = append(signed, 0, 0)
	d := sha256.Sum256(signed)
	sig, err := ecdsa.SignASN1(rand.Reader, logKey, d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte{0}, id[:]...)
	out = append(out, ts...)
	out = append(out, 0, 0, 4, 3, byte(len(sig)>>8), byte(len(sig)))
	return append(out, sig...)
}

func TestSCTVerification(t *testing.T) {
	p := testPKI()
	leaf := issue(leafTmpl("ct.test"), mustKey(0), p.inter)
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dir := t.TempDir()
	var keys []string
	for _, k := range []*ecdsa.PrivateKey{k1, k2} {
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		keys = append(keys, `{"key":"`+base64Std(der)+`"}`)
	}
	list := `{"operators":[{"logs":[` + strings.Join(keys, ",") + `]}]}`
	path := filepath.Join(dir, "log_list.json")
	os.WriteFile(path, []byte(list), 0o600)
	logs, err := LoadLogList(path)
	if err != nil || len(logs) != 2 {
		t.Fatalf("log list: %v, %d logs", err, len(logs))
	}
	good1, good2 := makeSCT(t, k1, leaf.cert), makeSCT(t, k2, leaf.cert)
	bad := append([]byte(nil), good2...)
	bad[len(bad)-1] ^= 1
	vf := &Verifier{Roots: p.pool, Logs: logs, Policy: Strict}
	for _, tc := range []struct {
		name string
		scts [][]byte
		want Outcome
	}{
		{"two logs", [][]byte{good1, good2}, Pass},
		{"one verifies", [][]byte{good1, bad}, Warn},
		{"none verifies", [][]byte{bad}, Fail},
	} {
		v := vf.Verify(context.Background(), Input{Chain: chainOf(leaf, p.inter), Host: "ct.test", SCTs: tc.scts})
		if c, _ := v.Check(CheckSCT); c.Outcome != tc.want {
			t.Errorf("%s: %s (%s)", tc.name, c.Outcome, c.Reason)
		}
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestPoolSources(t *testing.T) {
	p := testPKI()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.pem"), pemOf(p.rootA.cert), 0o600)
	os.WriteFile(filepath.Join(dir, "b.crt"), pemOf(p.rootB.cert), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a certificate"), 0o600)
	pool, err := PoolFromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := issue(leafTmpl("dir.test"), mustKey(0), p.rootB)
	if v := (&Verifier{Roots: pool}).Verify(context.Background(), Input{Chain: chainOf(leaf), Host: "dir.test"}); !v.Trusted {
		t.Fatalf("root from a directory not used:\n%s", v)
	}
	if _, err := PoolFromFile(filepath.Join(dir, "notes.txt")); err == nil {
		t.Error("a file without certificates gave a pool")
	}
	if v := (&Verifier{Roots: PoolFromCerts(p.rootB.cert)}).Verify(context.Background(), Input{Chain: chainOf(leaf), Host: "dir.test"}); !v.Trusted {
		t.Error("root given in code not used")
	}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// FuzzVerifySCT: SCTs come from the peer (TLS extension or OCSP). Any
// bytes are judged without panicking, and an accepted SCT names the log
// that signed it.
func FuzzVerifySCT(f *testing.F) {
	p := testPKI()
	leaf := issue(leafTmpl("ct.test"), mustKey(0), p.inter)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	logs := Logs{}
	if err := logs.Add(der); err != nil {
		f.Fatal(err)
	}
	good := makeSCT(&testing.T{}, k, leaf.cert)
	f.Add(good)
	f.Add(good[:43])
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := verifySCT(logs, b, leaf.cert)
		if err == nil && id != sha256.Sum256(der) {
			t.Fatalf("accepted an SCT for log %x", id)
		}
	})
}
