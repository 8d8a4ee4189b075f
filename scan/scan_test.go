package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/internal/testcerts"
)

var testCA = testcerts.NewCA("scan test CA")

func fastOpts() Options {
	return Options{Timeout: 3 * time.Second, Rate: -1, Roots: testCA.Pool(), ServerName: "localhost"}
}

// goServer runs a crypto/tls HTTPS server with cfg until the test ends.
func goServer(t *testing.T, cfg *tls.Config, h http.Handler) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func certOf(l *testcerts.Leaf) tls.Certificate {
	return tls.Certificate{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}
}

func suiteNames(r *Report, version string) []string {
	for _, vs := range r.Suites {
		if vs.Version == version {
			var out []string
			for _, s := range vs.Suites {
				out = append(out, s.Name)
			}
			return out
		}
	}
	return nil
}

func supported(r *Report) []string {
	var out []string
	for _, p := range r.Protocols {
		if p.Supported {
			out = append(out, p.Name)
		}
	}
	return out
}

func hasFinding(r *Report, id string) bool {
	for _, f := range r.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// crypto/tls as the server, configured exactly: the scan must find every
// version, suite and group it was given, and nothing else.
func TestScanCryptoTLS(t *testing.T) {
	rsaLeaf := testCA.Issue(testcerts.RSA2048, "localhost")
	suites := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
	cfg := &tls.Config{
		Certificates:     []tls.Certificate{certOf(rsaLeaf)},
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     suites,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP384},
		NextProtos:       []string{"http/1.1"},
	}
	addr := goServer(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=63072000")
		io.WriteString(w, "hello")
	}))
	r := Scan(context.Background(), addr, fastOpts())
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	if got := strings.Join(supported(r), ","); got != "TLS 1.2,TLS 1.3" {
		t.Errorf("versions %s", got)
	}
	got12 := suiteNames(r, "TLS 1.2")
	var want12 []string
	for _, id := range suites {
		want12 = append(want12, tls.CipherSuiteName(id))
	}
	slices.Sort(got12)
	slices.Sort(want12)
	if !slices.Equal(got12, want12) {
		t.Errorf("TLS 1.2 suites %v, want %v", got12, want12)
	}
	if got := suiteNames(r, "TLS 1.3"); len(got) != 3 {
		t.Errorf("TLS 1.3 suites %v", got)
	}
	var groups []string
	for _, g := range r.Groups {
		groups = append(groups, g.Name)
	}
	if strings.Join(groups, ",") != "secp384r1,x25519,X25519MLKEM768" {
		t.Errorf("groups %v", groups)
	}
	for _, id := range []string{"rsa-kx", "ems", "fallback-scsv", "secure-renegotiation", "pq", "hsts", "tls13"} {
		if !hasFinding(r, id) {
			t.Errorf("no finding %q", id)
		}
	}
	// RSA key exchange caps at B.
	if r.Grade.Letter != "B" || len(r.Certificates) != 1 || !r.Certificates[0].Verdict.Trusted {
		t.Errorf("grade %s, certificates %d\n%s", r.Grade.Letter, len(r.Certificates), text(r))
	}
	if !slices.Contains(r.ALPN, "http/1.1") || r.HTTP == nil || r.HTTP.HSTS == "" {
		t.Errorf("ALPN %v, HTTP %+v", r.ALPN, r.HTTP)
	}
	if r.Sessions.TLS13PSK != "yes" || r.Sessions.TLS12Ticket != "yes" {
		t.Errorf("sessions %+v", r.Sessions)
	}
	// Two certificates (ECDSA and RSA) by key type.
	ecLeaf := testCA.Issue(testcerts.P256, "localhost")
	cfg2 := &tls.Config{Certificates: []tls.Certificate{certOf(ecLeaf), certOf(rsaLeaf)}}
	r2 := Scan(context.Background(), goServer(t, cfg2, http.NotFoundHandler()), fastOpts())
	var kinds []string
	for _, c := range r2.Certificates {
		kinds = append(kinds, c.KeyType)
	}
	slices.Sort(kinds)
	if strings.Join(kinds, ",") != "ECDSA P-256,RSA 2048" {
		t.Errorf("certificates %v\n%s", kinds, text(r2))
	}
	if r2.Grade.Letter != "A" {
		t.Errorf("crypto/tls defaults grade %s\n%s", r2.Grade.Letter, text(r2))
	}
}

