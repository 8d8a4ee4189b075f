// A QUIC-style handshake driver: a client and a server QUICConn in one
// process, their CRYPTO data carried between them by hand as a QUIC
// stack would carry it in packets, secrets installed per level, then a
// session ticket and a resumed second connection.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"
	"strings"
)

// side is one end of the connection and what it has seen.
type side struct {
	name    string
	conn    *tls.QUICConn
	read    map[tls.QUICEncryptionLevel]bool
	write   map[tls.QUICEncryptionLevel]bool
	params  string
	done    bool
	resumed int
	stored  int
}

func newSide(name string, c *tls.QUICConn) *side {
	return &side{name: name, conn: c, read: map[tls.QUICEncryptionLevel]bool{}, write: map[tls.QUICEncryptionLevel]bool{}}
}

func levels(m map[tls.QUICEncryptionLevel]bool) string {
	var out []string
	for l := range m {
		out = append(out, l.String())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// pump moves events until neither side has any.
func pump(a, b *side) {
	for steps := 0; steps < 1000; steps++ {
		moved := false
		for _, p := range [][2]*side{{a, b}, {b, a}} {
			from, to := p[0], p[1]
			for {
				e := from.conn.NextEvent()
				if e.Kind == tls.QUICNoEvent {
					break
				}
				moved = true
				switch e.Kind {
				case tls.QUICWriteData:
					if err := to.conn.HandleData(e.Level, e.Data); err != nil {
						fail("%s HandleData: %v", to.name, err)
					}
				case tls.QUICSetReadSecret:
					if len(e.Data) == 0 || e.Suite == 0 {
						fail("%s: empty read secret", from.name)
					}
					from.read[e.Level] = true
				case tls.QUICSetWriteSecret:
					if len(e.Data) == 0 || e.Suite == 0 {
						fail("%s: empty write secret", from.name)
					}
					from.write[e.Level] = true
				case tls.QUICTransportParameters:
					from.params = string(e.Data)
				case tls.QUICHandshakeDone:
					from.done = true
				case tls.QUICResumeSession:
					from.resumed++
				case tls.QUICStoreSession:
					from.stored++
					if err := from.conn.StoreSession(e.SessionState); err != nil {
						fail("StoreSession: %v", err)
					}
				case tls.QUICErrorEvent:
					fail("%s: %v", from.name, e.Err)
				}
			}
		}
		if !moved {
			return
		}
	}
	fail("the handshake did not settle")
}

func main() {
	watchdog()
	ca := newCA("migrate QUIC CA")
	srvCfg := &tls.Config{
		Certificates: []tls.Certificate{ca.issue("quic", "quic.test")},
		NextProtos:   []string{"h3"},
		MinVersion:   tls.VersionTLS13,
	}
	cache := tls.NewLRUClientSessionCache(4)
	for i := 1; i <= 2; i++ {
		cliCfg := &tls.Config{
			ServerName:         "quic.test",
			RootCAs:            ca.pool,
			NextProtos:         []string{"h3"},
			MinVersion:         tls.VersionTLS13,
			ClientSessionCache: cache,
		}
		cli := newSide("client", tls.QUICClient(&tls.QUICConfig{TLSConfig: cliCfg, EnableSessionEvents: true}))
		srv := newSide("server", tls.QUICServer(&tls.QUICConfig{TLSConfig: srvCfg, EnableSessionEvents: true}))
		cli.conn.SetTransportParameters([]byte("client-params"))
		srv.conn.SetTransportParameters([]byte("server-params"))
		ctx := context.Background()
		if err := cli.conn.Start(ctx); err != nil {
			fail("client Start: %v", err)
		}
		if err := srv.conn.Start(ctx); err != nil {
			fail("server Start: %v", err)
		}
		pump(cli, srv)
		if err := srv.conn.SendSessionTicket(tls.QUICSessionTicketOptions{}); err != nil {
			fail("SendSessionTicket: %v", err)
		}
		pump(cli, srv)
		for _, s := range []*side{cli, srv} {
			st := s.conn.ConnectionState()
			fmt.Printf("connection %d %s: done %v, %s, ALPN %q, resumed %v, read keys [%s], write keys [%s], peer params %q, resume events %d, store events %d\n",
				i, s.name, s.done, tls.VersionName(st.Version), st.NegotiatedProtocol, st.DidResume,
				levels(s.read), levels(s.write), s.params, s.resumed, s.stored)
		}
		cli.conn.Close()
		srv.conn.Close()
	}

	// No ALPN in common: the handshake fails with an alert.
	cli := tls.QUICClient(&tls.QUICConfig{TLSConfig: &tls.Config{ServerName: "quic.test", RootCAs: ca.pool,
		NextProtos: []string{"other"}, MinVersion: tls.VersionTLS13}})
	srv := tls.QUICServer(&tls.QUICConfig{TLSConfig: srvCfg})
	cli.SetTransportParameters(nil)
	srv.SetTransportParameters(nil)
	if err := cli.Start(context.Background()); err != nil {
		fail("client Start: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		fail("server Start: %v", err)
	}
	var failure error
	for e := cli.NextEvent(); e.Kind != tls.QUICNoEvent; e = cli.NextEvent() {
		if e.Kind == tls.QUICWriteData {
			if err := srv.HandleData(e.Level, e.Data); err != nil {
				failure = err
			}
		}
	}
	// crypto/tls's and hasp's alert error types differ (see
	// docs/MIGRATING.md): what both say is that it failed.
	fmt.Printf("no ALPN in common: failed %v\n", failure != nil)
}
