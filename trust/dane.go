package trust

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DANE for SMTP (RFC 7672, on RFC 6698 and RFC 7671): TLSA records at
// _PORT._tcp.HOST, published under DNSSEC, name the server's key or its
// issuing CA. They count only when the resolver validated them (the AD
// bit); then they decide, whatever a CA would say.

// TLSA is one record (RFC 6698 section 2.1).
type TLSA struct {
	Usage        uint8 // 2 DANE-TA, 3 DANE-EE (0 and 1 are unusable for SMTP)
	Selector     uint8 // 0 whole certificate, 1 SubjectPublicKeyInfo
	MatchingType uint8 // 0 exact, 1 SHA-256, 2 SHA-512
	Data         []byte
}

func (r TLSA) String() string {
	usage := map[uint8]string{0: "PKIX-TA(0)", 1: "PKIX-EE(1)", 2: "DANE-TA(2)", 3: "DANE-EE(3)"}[r.Usage]
	if usage == "" {
		usage = strconv.Itoa(int(r.Usage))
	}
	sel := map[uint8]string{0: "Cert(0)", 1: "SPKI(1)"}[r.Selector]
	if sel == "" {
		sel = strconv.Itoa(int(r.Selector))
	}
	mt := map[uint8]string{0: "Full(0)", 1: "SHA2-256(1)", 2: "SHA2-512(2)"}[r.MatchingType]
	if mt == "" {
		mt = strconv.Itoa(int(r.MatchingType))
	}
	d := hex.EncodeToString(r.Data)
	if len(d) > 16 {
		d = d[:16] + "..."
	}
	return usage + " " + sel + " " + mt + " " + d
}

// usable: what an SMTP client may use (RFC 7672 3.1.3: PKIX-TA(0) and
// PKIX-EE(1) are not; unknown selectors and matching types are not; a
// digest of the wrong length cannot match).
func (r TLSA) usable() bool {
	if r.Usage != 2 && r.Usage != 3 || r.Selector > 1 {
		return false
	}
	switch r.MatchingType {
	case 0:
		return len(r.Data) > 0
	case 1:
		return len(r.Data) == sha256.Size
	case 2:
		return len(r.Data) == sha512.Size
	}
	return false
}

// matches reports whether c is what r names.
func (r TLSA) matches(c *x509.Certificate) bool {
	data := c.Raw
	if r.Selector == 1 {
		data = c.RawSubjectPublicKeyInfo
	}
	switch r.MatchingType {
	case 1:
		sum := sha256.Sum256(data)
		return bytes.Equal(sum[:], r.Data)
	case 2:
		sum := sha512.Sum512(data)
		return bytes.Equal(sum[:], r.Data)
	}
	return bytes.Equal(data, r.Data)
}

// TLSARecord makes the record of the given usage, selector and matching
// type for c (what a server operator publishes).
func TLSARecord(usage, selector, matching uint8, c *x509.Certificate) TLSA {
	r := TLSA{Usage: usage, Selector: selector, MatchingType: matching}
	data := c.Raw
	if selector == 1 {
		data = c.RawSubjectPublicKeyInfo
	}
	switch matching {
	case 1:
		sum := sha256.Sum256(data)
		r.Data = sum[:]
	case 2:
		sum := sha512.Sum512(data)
		r.Data = sum[:]
	default:
		r.Data = append([]byte(nil), data...)
	}
	return r
}

// DANERecords is the answer to a TLSA lookup.
type DANERecords struct {
	// Name is the name looked up: _25._tcp.mx.example.com.
	Name    string
	Records []TLSA
	// Secure: the resolver set the AD bit, so it validated the answer
	// with DNSSEC. Records that are not secure are ignored (RFC 7672
	// 2.2).
	Secure bool
}

// DANEResolver looks TLSA records up from a validating resolver.
type DANEResolver struct {
	// Addr is the resolver, host:port; it must validate DNSSEC and be
	// trusted to (RFC 7672 8: a local resolver, or a secure path to
	// one). Empty means the first nameserver in /etc/resolv.conf.
	Addr string
	// Timeout bounds one lookup (default 5 s).
	Timeout time.Duration
}

func (r *DANEResolver) addr() string {
	if r.Addr != "" {
		return r.Addr
	}
	if f, err := os.Open("/etc/resolv.conf"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(io.LimitReader(f, 64<<10))
		for s.Scan() {
			if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "nameserver" {
				return net.JoinHostPort(fields[1], "53")
			}
		}
	}
	return "127.0.0.1:53"
}

