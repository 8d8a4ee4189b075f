package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/hasp-tls/hasp/internal/wire"
)

// A message shorter than its header, or whose length field disagrees with
// its size, is decode_error, never a panic.
func TestShortMessages(t *testing.T) {
	for _, m := range [][]byte{nil, {}, {wire.TypeClientHello}, {wire.TypeClientHello, 0, 0}, {wire.TypeClientHello, 0, 0, 5, 1}} {
		for _, e := range []Engine{NewServer(serverConfig()), NewClient(clientConfig())} {
			if _, err := e.Start(); err != nil {
				t.Fatal(err)
			}
			_, err := e.Handle(LevelInitial, m)
			if wire.AlertOf(err) != wire.AlertDecodeError {
				t.Errorf("%T fed %x: %v, want decode_error", e, m, err)
			}
		}
	}
}

// After a protocol error the engine stays failed: every later call gets
// the same error, even a message that would have been right.
func TestEngineStaysFailed(t *testing.T) {
	c, s := NewClient(clientConfig()), NewServer(serverConfig())
	acts, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	hello := acts[0].Msg
	fin := append([]byte{wire.TypeFinished, 0, 0, 32}, make([]byte, 32)...)
	_, first := s.Handle(LevelInitial, fin)
	if wire.AlertOf(first) != wire.AlertUnexpectedMessage {
		t.Fatalf("Finished first: %v", first)
	}
	if _, err := s.Handle(LevelInitial, hello); err != first {
		t.Fatalf("ClientHello after the failure: %v, want the first error %v", err, first)
	}
	for name, call := range map[string]func() ([]Action, error){
		"HandleCCS": s.HandleCCS, "UpdateKeys": func() ([]Action, error) { return s.UpdateKeys(false) },
		"SendTicket": s.SendTicket, "RequestCertificate": s.RequestCertificate, "Start": s.Start,
	} {
		if _, err := call(); err != first {
			t.Errorf("%s after the failure: %v", name, err)
		}
	}
	if s.Err() != first {
		t.Errorf("Err() = %v", s.Err())
	}
}

// Capabilities a role lacks are errors that leave the engine working.
func TestRoleCapabilities(t *testing.T) {
	c, s := NewClient(clientConfig()), NewServer(serverConfig())
	if r := drive(t, c, s, nil); r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := c.SendTicket(); !errors.Is(err, ErrServerOnly) {
		t.Errorf("client SendTicket: %v", err)
	}
	if _, err := c.RequestCertificate(); !errors.Is(err, ErrServerOnly) {
		t.Errorf("client RequestCertificate: %v", err)
	}
	if _, err := c.UpdateKeys(false); err != nil || c.Err() != nil {
		t.Errorf("client UpdateKeys after a misuse: %v, %v", err, c.Err())
	}
}

// A ClientHello with no group in common names at most eight of the
// groups it offered in the error, which goes to logs: one 64 KB hello
// must not write hundreds of kilobytes.
func TestNoGroupErrorBounded(t *testing.T) {
	gs := make([]uint16, 30000)
	for i := range gs {
		gs[i] = uint16(0x7000 + i)
	}
	if s := groupNames(gs); len(s) > 200 || !strings.Contains(s, "and 29992 more") {
		t.Fatalf("%d bytes: %.200s", len(s), s)
	}
}
