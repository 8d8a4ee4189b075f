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

const startTLSOID = "1.3.6.1.4.1.1466.20037"

// ldapResponse encodes an LDAPMessage { messageID id, op { resultCode
// code, matchedDN "", diagnosticMessage diag, responseName name (when
// not empty) } } (short BER lengths only).
func ldapResponse(id, op, code byte, diag, name string) []byte {
	inner := []byte{0x0a, 0x01, code, 0x04, 0x00, 0x04, byte(len(diag))}
	inner = append(inner, diag...)
	if name != "" {
		inner = append(inner, 0x8a, byte(len(name)))
		inner = append(inner, name...)
	}
	body := append([]byte{0x02, 0x01, id, op, byte(len(inner))}, inner...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// longLengths rewrites the constructed elements of an ldapResponse (the
// message and its protocolOp) with 4-byte long-form lengths.
func longLengths(m []byte) []byte {
	long := func(tag byte, body []byte) []byte {
		n := len(body)
		return append([]byte{tag, 0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
	}
	// 30 len | 02 01 id | op len | inner
	id, op, inner := m[2:5], m[5], m[7:]
	return long(0x30, append(append([]byte(nil), id...), long(op, inner)...))
}

// The StartTLS ExtendedResponse must answer the request: its messageID
// is the request's, its protocolOp an ExtendedResponse, its resultCode
// success and its responseName, when present, StartTLS's OID (RFC 4511
// 4.14.2). Anything else is no go-ahead.
func TestLDAPStartTLSResponseChecked(t *testing.T) {
	var refused *starttls.RefusedError
	var unexpected *starttls.UnexpectedError
	isUnexpected := func(err error) bool { return errors.As(err, &unexpected) }
	cases := []struct {
		name  string
		resp  []byte
		check func(error) bool
		says  string
	}{
		{"success", ldapResponse(1, 0x78, 0, "", startTLSOID), func(err error) bool { return err == nil }, ""},
		{"success without responseName", ldapResponse(1, 0x78, 0, "", ""), func(err error) bool { return err == nil }, ""},
		// Active Directory writes every BER length in the 4-byte long form.
		{"success, 4-byte lengths", longLengths(ldapResponse(1, 0x78, 0, "", startTLSOID)), func(err error) bool { return err == nil }, ""},
		{"a length past 64 KiB", []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, func(err error) bool { return err != nil }, "64 KiB"},
		{"wrong message ID", ldapResponse(2, 0x78, 0, "", startTLSOID), isUnexpected, "message ID 2, not 1"},
		{"wrong message ID, refused", ldapResponse(7, 0x78, 52, "busy", startTLSOID), isUnexpected, "message ID 7, not 1"},
		{"notice of disconnection", ldapResponse(0, 0x78, 52, "shutting down", "1.3.6.1.4.1.1466.20036"), isUnexpected, "unsolicited notification (resultCode 52 shutting down)"},
		{"unsolicited success", ldapResponse(0, 0x78, 0, "", startTLSOID), isUnexpected, "unsolicited"},
		{"not an ExtendedResponse", ldapResponse(1, 0x61, 0, "", ""), isUnexpected, "not an ExtendedResponse"},
		{"another operation's name", ldapResponse(1, 0x78, 0, "", "1.3.6.1.4.1.4203.1.11.3"), isUnexpected, "responseName"},
		{"unavailable", ldapResponse(1, 0x78, 52, "no TLS today", startTLSOID), func(err error) bool { return errors.As(err, &refused) }, "resultCode 52 no TLS today"},
		{"unknown operation", ldapResponse(1, 0x78, 2, "unsupported extended operation", ""),
			func(err error) bool { return errors.Is(err, starttls.ErrNotOffered) }, "unsupported extended operation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(r *bufio.Reader, w io.Writer) bool {
				req := make([]byte, 31)
				if _, err := io.ReadFull(r, req); err != nil || req[4] != 1 || !strings.HasSuffix(string(req), startTLSOID) {
					return false
				}
				w.Write(tc.resp)
				return false
			}, nil)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = starttls.Prepare(ctx, starttls.LDAP, conn, "localhost", nil)
			if !tc.check(err) || (err != nil && !strings.Contains(err.Error(), tc.says)) {
				t.Errorf("%T %v, want it to say %q", err, err, tc.says)
			}
		})
	}
}
