package scan

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/wire"
)

// each runs f for every item at once (the dialer bounds the
// connections) and waits.
func each[T any](items []T, f func(T)) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(it)
		}()
	}
	wg.Wait()
}

// groups13 asks, group by group, with no key share: a server that has
// the group answers with a HelloRetryRequest for it (RFC 8446 4.1.4).
// Then all of them at once, forwards and backwards, to see whose order
// decides.
func (s *Scanner) groups13(ctx context.Context) ([]Group, string) {
	var mu sync.Mutex
	var out []Group
	each(tls13GroupIDs(), func(g uint16) {
		spec := s.baseSpec(0x0304)
		spec.Groups = []uint16{g}
		spec.KeyShares = nil
		f := s.probe(ctx, &spec)
		if f.accepted() && f.hello.version == 0x0304 && f.hello.group == g {
			info, _ := groupByID(g)
			mu.Lock()
			out = append(out, Group{Name: info.name, ID: g, TLS13: true, PQ: info.pq, Bits: ffdheBits(info)})
			mu.Unlock()
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) < 2 {
		return out, ""
	}
	pick := func(order []uint16) uint16 {
		spec := s.baseSpec(0x0304)
		spec.Groups = order
		spec.KeyShares = nil
		f := s.probe(ctx, &spec)
		if f.accepted() {
			return f.hello.group
		}
		return 0
	}
	ids := make([]uint16, len(out))
	for i, g := range out {
		ids[i] = g.ID
	}
	fwd := pick(ids)
	back := slices.Clone(ids)
	slices.Reverse(back)
	rev := pick(back)
	if fwd != 0 && fwd == rev {
		return out, "server prefers " + groupName(fwd)
	}
	return out, "the client's order decides"
}

func ffdheBits(g groupInfo) int {
	if g.ffdhe {
		return g.bits
	}
	return 0
}

// groups12: ECDHE suites only, one curve at a time; the
// ServerKeyExchange names the curve used.
func (s *Scanner) groups12(ctx context.Context) []Group {
	var ecdhe []uint16
	for _, su := range SuitesFor(0x0303) {
		if su.Kx == "ECDHE" {
			ecdhe = append(ecdhe, su.ID)
		}
	}
	var mu sync.Mutex
	var out []Group
	each(ecGroupIDs(), func(g uint16) {
		// Alone first; then with the NIST curves after it, since a
		// server with an ECDSA certificate needs its curve listed too
		// (RFC 8422 5.1).
		found := false
		for _, list := range [][]uint16{{g}, withNIST(g)} {
			spec := s.baseSpec(0x0303)
			spec.CipherSuites = ecdhe
			spec.Groups = list
			if f := s.probe(ctx, &spec); f.accepted() && f.curve == g {
				found = true
				break
			}
		}
		if found {
			info, _ := groupByID(g)
			mu.Lock()
			out = append(out, Group{Name: info.name, ID: g, TLS12: true})
			mu.Unlock()
		}
	})
	return out
}

func withNIST(g uint16) []uint16 {
	out := []uint16{g}
	for _, n := range []uint16{23, 24, 25} {
		if n != g {
			out = append(out, n)
		}
	}
	return out
}

func mergeGroups(a, b []Group) []Group {
	m := map[uint16]Group{}
	for _, list := range [][]Group{a, b} {
		for _, g := range list {
			if p, ok := m[g.ID]; ok {
				p.TLS13 = p.TLS13 || g.TLS13
				p.TLS12 = p.TLS12 || g.TLS12
				g = p
			}
			m[g.ID] = g
		}
	}
	out := make([]Group, 0, len(m))
	for _, g := range m {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// hrrBehaviour: what the server does with an empty key_share, and with a
// share for a group it does not prefer.
func (s *Scanner) hrrBehaviour(ctx context.Context) string {
	spec := s.baseSpec(0x0304)
	spec.KeyShares = nil
	f := s.probe(ctx, &spec)
	switch {
	case !f.accepted():
		return "no HelloRetryRequest for a hello without key shares: " + f.failure()
	case !f.hello.hrr:
		return "answered a hello without key shares with a ServerHello (RFC 8446 4.1.1 wants a HelloRetryRequest)"
	}
	out := "HelloRetryRequest for " + groupName(f.hello.group)
	if f.hello.hasCookie {
		out += ", with a cookie"
	}
	return out + " when no key share fits"
}

// schemes12: each signature scheme alone, with the suites that sign a
// ServerKeyExchange; the one that signed it is accepted.
func (s *Scanner) schemes12(ctx context.Context) []uint16 {
	var fs []uint16
	for _, su := range SuitesFor(0x0303) {
		if (su.Kx == "ECDHE" || su.Kx == "DHE") && su.Auth != "anon" {
			fs = append(fs, su.ID)
		}
	}
	var mu sync.Mutex
	var out []uint16
	each(allSchemeIDs(), func(id uint16) {
		spec := s.baseSpec(0x0303)
		spec.CipherSuites = fs
		spec.SigSchemes = []uint16{id}
		f := s.probe(ctx, &spec)
		if f.accepted() && f.skeScheme == id {
			mu.Lock()
			out = append(out, id)
			mu.Unlock()
		}
	})
	return out
}

// features probes what the version hellos do not show: compression,
// heartbeat, fallback protection.
func (s *Scanner) features(ctx context.Context, st *state, rep *Report) []Finding {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }
	// The newest version up to TLS 1.2 the server speaks.
	var old uint16
	for _, v := range []uint16{0x0303, 0x0302, 0x0301, 0x0300} {
		if st.supported[v] {
			old = v
			break
		}
	}
	var mu sync.Mutex
	var fns []func()
	if old != 0 {
		h := st.first[old].hello
		if h.has(extRenegInfo) {
			rep.Features["secure_renegotiation"] = "yes"
			add(Finding{ID: "secure-renegotiation", Severity: Good, Title: "Secure renegotiation supported (RFC 5746)"})
		} else {
			rep.Features["secure_renegotiation"] = "no"
			add(Finding{ID: "insecure-renegotiation", Severity: High, Title: "No secure renegotiation (RFC 5746)",
				Detail: "The server does not answer renegotiation_info: if it renegotiates at all, an attacker can splice a prefix into the connection (CVE-2009-3555)."})
		}
		rep.Features["client_renegotiation"] = "not tested (hasp does not renegotiate)"
		if old == 0x0303 {
			if h.has(extEMS) {
				rep.Features["extended_master_secret"] = "yes"
				add(Finding{ID: "ems", Severity: Good, Title: "Extended master secret in TLS 1.2 (RFC 7627)"})
			} else {
				rep.Features["extended_master_secret"] = "no"
				add(Finding{ID: "no-ems", Severity: Medium, Title: "No extended master secret in TLS 1.2",
					Detail: "Without RFC 7627 a TLS 1.2 session can be synchronised across two connections (triple handshake attack) and channel bindings are weak."})
			}
		}
		if h.has(extTicket) {
			rep.Features["session_tickets"] = "yes"
		}
		fns = append(fns, func() {
			spec := s.baseSpec(old)
			spec.Compression = []uint8{1, 0}
			f := s.probe(ctx, &spec)
			mu.Lock()
			defer mu.Unlock()
			if f.accepted() && f.hello.compression != 0 {
				rep.Features["compression"] = "DEFLATE"
				add(Finding{ID: "compression", Severity: High, Title: "TLS compression enabled (CRIME)",
					Detail: "The server chose DEFLATE compression: secrets in a compressed stream leak through lengths (CRIME, CVE-2012-4929)."})
			} else {
				rep.Features["compression"] = "no"
			}
		}, func() {
			spec := s.baseSpec(old)
			spec.Extra = []wire.Extension{{Type: extHeartbeat, Data: []byte{1}}}
			f := s.probe(ctx, &spec)
			mu.Lock()
			defer mu.Unlock()
			if f.accepted() && f.hello.has(extHeartbeat) {
				rep.Features["heartbeat"] = "yes"
				add(Finding{ID: "heartbeat", Severity: Low, Title: "Heartbeat extension enabled",
					Detail: "RFC 6520 heartbeats serve no purpose over TCP and were the door to Heartbleed (CVE-2014-0160; not tested here)."})
			} else {
				rep.Features["heartbeat"] = "no"
			}
		})
	}
	// TLS_FALLBACK_SCSV (RFC 7507): a hello for a version below the
	// server's best, with the SCSV, must get inappropriate_fallback.
	var best, lower uint16
	for _, v := range []uint16{0x0304, 0x0303, 0x0302, 0x0301, 0x0300} {
		if st.supported[v] {
			if best == 0 {
				best = v
			} else if lower == 0 {
				lower = v
			}
		}
	}
	if lower != 0 {
		fns = append(fns, func() {
			spec := s.baseSpec(lower)
			spec.CipherSuites = append(spec.CipherSuites, SCSVFallback)
			f := s.probe(ctx, &spec)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case f.alert == int(wire.AlertInappropriateFallback):
				rep.Features["fallback_scsv"] = "yes"
				add(Finding{ID: "fallback-scsv", Severity: Good, Title: "Downgrade protection: TLS_FALLBACK_SCSV honoured (RFC 7507)"})
			case f.accepted():
				rep.Features["fallback_scsv"] = "no"
				add(Finding{ID: "no-fallback-scsv", Severity: Medium, Title: "TLS_FALLBACK_SCSV ignored",
					Detail: "A hello for " + versionName(lower) + " with the fallback SCSV was accepted although the server speaks " + versionName(best) + ": a client that retries with an older version can be downgraded (RFC 7507)."})
			default:
				rep.Features["fallback_scsv"] = "unclear: " + f.failure()
			}
		})
	} else {
		rep.Features["fallback_scsv"] = "n/a (one version only)"
	}
	s.parallel(fns...)
	return out
}

// specOf turns a client profile into a hello.
func (s *Scanner) specOf(c ClientProfile) engine.HelloSpec {
	spec := randomSpec()
	spec.LegacyVersion = min(c.MaxVersion, 0x0303)
	spec.Versions = c.Versions
	spec.CipherSuites = c.Suites
	spec.Groups = c.Groups
	spec.SigSchemes = c.SigSchemes
	spec.ALPN = c.ALPN
	if c.SNI {
		spec.ServerName = s.sni
	}
	spec.EMS = c.EMS
	spec.SecureReneg = c.SecureReneg
	spec.AskTicket = c.SessionTicket
	spec.StatusRequest = c.StatusRequest
	spec.SCT = c.SCT
	spec.PointFormats = c.PointFormats
	if c.MaxVersion >= 0x0304 {
		spec.SendKeyShares = true
		spec.KeyShares = keyShares(c.KeyShares...)
		spec.PSKModes = []uint8{1}
		var sid [32]byte
		copy(sid[:], spec.Random[:])
		spec.SessionID = sid[:]
	}
	return spec
}

// simulate sends each client profile's hello and reports what the
// server chose. A TLS 1.3 server that asks for another key share is
// followed once, as the client would.
func (s *Scanner) simulate(ctx context.Context) []Simulation {
	out := make([]Simulation, len(Clients))
	var idx []int
	for i := range Clients {
		idx = append(idx, i)
	}
	each(idx, func(i int) {
		c := Clients[i]
		sim := Simulation{Client: c.Name}
		spec := s.specOf(c)
		f := s.probe(ctx, &spec)
		if f.accepted() && f.hello.hrr {
			if slices.Contains(c.Groups, f.hello.group) {
				spec.KeyShares = keyShares(f.hello.group)
				f = s.probe(ctx, &spec)
			}
		}
		switch {
		case !f.accepted():
			sim.Error = f.failure()
		case f.hello.hrr:
			sim.Error = "asked for " + groupName(f.hello.group) + ", which the client cannot send here"
		default:
			sim.OK = true
			sim.Version = versionName(f.hello.version)
			info, _ := SuiteByID(f.hello.suite)
			sim.Suite = info.Name
			if sim.Suite == "" {
				sim.Suite = wire.SuiteName(f.hello.suite)
			}
			switch {
			case f.hello.group != 0:
				sim.Group = groupName(f.hello.group)
			case f.curve != 0:
				sim.Group = groupName(f.curve)
			case f.dhBits > 0:
				sim.Group = "DH " + itoa(f.dhBits)
			case info.Kx == "RSA":
				sim.Group = "RSA key exchange"
			}
		}
		out[i] = sim
	})
	return out
}
