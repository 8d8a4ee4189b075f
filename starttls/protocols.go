package starttls

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// smtpReply reads an SMTP reply: lines "NNN-text" then "NNN text" (RFC
// 5321 section 4.2), bounded; it returns the texts and the code.
func (c *client) smtpReply() ([]string, int, error) {
	var lines []string
	for {
		l, err := c.line()
		if err != nil {
			return nil, 0, err
		}
		if len(l) < 3 {
			return nil, 0, &UnexpectedError{c.proto, "a reply", l}
		}
		code, err := strconv.Atoi(l[:3])
		if err != nil {
			return nil, 0, &UnexpectedError{c.proto, "a reply", l}
		}
		text := strings.TrimSpace(l[3:])
		if len(l) > 3 && (l[3] == '-' || l[3] == ' ') {
			text = l[4:]
		}
		lines = append(lines, text)
		if len(l) == 3 || l[3] == ' ' {
			return lines, code, nil
		}
		if l[3] != '-' {
			return nil, 0, &UnexpectedError{c.proto, "a reply", l}
		}
	}
}

// smtp: the 220 greeting, EHLO (LHLO for LMTP), STARTTLS (RFC 3207).
func (c *client) smtp(verb string) error {
	lines, code, err := c.smtpReply()
	if err != nil {
		return err
	}
	c.ann.Banner = strings.Join(lines, "\n")
	if code != 220 {
		return &UnexpectedError{c.proto, "the connection", strconv.Itoa(code) + " " + c.ann.Banner}
	}
	if err := c.send(verb + " " + c.name); err != nil {
		return err
	}
	lines, code, err = c.smtpReply()
	if err != nil {
		return err
	}
	if code != 250 {
		return &UnexpectedError{c.proto, verb, strconv.Itoa(code) + " " + strings.Join(lines, " ")}
	}
	c.ann.Capabilities = lines[1:]
	if !c.ann.Has("STARTTLS") {
		return ErrNotOffered
	}
	if err := c.send("STARTTLS"); err != nil {
		return err
	}
	lines, code, err = c.smtpReply()
	if err != nil {
		return err
	}
	if code != 220 {
		return &RefusedError{c.proto, strconv.Itoa(code) + " " + strings.Join(lines, " ")}
	}
	return nil
}

// imap: the greeting, CAPABILITY, STARTTLS (RFC 3501 6.2.1, RFC 2595).
func (c *client) imap() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "* OK") {
		return &UnexpectedError{c.proto, "the connection", l}
	}
	c.ann.Banner = l
	if err := c.send("a1 CAPABILITY"); err != nil {
		return err
	}
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			c.ann.Capabilities = append(c.ann.Capabilities, strings.Fields(rest)...)
			continue
		}
		if strings.HasPrefix(l, "a1 ") {
			if !strings.HasPrefix(l, "a1 OK") {
				return &UnexpectedError{c.proto, "CAPABILITY", l}
			}
			break
		}
	}
	if !c.ann.Has("STARTTLS") {
		return ErrNotOffered
	}
	if err := c.send("a2 STARTTLS"); err != nil {
		return err
	}
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "a2 OK") {
			return nil
		}
		if strings.HasPrefix(l, "a2 ") {
			return &RefusedError{c.proto, l}
		}
	}
}

// pop3: the greeting, CAPA, STLS (RFC 2449, RFC 2595 section 4).
func (c *client) pop3() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "+OK") {
		return &UnexpectedError{c.proto, "the connection", l}
	}
	c.ann.Banner = l
	if err := c.send("CAPA"); err != nil {
		return err
	}
	if l, err = c.line(); err != nil {
		return err
	}
	if strings.HasPrefix(l, "+OK") {
		for {
			l, err := c.line()
			if err != nil {
				return err
			}
			if l == "." {
				break
			}
			c.ann.Capabilities = append(c.ann.Capabilities, l)
		}
	}
	if !c.ann.Has("STLS") {
		return ErrNotOffered
	}
	if err := c.send("STLS"); err != nil {
		return err
	}
	if l, err = c.line(); err != nil {
		return err
	}
	if !strings.HasPrefix(l, "+OK") {
		return &RefusedError{c.proto, l}
	}
	return nil
}

