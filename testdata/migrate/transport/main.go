// An http.Client whose Transport dials TLS itself (DialTLSContext with a
// tls.Dialer), against an HTTPS server on tls.NewListener; requests ride
// one kept-alive connection.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

func main() {
	watchdog()
	ca := newCA("migrate transport CA")
	srvCfg := &tls.Config{
		Certificates: []tls.Certificate{ca.issue("api", "api.test")},
		NextProtos:   []string{"http/1.1"},
	}
	ln := must(net.Listen("tcp", "127.0.0.1:0"))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s (%d bytes)", r.Method, r.URL.Path, r.Proto, len(body))
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.Serve(tls.NewListener(ln, srvCfg))
	defer srv.Close()

	var dials atomic.Int32
	var states []string
	dialer := &tls.Dialer{
		NetDialer: &net.Dialer{Timeout: 10 * time.Second},
		Config:    &tls.Config{RootCAs: ca.pool, ServerName: "api.test", NextProtos: []string{"http/1.1"}},
	}
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			st := c.(*tls.Conn).ConnectionState()
			states = append(states, fmt.Sprintf("%s ALPN %q complete %v", tls.VersionName(st.Version), st.NegotiatedProtocol, st.HandshakeComplete))
			return c, nil
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "https://" + ln.Addr().String()
	for _, path := range []string{"/one", "/two", "/three"} {
		resp := must(client.Get(url + path))
		body := must(io.ReadAll(resp.Body))
		resp.Body.Close()
		fmt.Printf("GET %s: %s: %s\n", path, resp.Status, body)
	}
	resp := must(client.Post(url+"/upload", "text/plain", zeroReader(1<<20)))
	body := must(io.ReadAll(resp.Body))
	resp.Body.Close()
	fmt.Printf("POST /upload: %s: %s\n", resp.Status, body)
	fmt.Printf("dials %d: %v\n", dials.Load(), states)

	// A server with a certificate for another name: the dial fails.
	bad := &tls.Dialer{Config: &tls.Config{RootCAs: ca.pool, ServerName: "other.test"}}
	tr2 := &http.Transport{DialTLSContext: bad.DialContext}
	defer tr2.CloseIdleConnections()
	_, err := (&http.Client{Transport: tr2, Timeout: 10 * time.Second}).Get(url + "/")
	fmt.Printf("wrong name refused: %v\n", err != nil)
}

type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	n := min(len(p), z.n)
	clear(p[:n])
	z.n -= n
	return n, nil
}

func zeroReader(n int) io.Reader { return &zeros{n} }
