package acme

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
)

// fakeCA is just enough of an ACME server (RFC 8555) on loopback for one
// order, with the order's identifiers and its authorizations chosen by
// the test. It checks no signature.
type fakeCA struct {
	t   *testing.T
	srv *httptest.Server
	// identifiers, when set, replace the requested ones in the order.
	identifiers func(requested []map[string]string) []map[string]string
	// nAuthz authorizations are listed (1 when zero); authz(i) is the
	// i-th, without its challenges' urls.
	nAuthz int
	authz  func(i int) map[string]any
	// onChallenge runs when the client answers a challenge.
	onChallenge func(typ string)

	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate

	mu        sync.Mutex
	requested []map[string]string
	valid     map[int]bool
	chain     []byte

	authzFetches atomic.Int32
	answered     atomic.Int32
}

func newFakeCA(t *testing.T) *fakeCA {
	f := &fakeCA{t: t, valid: map[int]bool{}}
	f.caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake ACME CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, f.caKey.Public(), f.caKey)
	if err != nil {
		t.Fatal(err)
	}
	f.caCert, _ = x509.ParseCertificate(der)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCA) manager(domains ...string) *Manager {
	return &Manager{DirectoryURL: f.srv.URL + "/directory", Domains: domains, Store: DirStore(f.t.TempDir()), Logf: f.t.Logf}
}

// payload is a JWS request's payload (its signature unchecked).
func payload(r *http.Request) []byte {
	var jws struct{ Payload string }
	body, _ := io.ReadAll(r.Body)
	json.Unmarshal(body, &jws)
	p, _ := base64.RawURLEncoding.DecodeString(jws.Payload)
	return p
}

func (f *fakeCA) serve(w http.ResponseWriter, r *http.Request) {
	u := f.srv.URL
	w.Header().Set("Replay-Nonce", strconv.FormatInt(time.Now().UnixNano(), 36))
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	path := r.URL.Path
	switch {
	case path == "/directory":
		reply(200, map[string]string{"newNonce": u + "/nonce", "newAccount": u + "/account", "newOrder": u + "/new-order",
			"revokeCert": u + "/revoke", "keyChange": u + "/key-change"})
	case path == "/nonce":
		w.WriteHeader(200)
	case path == "/account":
		w.Header().Set("Location", u+"/acct/1")
		reply(201, map[string]any{"status": "valid"})
	case path == "/new-order":
		var req struct{ Identifiers []map[string]string }
		json.Unmarshal(payload(r), &req)
		f.mu.Lock()
		f.requested = req.Identifiers
		f.mu.Unlock()
		w.Header().Set("Location", u+"/order/1")
		reply(201, f.order())
	case path == "/order/1":
		reply(200, f.order())
	case strings.HasPrefix(path, "/authz/"):
		f.authzFetches.Add(1)
		i, _ := strconv.Atoi(strings.TrimPrefix(path, "/authz/"))
		z := f.authz(i)
		f.mu.Lock()
		if f.valid[i] {
			z["status"] = "valid"
		}
		f.mu.Unlock()
		if cs, ok := z["challenges"].([]map[string]any); ok {
			for j, c := range cs {
				c["url"] = fmt.Sprintf("%s/chal/%d/%d", u, i, j)
			}
		}
		reply(200, z)
	case strings.HasPrefix(path, "/chal/"):
		f.answered.Add(1)
		var i, j int
		fmt.Sscanf(path, "/chal/%d/%d", &i, &j)
		c := f.authz(i)["challenges"].([]map[string]any)[j]
		if f.onChallenge != nil {
			f.onChallenge(c["type"].(string))
		}
		f.mu.Lock()
		f.valid[i] = true
		f.mu.Unlock()
		c["url"] = fmt.Sprintf("%s/chal/%d/%d", u, i, j)
		c["status"] = "valid"
		reply(200, c)
	case path == "/finalize/1":
		var req struct{ CSR string }
		json.Unmarshal(payload(r), &req)
		der, _ := base64.RawURLEncoding.DecodeString(req.CSR)
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil {
			reply(400, map[string]string{"type": "urn:ietf:params:acme:error:badCSR", "detail": err.Error()})
			return
		}
		leaf := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: csr.Subject, DNSNames: csr.DNSNames,
			NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(24 * time.Hour)}
		ld, err := x509.CreateCertificate(rand.Reader, leaf, f.caCert, csr.PublicKey, f.caKey)
		if err != nil {
			reply(500, map[string]string{"type": "urn:ietf:params:acme:error:serverInternal", "detail": err.Error()})
			return
		}
		f.mu.Lock()
		f.chain = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ld}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.caCert.Raw})...)
		f.mu.Unlock()
		w.Header().Set("Location", u+"/order/1")
		reply(200, f.order())
	case path == "/cert/1":
		f.mu.Lock()
		chain := f.chain
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		w.Write(chain)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeCA) order() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.requested
	if f.identifiers != nil {
		ids = f.identifiers(ids)
	}
	n := max(f.nAuthz, 1)
	urls := make([]string, n)
	status := "ready"
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/authz/%d", f.srv.URL, i)
		if !f.valid[i] {
			status = "pending"
		}
	}
	o := map[string]any{"status": status, "identifiers": ids, "authorizations": urls, "finalize": f.srv.URL + "/finalize/1"}
	if f.chain != nil {
		o["status"] = "valid"
		o["certificate"] = f.srv.URL + "/cert/1"
	}
	return o
}