// ftp: the 220 greeting, FEAT, AUTH TLS (RFC 2389, RFC 4217 section 4).
// Every reply is read as FTP's (RFC 959 4.2), not SMTP's: the lines
// between "NNN-" and "NNN " may say anything.
func (c *client) ftp() error {
	code, lines, err := c.ftpReply("the connection")
	if err != nil {
		return err
	}
	// RFC 959 5.4: "120 Service ready in nnn minutes" may come before
	// the 220 (more preliminary replies are bounded by maxLines).
	for code/100 == 1 {
		if code, lines, err = c.ftpReply("the connection"); err != nil {
			return err
		}
	}
	c.ann.Banner = strings.Join(lines, "\n")
	if code != 220 {
		return &UnexpectedError{c.proto, "the connection", strconv.Itoa(code) + " " + c.ann.Banner}
	}
	if err := c.send("FEAT"); err != nil {
		return err
	}
	// FEAT's reply lists features on lines that start with a space
	// between "211-" and "211 End" (RFC 2389 3.2).
	code, lines, err = c.ftpReply("FEAT")
	if err != nil {
		return err
	}
	if code == 211 && len(lines) > 2 {
		// The first and last lines ("Features:", "End") are not features.
		for _, l := range lines[1 : len(lines)-1] {
			if f := strings.TrimSpace(l); f != "" {
				c.ann.Capabilities = append(c.ann.Capabilities, f)
			}
		}
	}
	if err := c.send("AUTH TLS"); err != nil {
		return err
	}
	code, lines, err = c.ftpReply("AUTH TLS")
	if err != nil {
		return err
	}
	reply := strconv.Itoa(code) + " " + strings.Join(lines, " ")
	switch code {
	case 234:
		// RFC 4217 4.1: "234" is the one go-ahead; TLS takes no ADAT,
		// so a 334 (RFC 2228: send security data) is no go-ahead.
		return nil
	case 500, 502, 504:
		// RFC 4217 4.1 (RFC 2228 AUTH): the command or the mechanism
		// is unknown to the server.
		return fmt.Errorf("%w: %s", ErrNotOffered, reply)
	}
	// 421, 431, 501, 534 (RFC 4217 4.1) and anything else.
	return &RefusedError{c.proto, reply}
}

