package hasp

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/hasp-tls/hasp/internal/testcerts"
)

// configNotCloned lists the Config fields Clone must leave at their zero
// value, with the reason. Every other field, exported or not, must be
// copied the way crypto/tls's Clone copies: shallowly, so that slices,
// maps, pointers, interfaces and funcs are the very same ones.
var configNotCloned = map[string]string{
	"once":         "init must run again on the clone, whose fields may have been changed since",
	"initErr":      "derived by init from the clone's own fields",
	"certs":        "derived by init from the clone's Certificates",
	"suites13":     "derived by init from the clone's CipherSuites",
	"suites12List": "derived by init from the clone's CipherSuites",
	"offered":      "derived by init from the clone's CipherSuites",
	"ticketMu":     "a lock: a copy would copy its state",
	"keyLogMu":     "a lock: a copy would copy its state",
	"sessions":     "the TLS 1.2 session-ID cache is made lazily and sized by the clone's own SessionIDCacheSize",
}

// field returns field i of the addressable struct v, settable and readable
// even when unexported.
func field(v reflect.Value, i int) reflect.Value {
	f := v.Field(i)
	return reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
}

func isLock(t reflect.Type) bool {
	return t == reflect.TypeFor[sync.Mutex]() || t == reflect.TypeFor[sync.RWMutex]()
}

// interfaceValues make values for interface-typed fields; a field whose
// interface none of them implements fails the test until one is added.
var interfaceValues = []func() any{
	func() any { return new(bytes.Buffer) }, // io.Reader, io.Writer
	func() any { return NewLRUClientSessionCache(1) },
	func() any { return errors.New("clone test") },
	func() any { return &testSessionStore{} },
}

type testSessionStore struct{ m map[string][]byte }

func (s *testSessionStore) Get(id []byte) ([]byte, bool) { b, ok := s.m[string(id)]; return b, ok }
func (s *testSessionStore) Put(id, session []byte)       { s.m[string(id)] = session }

// fill sets the settable v to a non-zero value, distinct from those of
// other fields where the type allows: numbers count up, pointers, slices,
// maps and funcs are new.
func fill(t *testing.T, v reflect.Value, name string, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n))
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", name, *n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), name, n)
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fill(t, v.Index(i), name, n)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, name, n)
		fill(t, e, name, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		// A new zero value: Clone is to share the pointer, not what it
		// points at.
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Chan:
		v.Set(reflect.MakeChan(v.Type(), 0))
	case reflect.Func:
		// Each MakeFunc is a closure of its own, told apart by funcWord.
		v.Set(reflect.MakeFunc(v.Type(), func([]reflect.Value) []reflect.Value {
			panic("Config func field called in the Clone test")
		}))
	case reflect.Interface:
		for _, mk := range interfaceValues {
			if x := reflect.ValueOf(mk()); x.Type().Implements(v.Type()) {
				v.Set(x)
				return
			}
		}
		t.Fatalf("Config.%s: no test value implements %s; add one to interfaceValues", name, v.Type())
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); !isLock(f.Type()) {
				fill(t, field(v, i), name, n)
			}
		}
	default:
		t.Fatalf("Config.%s: cannot make a %s non-zero; teach fill how", name, v.Type())
	}
}

// funcWord is the closure a func value points at: reflect's Pointer gives
// the code, which all MakeFunc funcs share.
func funcWord(v reflect.Value) unsafe.Pointer { return *(*unsafe.Pointer)(v.Addr().UnsafePointer()) }

// same reports whether b is a shallow copy of a.
func same(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Func:
		return a.Pointer() == b.Pointer() && funcWord(a) == funcWord(b)
	case reflect.Slice:
		return a.Pointer() == b.Pointer() && a.Len() == b.Len() && a.Cap() == b.Cap()
	case reflect.Map, reflect.Pointer, reflect.Chan, reflect.UnsafePointer:
		return a.Pointer() == b.Pointer()
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return same(addressable(a.Elem()), addressable(b.Elem()))
	case reflect.Struct:
		for i := range a.NumField() {
			if !same(field(a, i), field(b, i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range a.Len() {
			if !same(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}

func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	p := reflect.New(v.Type()).Elem()
	p.Set(v)
	return p
}

// Clone copies every field but those in configNotCloned; a field added to
// Config and not to Clone (or to the list) fails this.
func TestCloneCopiesEveryField(t *testing.T) {
	src := new(Config)
	sv := reflect.ValueOf(src).Elem()
	typ := sv.Type()
	n := 0
	for i := range typ.NumField() {
		f := typ.Field(i)
		if isLock(f.Type) {
			// A held lock would stop Clone; locks are never copied.
			if _, ok := configNotCloned[f.Name]; !ok {
				t.Errorf("Config.%s is a lock: list it in configNotCloned", f.Name)
			}
			continue
		}
		fill(t, field(sv, i), f.Name, &n)
		if field(sv, i).IsZero() {
			t.Fatalf("Config.%s is still zero after fill", f.Name)
		}
	}
	dst := src.Clone()
	dv := reflect.ValueOf(dst).Elem()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		a, b := field(sv, i), field(dv, i)
		if why, skip := configNotCloned[name]; skip {
			if !b.IsZero() {
				t.Errorf("Clone copied Config.%s, which it must not: %s", name, why)
			}
			continue
		}
		if !same(a, b) {
			t.Errorf("Clone does not copy Config.%s (copy it in Clone, or list it in configNotCloned with the reason)", name)
		}
	}
	for name := range configNotCloned {
		if _, ok := typ.FieldByName(name); !ok {
			t.Errorf("configNotCloned lists %s, which Config no longer has", name)
		}
	}
}

func TestCloneNil(t *testing.T) {
	if (*Config)(nil).Clone() != nil {
		t.Fatal("nil Config cloned to non-nil")
	}
}

// A clone seals and opens tickets with its original's keys, even when
// they are made after the Clone.
func TestCloneSharesTicketKeys(t *testing.T) {
	a := new(Config)
	b := a.Clone()
	ticket, err := a.sealTicket([]byte("state"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.openTicket(ticket); err != nil || string(got) != "state" {
		t.Fatalf("clone opened %q, %v", got, err)
	}
}

// Dial clones the Config to set ServerName from the address: the clone
// must keep HandshakeTrace.
func TestDialKeepsHandshakeTrace(t *testing.T) {
	ca := testcerts.NewCA("clone test CA")
	l := ca.Issue(testcerts.P256, "127.0.0.1")
	ln, err := Listen("tcp", "127.0.0.1:0", &Config{Certificates: []Certificate{{Certificate: l.Chain, PrivateKey: l.Key, Leaf: l.Cert}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.(*Conn).Handshake()
		c.Close()
	}()
	var traced atomic.Int32
	cfg := &Config{RootCAs: ca.Pool(), HandshakeTrace: func(HandshakeMessage) { traced.Add(1) }}
	c, err := Dial("tcp", ln.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if traced.Load() == 0 {
		t.Fatal("HandshakeTrace was not called: Dial's clone of the Config lost it")
	}
}
