package engine

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/wire"
)

// DTLS-SRTP (RFC 5764): the use_srtp extension names the SRTP protection
// profiles a client offers and the one the server takes; the keys come
// from the exporter ("EXTRACTOR-dtls_srtp", 4.2).

// useSRTP is the extension offering profiles, with no MKI.
func useSRTP(profiles []uint16) wire.Extension {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range profiles {
			b.AddUint16(p)
		}
	})
	b.AddUint8(0) // srtp_mki<0..255>: empty
	return wire.Extension{Type: wire.ExtUseSRTP, Data: b.BytesOrPanic()}
}

// parseUseSRTP reads UseSRTPData (RFC 5764 4.1.1).
func parseUseSRTP(data []byte) (profiles []uint16, mki []byte, ok bool) {
	s := cryptobyte.String(data)
	var list, m cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || len(list) < 2 || len(list)%2 != 0 ||
		!s.ReadUint8LengthPrefixed(&m) || !s.Empty() {
		return nil, nil, false
	}
	for !list.Empty() {
		var p uint16
		list.ReadUint16(&p)
		profiles = append(profiles, p)
	}
	return profiles, m, true
}

// agreeSRTP takes the first of our profiles the client offers and answers
// with it (and the client's MKI, RFC 5764 4.1.1); no answer when there
// is none in common or the server has none configured.
func (s *Server) agreeSRTP(ch *wire.ClientHello, sh *wire.ServerHello) error {
	if len(s.cfg.SRTPProfiles) == 0 || !s.cfg.variant().datagram {
		return nil
	}
	for _, e := range ch.Extensions {
		if e.Type != wire.ExtUseSRTP {
			continue
		}
		offered, mki, ok := parseUseSRTP(e.Data)
		if !ok {
			return fail(wire.AlertDecodeError, "malformed use_srtp")
		}
		for _, p := range s.cfg.SRTPProfiles {
			for _, o := range offered {
				if p == o {
					b := cryptobyte.NewBuilder(nil)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(p) })
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(mki) })
					sh.Extra = append(sh.Extra, wire.Extension{Type: wire.ExtUseSRTP, Data: b.BytesOrPanic()})
					s.st.ext().SRTPProfile = p
					return nil
				}
			}
		}
	}
	return nil
}