// ftpReply reads an FTP reply (RFC 959 4.2): one line "NNN text", or
// "NNN-text", lines that may say anything (they need not start with the
// code), and a last line that starts with the same code and a space.
// It returns the code and the texts (without the codes of the first and
// last lines), bounded by c.line's limits.
func (c *client) ftpReply(step string) (int, []string, error) {
	first, err := c.line()
	if err != nil {
		return 0, nil, err
	}
	if len(first) < 3 || !isDigits(first[:3]) || first[0] < '1' || first[0] > '5' || (len(first) > 3 && first[3] != ' ' && first[3] != '-') {
		return 0, nil, &UnexpectedError{c.proto, step, first}
	}
	code, _ := strconv.Atoi(first[:3])
	if len(first) == 3 || first[3] == ' ' {
		return code, []string{strings.TrimPrefix(first[3:], " ")}, nil
	}
	lines := []string{first[4:]}
	for {
		l, err := c.line()
		if err != nil {
			return 0, nil, err
		}
		if l == first[:3] || strings.HasPrefix(l, first[:3]+" ") {
			return code, append(lines, strings.TrimPrefix(l[3:], " ")), nil
		}
		lines = append(lines, l)
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// postgres: SSLRequest, answered by one byte: S to go on, N for no.
func (c *client) postgres() error {
	// Length 8, then the SSLRequest code 1234 5679.
	if _, err := c.conn.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		return err
	}
	b, err := c.r.ReadByte()
	if err != nil {
		return err
	}
	switch b {
	case 'S':
		return nil
	case 'N':
		return ErrNotOffered
	}
	return &UnexpectedError{c.proto, "SSLRequest", string(rune(b))}
}

// ldapStartTLSID is the messageID of the StartTLS request, the only one
// the client sends before TLS.
const ldapStartTLSID = 1

// ldap: the StartTLS extended operation (RFC 4511 4.14), BER-encoded.
func (c *client) ldap() error {
	const oid = "1.3.6.1.4.1.1466.20037"
	// LDAPMessage { messageID 1, extendedReq [APPLICATION 23] {
	// requestName [0] oid } }
	req := []byte{0x30, byte(3 + 2 + 2 + len(oid)), 0x02, 0x01, ldapStartTLSID, 0x77, byte(2 + len(oid)), 0x80, byte(len(oid))}
	req = append(req, oid...)
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	msg, err := c.berElement()
	if err != nil {
		return err
	}
	// LDAPMessage: SEQUENCE { messageID INTEGER, protocolOp, controls
	// [0] OPTIONAL }; the answer is an ExtendedResponse [APPLICATION 24]
	// { resultCode ENUMERATED, matchedDN, diagnosticMessage, referral
	// [3] OPTIONAL, responseName [10] OPTIONAL, responseValue [11]
	// OPTIONAL } (RFC 4511 4.1.1, 4.12, 4.14.2).
	body, ok := berInner(msg, 0x30)
	if !ok {
		return &UnexpectedError{c.proto, "StartTLS", "not an LDAPMessage"}
	}
	idElem, rest, ok := berNext(body)
	if !ok {
		return &UnexpectedError{c.proto, "StartTLS", "no message ID"}
	}
	id, ok := berInt(idElem, 0x02)
	if !ok {
		return &UnexpectedError{c.proto, "StartTLS", "a message ID that is not an INTEGER"}
	}
	op, _, ok := berNext(rest)
	if !ok {
		return &UnexpectedError{c.proto, "StartTLS", "no protocolOp"}
	}
	if op[0] != 0x78 {
		return &UnexpectedError{c.proto, "StartTLS", fmt.Sprintf("protocolOp tag 0x%02x, not an ExtendedResponse", op[0])}
	}
	resp := berContent(op)
	codeElem, rest, ok := berNext(resp)
	if !ok {
		return &UnexpectedError{c.proto, "StartTLS", "no resultCode"}
	}
	code, ok := berInt(codeElem, 0x0a)
	if !ok {
		return &UnexpectedError{c.proto, "StartTLS", "no resultCode"}
	}
	diag := ""
	if _, r2, ok := berNext(rest); ok { // matchedDN
		if d, r3, ok := berNext(r2); ok && d[0] == 0x04 {
			diag, rest = string(berContent(d)), r3
		}
	}
	if id != ldapStartTLSID {
		// Message ID 0 is an unsolicited notification (RFC 4511 4.4),
		// such as the server's notice of disconnection; any other ID
		// answers no request of ours.
		what := fmt.Sprintf("message ID %d, not %d (resultCode %d %s)", id, ldapStartTLSID, code, diag)
		if id == 0 {
			what = fmt.Sprintf("an unsolicited notification (resultCode %d %s)", code, diag)
		}
		return &UnexpectedError{c.proto, "StartTLS", what}
	}
	if code != 0 {
		if code == 2 { // protocolError: StartTLS unknown
			return fmt.Errorf("%w: resultCode 2 (protocolError) %s", ErrNotOffered, diag)
		}
		return &RefusedError{c.proto, "resultCode " + strconv.FormatInt(code, 10) + " " + diag}
	}
	// A referral [3] may precede responseName [10], which, when present,
	// must name StartTLS (RFC 4511 4.14.2).
	for len(rest) > 0 {
		e, r2, ok := berNext(rest)
		if !ok {
			return &UnexpectedError{c.proto, "StartTLS", "a malformed ExtendedResponse"}
		}
		if e[0] == 0x8a {
			if name := string(berContent(e)); name != oid {
				return &UnexpectedError{c.proto, "StartTLS", "responseName " + strconv.Quote(name) + ", not " + oid}
			}
		}
		rest = r2
	}
	return nil
}

// berInt decodes an INTEGER or ENUMERATED element e of tag tag (at most
// 8 content bytes, two's complement).
func berInt(e []byte, tag byte) (int64, bool) {
	if len(e) == 0 || e[0] != tag {
		return 0, false
	}
	v := berContent(e)
	if len(v) == 0 || len(v) > 8 {
		return 0, false
	}
	n := int64(int8(v[0]))
	for _, b := range v[1:] {
		n = n<<8 | int64(b)
	}
	return n, true
}

// berContent returns the contents of the element e (as berNext split it
// off: its length is right).
func berContent(e []byte) []byte {
	h := 2
	if e[1]&0x80 != 0 {
		h += int(e[1] & 0x7f)
	}
	return e[h:]
}

// berElement reads one BER element (short or long definite length),
// bounded.
func (c *client) berElement() ([]byte, error) {
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(c.r, hdr); err != nil {
		return nil, err
	}
	n := int(hdr[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > maxBERLengthBytes {
			return nil, &UnexpectedError{c.proto, "StartTLS", "a BER length it cannot take"}
		}
		lb := make([]byte, k)
		if _, err := io.ReadFull(c.r, lb); err != nil {
			return nil, err
		}
		hdr = append(hdr, lb...)
		n = berLength(lb)
	}
	if n > maxBytes {
		return nil, errors.New("starttls: an LDAP response of more than 64 KiB")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, err
	}
	return append(hdr, body...), nil
}

// maxBERLengthBytes: a long-form BER length of up to 4 bytes is taken.
// LDAP allows any (RFC 4511 section 5.1 only forbids the indefinite
// form), and Active Directory writes every length in 4 bytes (0x84).
const maxBERLengthBytes = 4

// berLength decodes the bytes of a long-form length (at most
// maxBERLengthBytes), saturating at maxBytes+1 so that no caller sees a
// length that overflows int.
func berLength(lb []byte) int {
	var n uint64
	for _, b := range lb {
		n = n<<8 | uint64(b)
	}
	return int(min(n, maxBytes+1))
}

// berNext splits the first element (header included) off b.
func berNext(b []byte) (elem, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n, h := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > maxBERLengthBytes || len(b) < 2+k {
			return nil, nil, false
		}
		n = berLength(b[2 : 2+k])
		h += k
	}
	if n > len(b)-h {
		return nil, nil, false
	}
	return b[:h+n], b[h+n:], true
}

// berInner returns the contents of b's first element, when its tag is tag.
func berInner(b []byte, tag byte) ([]byte, bool) {
	e, _, ok := berNext(b)
	if !ok || e[0] != tag {
		return nil, false
	}
	return berContent(e), true
}

// XML namespaces of the XMPP stream and of its STARTTLS (RFC 6120 4.8.1,
// 5.4.2).
const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
)

