// An HTTPS server that picks its Config per site with GetConfigForClient
// (a certificate per SNI name), served by net/http over tls.NewListener,
// and a client that asks for each site over tls.Dial.
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

func main() {
	watchdog()
	ca := newCA("migrate sni CA")
	sites := map[string]tls.Certificate{
		"a.test": ca.issue("a.test", "a.test"),
		"b.test": ca.issue("b.test", "b.test", "*.b.test"),
	}
	// The client does not check the staple's contents: any bytes show
	// that it is carried.
	b := sites["b.test"]
	b.OCSPStaple = []byte("a stapled OCSP response")
	sites["b.test"] = b
	var mu sync.Mutex
	var hellos []string
	base := &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			name := h.ServerName
			cert, ok := sites[name]
			if !ok && strings.HasSuffix(name, ".b.test") {
				cert, ok = sites["b.test"]
			}
			mu.Lock()
			hellos = append(hellos, fmt.Sprintf("hello for %s: conn %v, context %v, ALPN %v, SNI extension %v, supports TLS 1.3 %v",
				name, h.Conn != nil, h.Context() != nil, h.SupportedProtos, slices.Contains(h.Extensions, 0),
				slices.Contains(h.SupportedVersions, tls.VersionTLS13)))
			mu.Unlock()
			if !ok {
				return nil, fmt.Errorf("no site %q", name)
			}
			if err := h.SupportsCertificate(&cert); err != nil {
				return nil, err
			}
			return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}, nil
		},
	}
	ln := must(net.Listen("tcp", "127.0.0.1:0"))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "site %s, path %s", r.Host, r.URL.Path)
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.Serve(tls.NewListener(ln, base))
	defer srv.Close()

	for _, name := range []string{"a.test", "b.test", "www.b.test", "c.test"} {
		for _, max := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			get(ln.Addr().String(), name, max, ca)
		}
	}
	mu.Lock()
	sort.Strings(hellos)
	for _, h := range slices.Compact(hellos) {
		fmt.Println(h)
	}
	mu.Unlock()
}

func get(addr, name string, max uint16, ca *testCA) {
	cfg := &tls.Config{ServerName: name, RootCAs: ca.pool, NextProtos: []string{"http/1.1"}, MaxVersion: max}
	conn, err := tls.DialWithDialer(&net.Dialer{Deadline: deadline()}, "tcp", addr, cfg)
	if err != nil {
		fmt.Printf("%s (%s): handshake failed\n", name, tls.VersionName(max))
		return
	}
	defer conn.Close()
	conn.SetDeadline(deadline())
	st := conn.ConnectionState()
	fmt.Printf("%s (%s): %s, certificate for %v, ALPN %q, hostname ok %v, tls-unique %v, OCSP staple %d bytes\n", name, tls.VersionName(max),
		tls.VersionName(st.Version), st.PeerCertificates[0].DNSNames, st.NegotiatedProtocol, conn.VerifyHostname(name) == nil,
		len(st.TLSUnique) > 0, len(conn.OCSPResponse()))
	req := must(http.NewRequest("GET", "https://"+name+"/hello", nil))
	if err := req.Write(conn); err != nil {
		fail("write: %v", err)
	}
	resp := must(http.ReadResponse(bufio.NewReader(conn), req))
	body := must(io.ReadAll(resp.Body))
	fmt.Printf("%s (%s): %s: %s\n", name, tls.VersionName(max), resp.Status, body)
}