// LookupTLSA asks for the TLSA records of host's port (_PORT._tcp.HOST).
// A name that does not exist, or has no TLSA records, is an answer with
// no records; a resolver that fails (SERVFAIL, no answer) is an error:
// RFC 7672 2.2 makes the client defer rather than guess.
func (r *DANEResolver) LookupTLSA(ctx context.Context, host string, port int) (*DANERecords, error) {
	name := "_" + strconv.Itoa(port) + "._tcp." + strings.TrimSuffix(host, ".") + "."
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q, id, err := tlsaQuery(name)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	resp, err := exchangeUDP(ctx, &d, r.addr(), q, id, name)
	if err != nil {
		return nil, err
	}
	out, truncated, err := parseTLSAResponse(resp, id, name)
	if err == nil && truncated {
		if resp, err = exchangeTCP(ctx, &d, r.addr(), q); err == nil {
			out, _, err = parseTLSAResponse(resp, id, name)
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tlsaQuery builds the query: recursion desired, and AD set to ask for
// the AD bit in the answer (RFC 6840 5.7); EDNS0 for answers over 512
// bytes.
func tlsaQuery(name string) ([]byte, uint16, error) {
	var idb [2]byte
	rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, 0, fmt.Errorf("dane: %q is not a DNS name", name)
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true, AuthenticData: true})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: n, Type: typeTLSA, Class: dnsmessage.ClassINET})
	b.StartAdditionals()
	var h dnsmessage.ResourceHeader
	h.SetEDNS0(1232, dnsmessage.RCodeSuccess, false)
	b.OPTResource(h, dnsmessage.OPTResource{})
	msg, err := b.Finish()
	return msg, id, err
}

const typeTLSA dnsmessage.Type = 52

// maxStrayAnswers bounds the datagrams one UDP lookup reads and ignores
// because they do not answer its query.
const maxStrayAnswers = 16

// exchangeUDP sends q and returns the first datagram that answers it:
// from the resolver's address and port (the socket is connected, so the
// kernel drops others), with q's ID and question (RFC 5452 9.1). Any
// other datagram, a stray late answer or a spoofed one, is ignored and
// the read goes on, within the same deadline; more than maxStrayAnswers
// of them end the lookup.
func exchangeUDP(ctx context.Context, d *net.Dialer, addr string, q []byte, id uint16, name string) ([]byte, error) {
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("dane: resolver %s: %v", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	buf := make([]byte, 1232)
	stray := 0
	for try := 0; try < 2; try++ {
		if _, err := c.Write(q); err != nil {
			return nil, fmt.Errorf("dane: resolver %s: %v", addr, err)
		}
		// Two seconds a try, never past the lookup's deadline.
		rd := time.Now().Add(2 * time.Second)
		if dl, ok := ctx.Deadline(); ok && dl.Before(rd) {
			rd = dl
		}
		c.SetReadDeadline(rd)
		for {
			n, err := c.Read(buf)
			if err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() || ctx.Err() != nil {
					return nil, fmt.Errorf("dane: resolver %s: %v%s", addr, err, strayNote(stray))
				}
				break // the next try
			}
			if answersQuery(buf[:n], id, name) {
				return buf[:n], nil
			}
			if stray++; stray > maxStrayAnswers {
				return nil, fmt.Errorf("dane: resolver %s: more than %d datagrams that do not answer the query", addr, maxStrayAnswers)
			}
		}
	}
	return nil, fmt.Errorf("dane: resolver %s does not answer%s", addr, strayNote(stray))
}

func strayNote(stray int) string {
	if stray == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d datagrams that do not answer the query ignored)", stray)
}

// answersQuery reports whether msg is a response to query id for name's
// TLSA records: the same ID and the same one question (RFC 5452 9.1).
func answersQuery(msg []byte, id uint16, name string) bool {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.ID != id || !h.Response {
		return false
	}
	qs, err := p.AllQuestions()
	return err == nil && len(qs) == 1 && strings.EqualFold(qs[0].Name.String(), name) &&
		qs[0].Type == typeTLSA && qs[0].Class == dnsmessage.ClassINET
}

func exchangeTCP(ctx context.Context, d *net.Dialer, addr string, q []byte) ([]byte, error) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dane: resolver %s: %v", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	msg := binary.BigEndian.AppendUint16(nil, uint16(len(q)))
	if _, err := c.Write(append(msg, q...)); err != nil {
		return nil, fmt.Errorf("dane: resolver %s: %v", addr, err)
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil, fmt.Errorf("dane: resolver %s: %v", addr, err)
	}
	resp := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(c, resp); err != nil {
		return nil, fmt.Errorf("dane: resolver %s: %v", addr, err)
	}
	return resp, nil
}

