package engine

import (
	"bytes"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/wire"
)

// DTLS 1.2 connection IDs (RFC 9146): each end names the CID it wants on
// the records it receives; records carry the receiver's CID once both
// sent the extension, so a connection survives an address change.

func connectionID(cid []byte) wire.Extension {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cid) })
	return wire.Extension{Type: wire.ExtConnectionID, Data: b.BytesOrPanic()}
}

// parseConnectionID reads ConnectionId cid<0..2^8-1>.
func parseConnectionID(data []byte) ([]byte, bool) {
	s := cryptobyte.String(data)
	var cid cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&cid) || !s.Empty() {
		return nil, false
	}
	return bytes.Clone(cid), true
}

// agreeCID answers a client's connection_id with ours, when we have one.
func (s *Server) agreeCID(ch *wire.ClientHello, sh *wire.ServerHello) error {
	if s.cfg.ConnectionID == nil || !s.cfg.variant().datagram {
		return nil
	}
	for _, e := range ch.Extensions {
		if e.Type != wire.ExtConnectionID {
			continue
		}
		cid, ok := parseConnectionID(e.Data)
		if !ok {
			return fail(wire.AlertDecodeError, "malformed connection_id")
		}
		s.st.ext().ConnectionIDAgreed, s.st.ext().PeerConnectionID = true, cid
		sh.Extra = append(sh.Extra, connectionID(s.cfg.ConnectionID))
	}
	return nil
}