const goodToken = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

// authzFor is a pending authorization for value with TLS-ALPN-01 and
// HTTP-01 challenges.
func authzFor(value string, wildcard bool, token string) func(int) map[string]any {
	return func(int) map[string]any {
		z := map[string]any{"status": "pending", "identifier": map[string]string{"type": "dns", "value": value},
			"challenges": []map[string]any{
				{"type": TLSALPN01, "status": "pending", "token": token},
				{"type": HTTP01, "status": "pending", "token": token},
			}}
		if wildcard {
			z["wildcard"] = true
		}
		return z
	}
}

func pendingChallenges(m *Manager) int {
	n := 0
	m.alpn.Range(func(any, any) bool { n++; return true })
	m.tokens.Range(func(any, any) bool { n++; return true })
	return n
}

func (f *fakeCA) obtain(m *Manager, name string) (*hasp.Certificate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var c *hasp.Certificate
	err := within(f.t, 40*time.Second, func() error {
		var err error
		c, err = m.obtain(ctx, name, nil)
		return err
	})
	return c, err
}

// A CA that sends an authorization for a name the order did not ask for
// (or the right name as a wildcard, or another identifier type) has the
// order refused before any challenge is answered: no challenge
// certificate or HTTP-01 answer is served for it, the CA is told
// nothing.
func TestAuthorizationForAnotherName(t *testing.T) {
	for _, tc := range []struct {
		name, typ, value string
		wildcard         bool
	}{
		{"other name", "dns", "victim.example", false},
		{"subdomain", "dns", "x.a.hasp.test", false},
		{"wildcard of ours", "dns", "a.hasp.test", true},
		{"ip", "ip", "127.0.0.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCA(t)
			f.authz = func(i int) map[string]any {
				z := authzFor(tc.value, tc.wildcard, goodToken)(i)
				z["identifier"] = map[string]string{"type": tc.typ, "value": tc.value}
				return z
			}
			m := f.manager("a.hasp.test")
			f.onChallenge = func(string) { t.Errorf("a challenge was answered (%d pending)", pendingChallenges(m)) }
			_, err := f.obtain(m, "a.hasp.test")
			if err == nil || !strings.Contains(err.Error(), "did not ask for") || !strings.Contains(err.Error(), strconv.Quote(tc.value)) {
				t.Fatalf("got %v", err)
			}
			if n := f.answered.Load(); n != 0 {
				t.Errorf("%d challenges answered", n)
			}
			if n := pendingChallenges(m); n != 0 {
				t.Errorf("%d challenge answers left behind", n)
			}
		})
	}
}

