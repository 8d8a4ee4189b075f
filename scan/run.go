package scan

import (
	"context"
	"crypto/rand"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/kex"
	"github.com/hasp-tls/hasp/internal/wire"
)

// The versions a scan asks about, oldest first (SSL 2.0 has its own
// probe).
var probeVersions = []uint16{0x0300, 0x0301, 0x0302, 0x0303, 0x0304}

// maxSuitesPerVersion bounds the suite enumeration: a server cannot
// make it loop.
const maxSuitesPerVersion = 400

func suiteIDs(ss []Suite) []uint16 {
	out := make([]uint16, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// baseSpec is the hello of a version probe: every suite of the version,
// every group, every signature scheme, the usual extensions.
func (s *Scanner) baseSpec(v uint16) engine.HelloSpec {
	spec := randomSpec()
	spec.ServerName = s.sni
	spec.StatusRequest = true
	spec.SCT = true
	if v == 0x0304 {
		spec.LegacyVersion = 0x0303
		spec.Versions = []uint16{0x0304}
		spec.CipherSuites = suiteIDs(SuitesFor(0x0304))
		spec.Groups = tls13GroupIDs()
		spec.SigSchemes = allSchemeIDs()
		spec.SendKeyShares = true
		spec.KeyShares = keyShares(wire.GroupX25519)
		spec.PSKModes = []uint8{1}
		var sid [32]byte
		rand.Read(sid[:])
		spec.SessionID = sid[:]
		return spec
	}
	spec.LegacyVersion = v
	spec.CipherSuites = suiteIDs(SuitesFor(v))
	// Modern groups first, so that the key exchange a suite is shown
	// with is the one a current client would get.
	gs := []uint16{29, 23, 24, 25, 30, 256, 257, 258}
	for _, g := range groups {
		if !g.pq && !slices.Contains(gs, g.id) {
			gs = append(gs, g.id)
		}
	}
	spec.Groups = gs
	spec.PointFormats = []uint8{0}
	if v >= 0x0303 {
		spec.SigSchemes = allSchemeIDs()
	}
	spec.EMS = true
	spec.SecureReneg = true
	spec.AskTicket = true
	return spec
}

// keyShares makes real key shares for the groups hasp can make them for
// (a server checks that a point is on its curve).
func keyShares(gs ...uint16) []wire.KeyShare {
	var ok []uint16
	for _, g := range gs {
		if kex.Supported(g) {
			ok = append(ok, g)
		}
	}
	privs, err := kex.Generate(ok, rand.Reader)
	if err != nil {
		return nil
	}
	out := make([]wire.KeyShare, len(privs))
	for i, p := range privs {
		out[i] = wire.KeyShare{Group: p.Group, Data: p.Public()}
	}
	return out
}

// state is what the steps of a scan share.
type state struct {
	mu        sync.Mutex
	supported map[uint16]bool
	first     map[uint16]flight // the version probe's answer
	suites    map[uint16][]SuiteResult
}

func (s *Scanner) run(ctx context.Context, rep *Report) {
	st := &state{supported: map[uint16]bool{}, first: map[uint16]flight{}, suites: map[uint16][]SuiteResult{}}
	rep.Features = map[string]string{}

	// 1. Versions.
	var v2 sslv2Result
	steps := []func(){func() { v2 = s.probeSSLv2(ctx) }}
	for _, v := range probeVersions {
		steps = append(steps, func() {
			spec := s.baseSpec(v)
			f := s.probe(ctx, &spec)
			st.mu.Lock()
			st.first[v] = f
			st.supported[v] = f.accepted() && f.hello.version == v
			st.mu.Unlock()
		})
	}
	s.parallel(steps...)
	rep.Protocols = append(rep.Protocols, Protocol{Name: "SSLv2", Version: 2, Supported: v2.supported, Answer: answerV2(v2)})
	for _, c := range v2.ciphers {
		rep.SSLv2Ciphers = append(rep.SSLv2Ciphers, sslv2Name(c))
	}
	any := v2.supported
	for _, v := range probeVersions {
		f := st.first[v]
		p := Protocol{Name: versionName(v), Version: v, Supported: st.supported[v]}
		switch {
		case p.Supported:
			p.Answer = "accepted"
		case f.accepted():
			p.Answer = "answered with " + versionName(f.hello.version)
		default:
			p.Answer = f.failure()
		}
		any = any || p.Supported
		rep.Protocols = append(rep.Protocols, p)
	}
	if !any {
		rep.Error = "no TLS version accepted: " + s.whyNot(st)
		rep.Findings = append(rep.Findings, Finding{ID: "no-tls", Severity: Critical, Title: "The server accepts no TLS or SSL version", Detail: s.whyNot(st)})
		rep.Grade = Grade{Letter: "-", Why: []string{"nothing to grade: " + rep.Error}}
		return
	}

	// 2. Everything else, in parallel.
	var work []func()
	for _, v := range probeVersions {
		if st.supported[v] {
			work = append(work, func() {
				vs := s.enumerateSuites(ctx, v)
				st.mu.Lock()
				st.suites[v] = vs.Suites
				rep.Suites = append(rep.Suites, vs)
				st.mu.Unlock()
			})
		}
	}
	var groups13, groups12 []Group
	var groupPref, hrr string
	if st.supported[0x0304] {
		work = append(work, func() { groups13, groupPref = s.groups13(ctx) }, func() { hrr = s.hrrBehaviour(ctx) })
	}
	if st.supported[0x0303] {
		work = append(work, func() { groups12 = s.groups12(ctx) })
	}
	var schemes12 []uint16
	if st.supported[0x0303] {
		work = append(work, func() { schemes12 = s.schemes12(ctx) })
	}
	var features []Finding
	work = append(work, func() { features = s.features(ctx, st, rep) })
	var hs handshakes
	work = append(work, func() { hs = s.fullHandshakes(ctx, st) })
	var sims []Simulation
	work = append(work, func() { sims = s.simulate(ctx) })
	s.parallel(work...)

	sort.Slice(rep.Suites, func(i, j int) bool { return rep.Suites[i].Version > rep.Suites[j].Version })
	rep.Groups = mergeGroups(groups13, groups12)
	rep.GroupPreference = groupPref
	rep.HRR = hrr
	names := map[string]bool{}
	for _, id := range schemes12 {
		names[schemeName(id)] = true
	}
	for _, n := range hs.schemes13 {
		names[n] = true
	}
	for _, sc := range schemes {
		if names[sc.name] {
			rep.SignatureSchemes = append(rep.SignatureSchemes, sc.name)
		}
	}
	rep.ALPN = hs.alpn
	rep.Certificates = hs.certs
	rep.Sessions = hs.sessions
	rep.HTTP = hs.http
	rep.Simulations = sims
	rep.Findings = append(rep.Findings, features...)
	rep.Findings = append(rep.Findings, hs.findings...)
	sortCertificates(rep)
	s.findings(rep, st)
	sortFindings(rep)
	grade(rep)
}

var sevRank = map[Severity]int{Critical: 0, High: 1, Medium: 2, Low: 3, Info: 4, Good: 5}

// sortFindings puts what parallel steps found in a stable order: the
// worst first.
func sortFindings(rep *Report) {
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if sevRank[a.Severity] != sevRank[b.Severity] {
			return sevRank[a.Severity] < sevRank[b.Severity]
		}
		return a.ID < b.ID
	})
}

