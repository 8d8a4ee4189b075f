package starttls_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/starttls"
)

// readUntil reads r up to and including end.
func readUntil(r *bufio.Reader, end string) bool {
	var b []byte
	for !strings.HasSuffix(string(b), end) {
		x, err := r.ReadByte()
		if err != nil {
			return false
		}
		b = append(b, x)
	}
	return true
}

// xmppScript is a server's side of the dialog: it waits for the client's
// stream header, sends stream (header and features), waits for the
// client's <starttls/> and sends answer.
func xmppScript(stream, answer string) func(r *bufio.Reader, w io.Writer) bool {
	return func(r *bufio.Reader, w io.Writer) bool {
		if !readUntil(r, "version='1.0'>") {
			return false
		}
		io.WriteString(w, stream)
		if answer == "" || !readUntil(r, "/>") {
			return false
		}
		io.WriteString(w, answer)
		return strings.Contains(answer, "proceed")
	}
}

const (
	xmppDecl      = "<?xml version='1.0'?>"
	xmppHeader    = xmppDecl + "<stream:stream from='localhost' id='1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	xmppProceed   = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	xmppStartTLS  = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	xmppMechanism = "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
)

// What matters is the namespace (RFC 6120 4.8.1, 5.4.2), not the prefix:
// a server may bind the streams namespace to another prefix, or make it
// the default one, and may spell <proceed/> as <proceed></proceed>.
func TestXMPPNamespaces(t *testing.T) {
	cases := []struct {
		name, stream, answer string
	}{
		{"prefix s", xmppDecl + "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' from='localhost' id='2' version='1.0'>" +
			"<s:features>" + xmppStartTLS + xmppMechanism + "</s:features>", xmppProceed},
		{"features in the default namespace", xmppHeader +
			"<features xmlns='http://etherx.jabber.org/streams'>\n  " + xmppStartTLS + "\n  " + xmppMechanism + "\n</features>",
			"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'></proceed>"},
		{"streams as the default namespace", "<stream xmlns='http://etherx.jabber.org/streams' from='localhost' version='1.0'>" +
			"<features><tls:starttls xmlns:tls='urn:ietf:params:xml:ns:xmpp-tls'/>" + xmppMechanism + "</features>",
			"<t:proceed xmlns:t='urn:ietf:params:xml:ns:xmpp-tls'/>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, xmppScript(tc.stream, tc.answer), echoLine)
			c, ann, err := dial(t, starttls.XMPP, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if strings.Join(ann.Capabilities, " ") != "starttls mechanisms" {
				t.Errorf("features %q", ann.Capabilities)
			}
			if !strings.Contains(ann.Banner, "from='localhost'") {
				t.Errorf("stream header %q", ann.Banner)
			}
			checkEcho(t, c)
		})
	}
}

// A <failure/> in the TLS namespace is a refusal; what is not in the
// right namespace does not count; stream errors, injected bytes and
// floods are errors.
func TestXMPPFailures(t *testing.T) {
	var refused *starttls.RefusedError
	var unexpected *starttls.UnexpectedError
	isUnexpected := func(err error) bool { return errors.As(err, &unexpected) }
	cases := []struct {
		name, stream, answer string
		check                func(error) bool
		says                 string
	}{
		{"failure", xmppHeader + "<stream:features>" + xmppStartTLS + "</stream:features>",
			"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
			func(err error) bool { return errors.As(err, &refused) }, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
		{"failure, prefix s", xmppDecl + "<s:stream xmlns:s='http://etherx.jabber.org/streams' version='1.0'><s:features>" + xmppStartTLS + "</s:features>",
			"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></s:stream>",
			func(err error) bool { return errors.As(err, &refused) }, "failure"},
		{"TLS namespace only in text", xmppHeader + "<stream:features><note xmlns='urn:example'>urn:ietf:params:xml:ns:xmpp-tls</note></stream:features>", "",
			func(err error) bool { return errors.Is(err, starttls.ErrNotOffered) }, "does not offer"},
		{"starttls in another namespace", xmppHeader + "<stream:features><starttls xmlns='urn:example:tls'/></stream:features>", "",
			func(err error) bool { return errors.Is(err, starttls.ErrNotOffered) }, "does not offer"},
		{"stream in another namespace", xmppDecl + "<stream:stream xmlns:stream='urn:example:streams' version='1.0'><stream:features>" + xmppStartTLS + "</stream:features>",
			xmppProceed, isUnexpected, "urn:example:streams"},
		{"proceed in another namespace", xmppHeader + "<stream:features>" + xmppStartTLS + "</stream:features>",
			"<proceed xmlns='jabber:client'/>", isUnexpected, "<proceed xmlns='jabber:client'/>"},
		{"stream error", xmppHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>", "",
			isUnexpected, "stream error <host-unknown/>"},
		{"stream closed", xmppHeader + "<stream:features>" + xmppStartTLS + "</stream:features>", "</stream:stream>",
			isUnexpected, "the end of the stream"},
		{"comment", xmppHeader + "<!-- features follow --><stream:features>" + xmppStartTLS + "</stream:features>", "",
			isUnexpected, "11.1"},
		{"injection", xmppHeader + "<stream:features>" + xmppStartTLS + "</stream:features>", xmppProceed + "<message>injected</message>",
			func(err error) bool { return errors.Is(err, starttls.ErrResponseInjection) }, "injection"},
		{"flood", xmppHeader + "<stream:features>" + strings.Repeat("<x xmlns='urn:example'/>", 4000) + xmppStartTLS + "</stream:features>", "",
			func(err error) bool { return err != nil }, "64 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			script := xmppScript(tc.stream, tc.answer)
			addr := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool { script(r, w); return false }, nil)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = starttls.Prepare(ctx, starttls.XMPP, conn, "localhost", nil)
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%T %v, want it to say %q", err, err, tc.says)
			}
		})
	}
}