// parseTLSAResponse reads the answer to query id for name: the TLSA
// records at name or at the end of a CNAME chain from it (at most 8
// links), and the AD bit.
func parseTLSAResponse(msg []byte, id uint16, name string) (out *DANERecords, truncated bool, err error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil, false, fmt.Errorf("dane: bad DNS answer: %v", err)
	}
	if h.ID != id || !h.Response {
		return nil, false, errors.New("dane: DNS answer to another query")
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 || !strings.EqualFold(qs[0].Name.String(), name) || qs[0].Type != typeTLSA {
		return nil, false, errors.New("dane: DNS answer to another question")
	}
	if h.Truncated {
		return nil, true, nil
	}
	out = &DANERecords{Name: strings.TrimSuffix(name, "."), Secure: h.AuthenticData}
	switch h.RCode {
	case dnsmessage.RCodeSuccess, dnsmessage.RCodeNameError:
	default:
		return nil, false, fmt.Errorf("dane: resolver answered %v for %s", h.RCode, name)
	}
	cnames := map[string]string{}
	type owned struct {
		owner string
		rec   TLSA
	}
	var recs []owned
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("dane: bad DNS answer: %v", err)
		}
		owner := strings.ToLower(rh.Name.String())
		switch {
		case rh.Type == dnsmessage.TypeCNAME && rh.Class == dnsmessage.ClassINET:
			r, err := p.CNAMEResource()
			if err != nil {
				return nil, false, fmt.Errorf("dane: bad CNAME: %v", err)
			}
			cnames[owner] = strings.ToLower(r.CNAME.String())
		case rh.Type == typeTLSA && rh.Class == dnsmessage.ClassINET:
			r, err := p.UnknownResource()
			if err != nil {
				return nil, false, fmt.Errorf("dane: bad TLSA record: %v", err)
			}
			if len(r.Data) < 3 {
				return nil, false, errors.New("dane: TLSA record shorter than 3 bytes")
			}
			recs = append(recs, owned{owner, TLSA{r.Data[0], r.Data[1], r.Data[2], append([]byte(nil), r.Data[3:]...)}})
		default:
			if err := p.SkipAnswer(); err != nil {
				return nil, false, fmt.Errorf("dane: bad DNS answer: %v", err)
			}
		}
	}
	target := strings.ToLower(name)
	for i := 0; i < 8; i++ {
		next, ok := cnames[target]
		if !ok {
			break
		}
		target = next
	}
	for _, r := range recs {
		if r.owner == target {
			out.Records = append(out.Records, r.rec)
		}
	}
	return out, false, nil
}

// checkDANE is the dane check of a verdict (RFC 7672 section 3).
// DANE-EE(3) matches the leaf and ignores its names and dates (3.1.1);
// DANE-TA(2) matches a CA in the chain the server sent (or is that CA,
// given whole), and then the chain must verify up to it and the leaf
// must be valid for host (3.1.2, 3.2).
func checkDANE(d *DANERecords, chain []*x509.Certificate, host string, now time.Time) (Outcome, string) {
	switch {
	case len(d.Records) == 0:
		return NotApplicable, "no TLSA records at " + d.Name
	case !d.Secure:
		return NotApplicable, fmt.Sprintf("%d TLSA records at %s, but the resolver did not validate them (no AD bit): ignored (RFC 7672 2.2)", len(d.Records), d.Name)
	}
	var usable []TLSA
	for _, r := range d.Records {
		if r.usable() {
			usable = append(usable, r)
		}
	}
	if len(usable) == 0 {
		return Warn, fmt.Sprintf("%d TLSA records at %s, none usable for SMTP (only DANE-TA(2) and DANE-EE(3) are): TLS is required, but unauthenticated (RFC 7672 2.2)", len(d.Records), d.Name)
	}
	if len(chain) == 0 {
		return Fail, "the server sent no certificate"
	}
	leaf := chain[0]
	var why []string
	for _, r := range usable {
		if r.Usage == 3 {
			if r.matches(leaf) {
				return Pass, fmt.Sprintf("%s matches the server's certificate (DANE-EE: names and dates not checked, RFC 7672 3.1.1)", r)
			}
			continue
		}
		var ta *x509.Certificate
		for _, c := range chain[1:] {
			if r.matches(c) {
				ta = c
				break
			}
		}
		if ta == nil && r.Selector == 0 && r.MatchingType == 0 {
			ta, _ = x509.ParseCertificate(r.Data)
		}
		if ta == nil {
			continue
		}
		roots := x509.NewCertPool()
		roots.AddCert(ta)
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		switch {
		case err != nil:
			why = append(why, fmt.Sprintf("%s names %s, but the chain does not verify to it: %s", r, ta.Subject.CommonName, chainReason(err)))
		case leaf.VerifyHostname(host) != nil:
			why = append(why, fmt.Sprintf("%s names %s, but the certificate is not valid for %s (it names %s)", r, ta.Subject.CommonName, host, names(leaf)))
		default:
			return Pass, fmt.Sprintf("%s matches %s, which issues the chain, valid for %s (DANE-TA, RFC 7672 3.1.2)", r, ta.Subject.CommonName, host)
		}
	}
	if len(why) > 0 {
		return Fail, strings.Join(why, "; ")
	}
	return Fail, fmt.Sprintf("none of the %d usable TLSA records at %s matches the server's chain (leaf SPKI sha256/%s)", len(usable), d.Name, SPKIHash(leaf))
}