var errXMPPTooMuch = errors.New("starttls: more than 64 KiB before the upgrade")

// xmppReader feeds encoding/xml from c.r one byte at a time, as an
// io.ByteReader, so the decoder reads nothing beyond the token it
// returns (what a server sends after <proceed/> stays in c.r, where
// prepare finds it), counting every byte against c's 64 KiB budget. It
// keeps the text read since the last '<' (up to maxLine bytes): the
// start tag the decoder has just returned, to show it.
type xmppReader struct {
	c   *client
	tag []byte
}

func (x *xmppReader) ReadByte() (byte, error) {
	b, err := x.c.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if x.c.read++; x.c.read > maxBytes {
		return 0, errXMPPTooMuch
	}
	if b == '<' {
		x.tag = x.tag[:0]
	}
	if len(x.tag) < maxLine {
		x.tag = append(x.tag, b)
	}
	return b, nil
}

func (x *xmppReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := x.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// xmpp: the stream header, the features, <starttls/>, <proceed/> (RFC
// 6120 sections 4.2, 5.4.2). The server's XML is read by encoding/xml
// with its namespaces resolved: what counts is the element's namespace,
// whatever prefix (or default namespace) the server declares for it.
func (c *client) xmpp(domain string) error {
	header := "<?xml version='1.0'?><stream:stream to='" + xmlEscape(domain) +
		"' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	if _, err := io.WriteString(c.conn, header); err != nil {
		return err
	}
	x := &xmppReader{c: c}
	d := xml.NewDecoder(x)
	started := false
	// next returns the next element start or end, skipping whitespace
	// between elements and, before the stream, the XML declaration. RFC
	// 6120 11.1 forbids comments, processing instructions and DTDs, and
	// the stream holds no text outside its children.
	next := func(step string) (xml.Token, error) {
		for {
			t, err := d.Token()
			if err != nil {
				return nil, err
			}
			switch t := t.(type) {
			case xml.StartElement, xml.EndElement:
				return t, nil
			case xml.CharData:
				if len(bytes.TrimSpace(t)) == 0 {
					continue
				}
				return nil, &UnexpectedError{c.proto, step, "text " + strconv.Quote(string(t))}
			case xml.ProcInst:
				if t.Target == "xml" && !started {
					continue
				}
			}
			return nil, &UnexpectedError{c.proto, step, "XML that RFC 6120 11.1 forbids: " + strconv.Quote(string(x.tag))}
		}
	}
	// unexpected names what the server sent instead: a stream error by
	// its condition, the closing of the stream, or the start tag.
	unexpected := func(step string, t xml.Token) error {
		switch t := t.(type) {
		case xml.EndElement:
			return &UnexpectedError{c.proto, step, "the end of the stream"}
		case xml.StartElement:
			if t.Name.Space == nsStreams && t.Name.Local == "error" {
				got := "stream error"
				if ct, err := next(step); err == nil {
					if cond, ok := ct.(xml.StartElement); ok {
						got += " <" + cond.Name.Local + "/>"
					}
				}
				return &UnexpectedError{c.proto, step, got}
			}
		}
		return &UnexpectedError{c.proto, step, string(x.tag)}
	}

	t, err := next("the stream header")
	if err != nil {
		return err
	}
	st, ok := t.(xml.StartElement)
	if !ok || st.Name.Space != nsStreams || st.Name.Local != "stream" {
		return unexpected("the stream header", t)
	}
	started = true
	// The stream header's attributes, as sent.
	if tag := string(x.tag); strings.HasSuffix(tag, ">") {
		if i := strings.IndexAny(tag, " \t\r\n>"); i >= 0 {
			c.ann.Banner = tag[i : len(tag)-1]
		}
	}

	// RFC 6120 4.3.2: the features follow the stream header.
	if t, err = next("the stream header"); err != nil {
		return err
	}
	if st, ok := t.(xml.StartElement); !ok || st.Name.Space != nsStreams || st.Name.Local != "features" {
		return unexpected("the stream header", t)
	}
	offered := false
	for {
		t, err := next("the stream features")
		if err != nil {
			return err
		}
		f, ok := t.(xml.StartElement)
		if !ok {
			break // </features>: the decoder checks that it matches
		}
		c.ann.Capabilities = append(c.ann.Capabilities, f.Name.Local)
		if f.Name.Space == nsTLS && f.Name.Local == "starttls" {
			offered = true
		}
		if err := d.Skip(); err != nil {
			return err
		}
	}
	if !offered {
		return ErrNotOffered
	}

	if _, err := io.WriteString(c.conn, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
		return err
	}
	if t, err = next("<starttls/>"); err != nil {
		return err
	}
	if a, ok := t.(xml.StartElement); ok && a.Name.Space == nsTLS {
		switch a.Name.Local {
		case "proceed":
			// Read up to </proceed> (nothing more for <proceed/>).
			return d.Skip()
		case "failure":
			return &RefusedError{c.proto, string(x.tag)}
		}
	}
	return unexpected("<starttls/>", t)
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "'", "&apos;", "<", "&lt;", ">", "&gt;", "\"", "&quot;")
	return r.Replace(s)
}

