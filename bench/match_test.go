package bench

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/memconn"
	"github.com/hasp-tls/hasp/internal/testcerts"
	"github.com/hasp-tls/hasp/internal/wire"
)

type negotiated struct {
	version, suite, curve uint16
	resumed               bool
	// What the client offered: the versions and how many suites.
	offered string
}

// helloRecorder keeps the first write of a client: its ClientHello.
type helloRecorder struct {
	net.Conn
	hello []byte
}

func (h *helloRecorder) Write(p []byte) (int, error) {
	if h.hello == nil {
		h.hello = append([]byte(nil), p...)
	}
	return h.Conn.Write(p)
}

func (h *helloRecorder) offered() string {
	var ch wire.ClientHello
	if len(h.hello) < 5 || ch.Unmarshal(h.hello[5:]) != nil {
		return "no ClientHello"
	}
	return fmt.Sprintf("versions %x, %d suites", ch.SupportedVersions, len(ch.CipherSuites))
}

func negotiatedOf(c conn) negotiated {
	switch c := c.(type) {
	case *hasp.Conn:
		st := c.ConnectionState()
		return negotiated{version: st.Version, suite: st.CipherSuite, curve: uint16(st.CurveID), resumed: st.DidResume}
	case *tls.Conn:
		st := c.ConnectionState()
		return negotiated{version: st.Version, suite: st.CipherSuite, curve: uint16(st.CurveID), resumed: st.DidResume}
	}
	panic("unknown conn")
}

// The benchmarks compare like with like: for each configuration both
// libraries' clients offer the same versions and as many suites, and both
// negotiate the same version, suite, group and resumption, on both ends.
func TestBenchConfigsMatch(t *testing.T) {
	type cfg struct {
		name   string
		impls  []impl
		resume bool
	}
	var cases []cfg
	for _, g := range []uint16{uint16(hasp.X25519), uint16(hasp.X25519MLKEM768)} {
		for _, kt := range []testcerts.KeyType{testcerts.P256, testcerts.RSA2048} {
			cases = append(cases, cfg{fmt.Sprintf("TLS 1.3 %s group %#x", kt, g), impls(kt, g, 0), false})
		}
	}
	for _, kt := range []testcerts.KeyType{testcerts.P256, testcerts.RSA2048} {
		cases = append(cases, cfg{fmt.Sprintf("TLS 1.2 %s", kt), impls12(kt, 0, false), false})
	}
	cases = append(cases, cfg{"TLS 1.2 resumed", impls12(testcerts.P256, 0, true), true})
	cases = append(cases, cfg{"TLS 1.3 first connection", coldImpls(), false}, cfg{"TLS 1.3 Config per connection", cloneImpls(), false})
	for _, tc := range cases {
		var got []negotiated
		for _, im := range tc.impls {
			var last [2]negotiated
			for round := 0; round < 2; round++ { // the second may resume
				x, y := memconn.Pipe()
				rec := &helloRecorder{Conn: x}
				c, s := im.client(rec), im.server(y)
				errc := make(chan error, 1)
				go func() {
					if err := s.Handshake(); err != nil {
						errc <- err
						return
					}
					_, err := s.Write([]byte{1})
					errc <- err
				}()
				if err := c.Handshake(); err != nil {
					t.Fatalf("%s %s: %v", tc.name, im.name, err)
				}
				if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
					t.Fatal(err)
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
				last = [2]negotiated{negotiatedOf(c), negotiatedOf(s)}
				last[0].offered, last[1].offered = rec.offered(), rec.offered()
				x.Close()
				y.Close()
			}
			if last[0] != last[1] {
				t.Errorf("%s %s: client %+v, server %+v", tc.name, im.name, last[0], last[1])
			}
			if last[0].resumed != tc.resume {
				t.Errorf("%s %s: resumed %v", tc.name, im.name, last[0].resumed)
			}
			got = append(got, last[0])
		}
		if got[0].version != tls.VersionTLS13 {
			// A TLS 1.2 client's offer differs by the libraries'
			// defaults (crypto/tls lists CBC suites hasp does not
			// enable; hasp sends no supported_versions when 1.2 is its
			// highest), which changes nothing the handshake does.
			got[0].offered, got[1].offered = "", ""
		}
		if got[0] != got[1] {
			t.Errorf("%s: %s negotiated %+v, %s %+v", tc.name, tc.impls[0].name, got[0], tc.impls[1].name, got[1])
		}
	}
}
