package hasphttp

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// HTTP/2 and HTTP/1.1 over hasp on one listener, chosen by ALPN; the
// handler reaches the hasp connection.
func TestServeBothProtocols(t *testing.T) {
	ca := testcerts.NewCA("hasphttp CA")
	l := ca.Issue(testcerts.P256, "localhost", "127.0.0.1")
	ln, err := hasp.Listen("tcp", "127.0.0.1:0", &hasp.Config{
		Certificates: []hasp.Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}, NextProtos: NextProtos})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Conn(r)
		io.WriteString(w, r.Proto+" "+c.ConnectionState().NegotiatedProtocol)
	})}
	go Serve(ln, srv)
	defer ln.Close()
	defer srv.Close()
	cfg := &hasp.Config{ServerName: "localhost", RootCAs: ca.Pool()}
	url := "https://" + ln.Addr().String() + "/"
	get := func(c *http.Client) string {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get(&http.Client{Transport: Transport(cfg), Timeout: 10 * time.Second}); got != "HTTP/2.0 h2" {
		t.Errorf("HTTP/2 client got %q", got)
	}
	h1 := cfg.Clone()
	h1.NextProtos = []string{"http/1.1"}
	d := &hasp.Dialer{Config: h1}
	if got := get(&http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}, Timeout: 10 * time.Second}); got != "HTTP/1.1 http/1.1" {
		t.Errorf("HTTP/1.1 client got %q", got)
	}
}