// An order listing more authorizations than names is refused before
// any is fetched (a CA listing thousands does not keep the client
// busy), and so is an order whose identifiers are not the requested
// ones.
func TestOrderNotAsRequested(t *testing.T) {
	t.Run("many authorizations", func(t *testing.T) {
		f := newFakeCA(t)
		f.nAuthz = 10000
		f.authz = authzFor("a.hasp.test", false, goodToken)
		_, err := f.obtain(f.manager("a.hasp.test"), "a.hasp.test")
		if err == nil || !strings.Contains(err.Error(), "10000 authorizations") {
			t.Fatalf("got %v", err)
		}
		if n := f.authzFetches.Load(); n != 0 {
			t.Errorf("%d authorizations fetched", n)
		}
	})
	for _, tc := range []struct {
		name, order string
		ids         []map[string]string
	}{
		{"other name", "a.hasp.test", []map[string]string{{"type": "dns", "value": "victim.example"}}},
		{"extra name", "a.hasp.test", []map[string]string{{"type": "dns", "value": "a.hasp.test"}, {"type": "dns", "value": "victim.example"}}},
		{"wildcard dropped", "*.hasp.test", []map[string]string{{"type": "dns", "value": "hasp.test"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCA(t)
			f.identifiers = func([]map[string]string) []map[string]string { return tc.ids }
			f.authz = authzFor("a.hasp.test", false, goodToken)
			_, err := f.obtain(f.manager(tc.order), tc.order)
			if err == nil || !strings.Contains(err.Error(), "did not ask for") {
				t.Fatalf("got %v", err)
			}
			if n := f.authzFetches.Load(); n != 0 {
				t.Errorf("%d authorizations fetched", n)
			}
		})
	}
}

// Challenge tokens that are not base64url, padded, or too short for
// 128 bits are refused before they make an HTTP-01 path or a
// TLS-ALPN-01 certificate.
func TestChallengeTokenRefused(t *testing.T) {
	for i, tok := range []string{
		"",
		"short",
		"evaGxfADs6pSRb2LAv9IZ",            // 21 characters
		"evaGxfADs6pSRb2LAv9IZf17Dt3juxG=", // padding
		"../../../../etc/passwd/aaaaaaaaaaaaaaaa",
		"evaGxfADs6pSRb2LAv9IZf17Dt3j/xGJ+PCt92wr",
		"evaGxfADs6pSRb2LAv9IZf17Dt3j%2fxGJPCt92wr",
		strings.Repeat("A", 10000),
	} {
		for _, chal := range []string{HTTP01, TLSALPN01} {
			t.Run(fmt.Sprintf("%s/%d", chal, i), func(t *testing.T) {
				f := newFakeCA(t)
				f.authz = authzFor("a.hasp.test", false, tok)
				m := f.manager("a.hasp.test")
				m.Challenges = []string{chal}
				_, err := f.obtain(m, "a.hasp.test")
				if err == nil || !strings.Contains(err.Error(), "token") {
					t.Fatalf("got %v", err)
				}
				if n := f.answered.Load(); n != 0 {
					t.Errorf("%d challenges answered", n)
				}
			})
		}
	}
	for _, tok := range []string{goodToken, "evaGxfADs6pSRb2LAv9IZf", "_-" + strings.Repeat("0", 30)} {
		if !validToken(tok) {
			t.Errorf("%q refused", tok)
		}
	}
}

// The authorizations a CA should send are accepted: a wildcard order's
// authorization carries the base domain and "wildcard": true, and DNS
// names compare without regard to case. A pending one is answered
// under the lower-case name GetCertificate looks up.
func TestAuthorizationAccepted(t *testing.T) {
	t.Run("wildcard", func(t *testing.T) {
		f := newFakeCA(t)
		f.authz = func(i int) map[string]any {
			return map[string]any{"status": "valid", "identifier": map[string]string{"type": "dns", "value": "wild.hasp.test"}, "wildcard": true,
				"challenges": []map[string]any{{"type": "dns-01", "status": "valid", "token": goodToken}}}
		}
		f.valid[0] = true
		c, err := f.obtain(f.manager("*.wild.hasp.test"), "*.wild.hasp.test")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Leaf.VerifyHostname("x.wild.hasp.test"); err != nil {
			t.Fatal(err)
		}
		if n := f.answered.Load(); n != 0 {
			t.Errorf("%d challenges answered", n)
		}
	})
	for _, chal := range []string{TLSALPN01, HTTP01} {
		t.Run("case/"+chal, func(t *testing.T) {
			f := newFakeCA(t)
			f.identifiers = func([]map[string]string) []map[string]string {
				return []map[string]string{{"type": "dns", "value": "mixed.hasp.test"}}
			}
			f.authz = authzFor("MIXED.hasp.TEST", false, goodToken)
			m := f.manager("Mixed.Hasp.Test")
			m.Challenges = []string{chal}
			f.onChallenge = func(typ string) {
				switch typ {
				case TLSALPN01:
					c, err := m.GetCertificate(&hasp.ClientHelloInfo{ServerName: "mixed.hasp.test", SupportedProtos: []string{ALPNProto}})
					if err != nil || len(c.Leaf.DNSNames) != 1 || c.Leaf.DNSNames[0] != "mixed.hasp.test" {
						t.Errorf("TLS-ALPN-01 certificate: %v", err)
					}
				case HTTP01:
					client, _ := m.acmeClient(context.Background())
					want, _ := client.HTTP01ChallengeResponse(goodToken)
					rec := httptest.NewRecorder()
					m.HTTPHandler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "http://mixed.hasp.test/.well-known/acme-challenge/"+goodToken, nil))
					if rec.Code != 200 || rec.Body.String() != want {
						t.Errorf("HTTP-01 answer: %d %q", rec.Code, rec.Body)
					}
				}
			}
			c, err := f.obtain(m, "Mixed.Hasp.Test")
			if err != nil {
				t.Fatal(err)
			}
			if n := f.answered.Load(); n != 1 {
				t.Errorf("%d challenges answered", n)
			}
			if len(c.Leaf.DNSNames) != 1 || !strings.EqualFold(c.Leaf.DNSNames[0], "mixed.hasp.test") {
				t.Errorf("certificate for %v", c.Leaf.DNSNames)
			}
			if n := pendingChallenges(m); n != 0 {
				t.Errorf("%d challenge answers left behind", n)
			}
		})
	}
}
