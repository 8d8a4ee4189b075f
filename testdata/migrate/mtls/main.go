// A mutual-TLS service: the server requires and verifies a client
// certificate from its own CA and greets the client by name; clients
// pick their certificate in GetClientCertificate with
// CertificateRequestInfo.SupportsCertificate.
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
)

type result struct {
	peer   string
	chains int
	err    error
}

func main() {
	watchdog()
	ca := newCA("migrate mTLS CA")
	other := newCA("some other CA")
	srvCert := ca.issue("service", "service.test")
	ln := must(tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.pool,
	}))
	defer ln.Close()
	results := make(chan result, 1)
	go serve(ln, results)

	clients := []struct {
		name string
		cert *tls.Certificate
	}{
		{"alice", ptr(ca.issue("alice"))},
		{"mallory (another CA)", ptr(other.issue("mallory"))},
		{"anonymous", nil},
	}
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		for _, cl := range clients {
			var supported []bool
			var versions []string
			cfg := &tls.Config{
				ServerName: "service.test",
				RootCAs:    ca.pool,
				MaxVersion: v,
				GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
					versions = append(versions, tls.VersionName(cri.Version))
					if cl.cert == nil {
						return &tls.Certificate{}, nil
					}
					ok := cri.SupportsCertificate(cl.cert) == nil
					supported = append(supported, ok)
					if !ok {
						return &tls.Certificate{}, nil
					}
					return cl.cert, nil
				},
			}
			conn, err := tls.DialWithDialer(&net.Dialer{Deadline: deadline()}, "tcp", ln.Addr().String(), cfg)
			var greeting string
			if err == nil {
				conn.SetDeadline(deadline())
				// In TLS 1.3 the server's verdict on our certificate
				// comes after our handshake is done: read to hear it.
				greeting, err = bufio.NewReader(conn).ReadString('\n')
				conn.Close()
			}
			r := <-results
			fmt.Printf("%s, %s: request %v, fits %v, client ok %v %q; server: peer %q, verified chains %d, refused %v\n",
				tls.VersionName(v), cl.name, versions, supported, err == nil, greeting, r.peer, r.chains, r.err != nil)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func serve(ln net.Listener, results chan<- result) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		tc := c.(*tls.Conn)
		tc.SetDeadline(deadline())
		var r result
		if r.err = tc.Handshake(); r.err == nil {
			st := tc.ConnectionState()
			r.peer, r.chains = st.PeerCertificates[0].Subject.CommonName, len(st.VerifiedChains)
			fmt.Fprintf(tc, "welcome, %s\n", r.peer)
		}
		tc.Close()
		io.Copy(io.Discard, c)
		results <- r
	}
}
