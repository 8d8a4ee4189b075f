package starttls_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp/starttls"
)

// FTP replies are FTP's (RFC 959 4.2), not SMTP's: between "NNN-" and
// "NNN " the lines may say anything, code or not. The greeting and the
// answer to AUTH TLS are both read that way.
func TestFTPMultiLineReplies(t *testing.T) {
	addr := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "220-Welcome to the test server\r\n"+
			"  this line does not start with the code\r\n"+
			"220-this one does\r\n"+
			"\r\n"+
			"234 is just text here, and so is 220-\r\n"+
			"220 ready\r\n")
		if readLine(r) != "FEAT" {
			return false
		}
		io.WriteString(w, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n")
		if readLine(r) != "AUTH TLS" {
			return false
		}
		io.WriteString(w, "234-AUTH TLS accepted\r\n"+
			"a free-form line\r\n"+
			"234-another\r\n"+
			"234 go ahead\r\n")
		return true
	}, echoLine)
	c, ann, err := dial(t, starttls.FTP, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := "Welcome to the test server\n  this line does not start with the code\n220-this one does\n\n234 is just text here, and so is 220-\nready"
	if ann.Banner != want {
		t.Errorf("banner %q, want %q", ann.Banner, want)
	}
	if len(ann.Capabilities) != 3 || !ann.Has("AUTH") || !ann.Has("PROT") {
		t.Errorf("features %q", ann.Capabilities)
	}
	checkEcho(t, c)
}

// Only 234 lets the upgrade go on (RFC 4217 4.1); anything else is an
// error that names the server's reply.
func TestFTPAuthRefusals(t *testing.T) {
	var refused *starttls.RefusedError
	var unexpected *starttls.UnexpectedError
	cases := []struct {
		name  string
		reply string
		check func(err error) bool
		says  string
	}{
		{"policy", "534 Request denied for policy reasons\r\n",
			func(err error) bool { return errors.As(err, &refused) }, "534 Request denied for policy reasons"},
		{"multi-line refusal", "431-Need some unavailable resource\r\n  to process security\r\n431 try later\r\n",
			func(err error) bool { return errors.As(err, &refused) }, "431 Need some unavailable resource   to process security try later"},
		{"ADAT wanted", "334 ADAT=c2VjdXJpdHk=\r\n",
			func(err error) bool { return errors.As(err, &refused) }, "334 ADAT=c2VjdXJpdHk="},
		{"preliminary", "150 about to start\r\n",
			func(err error) bool { return errors.As(err, &refused) }, "150 about to start"},
		{"unknown mechanism", "504 Unknown AUTH type\r\n",
			func(err error) bool { return errors.Is(err, starttls.ErrNotOffered) }, "504 Unknown AUTH type"},
		{"unknown command", "500-AUTH not understood\r\nreally\r\n500 bye\r\n",
			func(err error) bool { return errors.Is(err, starttls.ErrNotOffered) }, "500 AUTH not understood really bye"},
		{"not a reply", "2x4 go\r\n",
			func(err error) bool { return errors.As(err, &unexpected) }, "2x4 go"},
		{"signed code", "+34 go\r\n",
			func(err error) bool { return errors.As(err, &unexpected) }, "+34 go"},
		{"endless", "234-go\r\n" + strings.Repeat("more\r\n", 1000),
			func(err error) bool { return err != nil }, "256 lines"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
				io.WriteString(w, "220 FTP ready\r\n")
				if readLine(r) != "FEAT" {
					return false
				}
				io.WriteString(w, "500 FEAT not understood\r\n")
				if readLine(r) != "AUTH TLS" {
					return false
				}
				io.WriteString(w, tc.reply)
				return false
			}, nil)
			c, _, err := dial(t, starttls.FTP, addr)
			if err == nil {
				c.Close()
				t.Fatal("upgraded")
			}
			if !tc.check(err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%T %v, want it to say %q", err, err, tc.says)
			}
		})
	}
}