func sortCertificates(rep *Report) {
	for _, c := range rep.Certificates {
		sort.Strings(c.Seen)
	}
	sort.SliceStable(rep.Certificates, func(i, j int) bool {
		a, b := rep.Certificates[i], rep.Certificates[j]
		if a.KeyType != b.KeyType {
			return a.KeyType < b.KeyType
		}
		return a.SPKI < b.SPKI
	})
}

func (s *Scanner) whyNot(st *state) string {
	seen := map[string]bool{}
	var out []string
	for _, v := range probeVersions {
		f := st.first[v]
		if w := f.failure(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return strings.Join(out, "; ")
}

func answerV2(r sslv2Result) string {
	switch {
	case r.supported:
		return "accepted"
	case r.err != "":
		return r.err
	}
	return "refused"
}

func sslv2Name(id uint32) string {
	for _, c := range SSLv2Ciphers {
		if c.ID == id {
			return c.Name
		}
	}
	return "unknown"
}

// enumerateSuites finds every suite version v accepts: offer all, note
// the one chosen, offer the rest, until the server refuses; then offer
// them reversed to see whose preference decides.
func (s *Scanner) enumerateSuites(ctx context.Context, v uint16) VersionSuites {
	vs := VersionSuites{Version: versionName(v)}
	offer := suiteIDs(SuitesFor(v))
	var got []uint16
	var flights []flight
	for len(offer) > 0 {
		if len(got) >= maxSuitesPerVersion {
			vs.Truncated = true
			break
		}
		spec := s.baseSpec(v)
		spec.CipherSuites = offer
		f := s.probe(ctx, &spec)
		if !f.accepted() || f.hello.version != v || !slices.Contains(offer, f.hello.suite) {
			break
		}
		got = append(got, f.hello.suite)
		flights = append(flights, f)
		offer = slices.DeleteFunc(offer, func(id uint16) bool { return id == f.hello.suite })
	}
	if len(got) >= 2 {
		spec := s.baseSpec(v)
		spec.CipherSuites = slices.Clone(got)
		slices.Reverse(spec.CipherSuites)
		f := s.probe(ctx, &spec)
		vs.ServerPreference = f.accepted() && f.hello.suite == got[0]
	}
	for i, id := range got {
		vs.Suites = append(vs.Suites, suiteResult(id, flights[i]))
	}
	return vs
}

func suiteResult(id uint16, f flight) SuiteResult {
	info, _ := SuiteByID(id)
	r := SuiteResult{ID: id, Name: info.Name, Bits: info.Bits, ForwardSecret: info.ForwardSecret, AEAD: info.AEAD}
	if r.Name == "" {
		r.Name = wire.SuiteName(id)
	}
	switch {
	case info.TLS13:
		r.Kx = "key share " + groupName(f.hello.group)
	case f.dhBits > 0:
		r.Kx = info.Kx + " " + itoa(f.dhBits)
	case f.curve != 0:
		r.Kx = info.Kx + " " + groupName(f.curve)
	default:
		r.Kx = info.Kx
	}
	if strings.Contains(info.Cipher, "RC4") {
		r.Weak = append(r.Weak, "RC4")
	}
	if info.BlockBits == 64 {
		r.Weak = append(r.Weak, "64-bit block (Sweet32)")
	}
	if info.Export {
		r.Weak = append(r.Weak, "export")
	}
	if info.Cipher == "NULL" {
		r.Weak = append(r.Weak, "no encryption")
	}
	if info.Anon {
		r.Weak = append(r.Weak, "anonymous (no authentication)")
	}
	if f.dhBits > 0 && f.dhBits < 2048 {
		r.Weak = append(r.Weak, "DH "+itoa(f.dhBits)+" bits (Logjam)")
	}
	if !info.ForwardSecret && !info.TLS13 && info.Kx != "" {
		r.Weak = append(r.Weak, "no forward secrecy")
	}
	return r
}

func itoa(n int) string { return strconv.Itoa(n) }