// sieveCapabilities reads capability lines up to OK (RFC 5804 1.7).
func (c *client) sieveCapabilities() ([]string, string, error) {
	var caps []string
	impl := ""
	for {
		l, err := c.line()
		if err != nil {
			return nil, "", err
		}
		if strings.HasPrefix(l, "OK") {
			return caps, impl, nil
		}
		if strings.HasPrefix(l, "NO") || strings.HasPrefix(l, "BYE") {
			return nil, "", &UnexpectedError{c.proto, "the connection", l}
		}
		caps = append(caps, strings.ReplaceAll(l, "\"", ""))
		if strings.HasPrefix(l, "\"IMPLEMENTATION\"") {
			impl = strings.Trim(strings.TrimSpace(strings.TrimPrefix(l, "\"IMPLEMENTATION\"")), "\"")
		}
	}
}

// sieve: capabilities, STARTTLS, OK (RFC 5804 2.2).
func (c *client) sieve() error {
	caps, impl, err := c.sieveCapabilities()
	if err != nil {
		return err
	}
	c.ann.Capabilities, c.ann.Banner = caps, impl
	if !c.ann.Has("STARTTLS") {
		return ErrNotOffered
	}
	if err := c.send("STARTTLS"); err != nil {
		return err
	}
	l, err := c.line()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "OK") {
		return &RefusedError{c.proto, l}
	}
	return nil
}