func text(r *Report) string {
	var b bytes.Buffer
	r.Text(&b)
	return b.String()
}

// Servers that misbehave cost bounded time and are reported.
func TestScanHostile(t *testing.T) {
	serve := func(t *testing.T, handle func(c net.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetDeadline(time.Now().Add(10 * time.Second))
					handle(c)
				}()
			}
		}()
		return ln.Addr().String()
	}
	readHello := func(c net.Conn) { c.Read(make([]byte, 4096)) }
	for _, tc := range []struct {
		name   string
		handle func(c net.Conn)
		want   string
	}{
		{"random bytes", func(c net.Conn) {
			readHello(c)
			b := make([]byte, 512)
			rand.Read(b)
			b[0] = 0x99 // not a record type
			c.Write(b)
		}, "not TLS"},
		{"stall", func(c net.Conn) {
			readHello(c)
			time.Sleep(5 * time.Second)
		}, "timed out"},
		{"closes mid-hello", func(c net.Conn) {
			c.Read(make([]byte, 10))
		}, "connection closed"},
		{"16 MB handshake message", func(c net.Conn) {
			readHello(c)
			// A record holding the start of a ServerHello that claims
			// 16 MB, then the bytes keep coming.
			c.Write([]byte{22, 3, 3, 0, 4, 2, 0xff, 0xff, 0xff})
			chunk := append([]byte{22, 3, 3, 0x40, 0}, make([]byte, 16384)...)
			for i := 0; i < 1024; i++ {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}, "handshake message of 16777215 bytes"},
		{"plain HTTP", func(c net.Conn) {
			readHello(c)
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
		}, "not TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, tc.handle)
			opts := fastOpts()
			opts.Timeout = time.Second
			start := time.Now()
			r := Scan(context.Background(), addr, opts)
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("took %v", took)
			}
			if r.Error == "" || !strings.Contains(r.Error, tc.want) || r.Grade.Letter != "-" {
				t.Fatalf("error %q (want %q), grade %q", r.Error, tc.want, r.Grade.Letter)
			}
		})
	}
	// Nothing listens.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if r := Scan(context.Background(), addr, fastOpts()); !strings.Contains(r.Error, "refused") {
		t.Errorf("closed port: %q", r.Error)
	}
}

func FuzzReadFlight(f *testing.F) {
	sh := []byte{2, 0, 0, 42, 3, 3}
	sh = append(sh, make([]byte, 32)...)
	sh = append(sh, 0, 0xc0, 0x2f, 0, 0, 2, 0, 0)
	rec := append([]byte{22, 3, 3, 0, byte(len(sh))}, sh...)
	f.Add(rec)
	f.Add(append(rec, 21, 3, 3, 0, 2, 2, 40))
	f.Add([]byte{21, 3, 1, 0, 2, 2, 70})
	f.Fuzz(func(t *testing.T, b []byte) {
		fl := flight{alert: -1}
		readFlight(bytes.NewReader(b), &fl)
		if fl.hello != nil {
			_ = fl.hello.version
		}
		parseServerHello(b)
		parseSSLv2ServerHello(bytes.NewReader(b))
	})
}

// A server whose certificate for clients without SNI is another one: shown
// as information, not graded (old clients only).
func TestScanNoSNICertificate(t *testing.T) {
	named := testCA.Issue(testcerts.P256, "localhost")
	other := testcerts.NewCA("elsewhere").Issue(testcerts.P256, "default.example")
	cfg := &tls.Config{GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c := certOf(named)
		if hi.ServerName == "" {
			c = certOf(other)
		}
		return &c, nil
	}}
	r := Scan(context.Background(), goServer(t, cfg, http.NotFoundHandler()), fastOpts())
	if len(r.Certificates) != 2 || !hasFinding(r, "cert2-no-sni") && !hasFinding(r, "cert1-no-sni") || r.Grade.Letter == "T" {
		t.Errorf("certificates %d, grade %s\n%s", len(r.Certificates), r.Grade.Letter, text(r))
	}
}
