package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// TicketKeys shares session-ticket keys across a fleet: the newest key
// seals, the newer ones still open (RFC 8446 4.6.1 tickets issued by any
// member resume on any other). One member rotates at a time, under a
// lock. When the store cannot be reached, members keep the keys they
// have; a member that never had any issues no tickets rather than seal
// with a key the others cannot open.
type TicketKeys struct {
	Store Store
	// Apply installs keys (newest first): hasp.Config.SetSessionTicketKeys.
	Apply func(keys [][32]byte) error
	// Rotation: a new key after this long (24 h when zero). Keep: how
	// many keys open tickets (4 when zero).
	Rotation time.Duration
	Keep     int
	Now      func() time.Time
	Logf     func(format string, args ...any)

	mu      sync.Mutex
	current []ticketKey
	failing bool
}

type ticketKey struct {
	Created time.Time `json:"created"`
	Key     [32]byte  `json:"key"`
}

const ticketKeysKey = "tickets/keys"

// UnmarshalJSON reads a key as written (its 32 bytes as 32 numbers),
// strictly: encoding/json would fill a shorter array out with zeros, a
// weak key that other members would then seal with.
func (k *ticketKey) UnmarshalJSON(b []byte) error {
	var raw struct {
		Created time.Time `json:"created"`
		Key     []int     `json:"key"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Key) != len(k.Key) {
		return fmt.Errorf("a ticket key of %d bytes, not %d", len(raw.Key), len(k.Key))
	}
	for i, v := range raw.Key {
		if v < 0 || v > 255 {
			return fmt.Errorf("a ticket key byte of %d", v)
		}
		k.Key[i] = byte(v)
	}
	if k.Key == ([32]byte{}) || raw.Created.IsZero() {
		return errors.New("a ticket key that is all zeros or has no date")
	}
	k.Created = raw.Created
	return nil
}

func (t *TicketKeys) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *TicketKeys) logf(format string, args ...any) {
	if t.Logf != nil {
		t.Logf(format, args...)
	}
}

// Have reports whether keys were ever installed.
func (t *TicketKeys) Have() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.current) > 0
}

// Sync makes one pass: read the fleet's keys, rotate them if the newest
// is older than Rotation (under the fleet's lock), install them.
func (t *TicketKeys) Sync(ctx context.Context) error {
	keys, err := t.read(ctx)
	if err == nil && (len(keys) == 0 || t.due(keys)) {
		keys, err = t.rotate(ctx)
	}
	if err != nil {
		t.mu.Lock()
		first := !t.failing
		t.failing = true
		have := len(t.current)
		t.mu.Unlock()
		if first {
			t.logf("ticket keys: the store fails (%v); keeping the %d keys in hand", err, have)
		}
		return err
	}
	t.mu.Lock()
	if t.failing {
		t.logf("ticket keys: the store answers again")
	}
	t.failing = false
	same := len(keys) == len(t.current) && (len(keys) == 0 || keys[0].Key == t.current[0].Key)
	t.current = keys
	t.mu.Unlock()
	if same {
		return nil
	}
	raw := make([][32]byte, len(keys))
	for i, k := range keys {
		raw[i] = k.Key
	}
	return t.Apply(raw)
}

func (t *TicketKeys) rotation() time.Duration {
	if t.Rotation > 0 {
		return t.Rotation
	}
	return 24 * time.Hour
}

func (t *TicketKeys) keep() int {
	if t.Keep > 0 {
		return t.Keep
	}
	return 4
}

// due: the newest key is a rotation old, or dated more than a rotation
// ahead (a clock that jumped, a corrupted record), which would otherwise
// stop rotation until that date.
func (t *TicketKeys) due(keys []ticketKey) bool {
	now, created := t.now(), keys[0].Created
	return !now.Before(created.Add(t.rotation())) || created.After(now.Add(t.rotation()))
}

func (t *TicketKeys) read(ctx context.Context) ([]ticketKey, error) {
	data, err := t.Store.Get(ctx, ticketKeysKey)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []ticketKey
	if err := json.Unmarshal(data, &keys); err != nil || len(keys) == 0 {
		if err == nil {
			err = errors.New("empty")
		}
		return nil, fmt.Errorf("store: %s is not a list of ticket keys: %v", ticketKeysKey, err)
	}
	// Only the newest Keep open tickets here (a member with a larger
	// Keep, or a corrupted record, may have stored more).
	if len(keys) > t.keep() {
		keys = keys[:t.keep()]
	}
	return keys, nil
}

// rotate adds a key under the lock, after reading again (another member
// may just have rotated). A store that lost its keys (a Redis restarted
// empty) gets this member's keys back first, so tickets already issued
// still open.
func (t *TicketKeys) rotate(ctx context.Context) ([]ticketKey, error) {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	unlock, err := t.Store.Lock(lctx, "ticket-keys")
	if err != nil {
		return nil, err
	}
	defer unlock()
	keys, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		t.mu.Lock()
		keys = append([]ticketKey(nil), t.current...)
		t.mu.Unlock()
		if len(keys) > 0 {
			t.logf("ticket keys: the store had none; giving it back the %d this member holds", len(keys))
		}
	}
	if len(keys) == 0 || t.due(keys) {
		var k ticketKey
		rand.Read(k.Key[:])
		k.Created = t.now()
		keys = append([]ticketKey{k}, keys...)
		if len(keys) > t.keep() {
			keys = keys[:t.keep()]
		}
	}
	data, _ := json.Marshal(keys)
	if err := t.Store.Put(ctx, ticketKeysKey, data); err != nil {
		return nil, err
	}
	return keys, nil
}

// Run syncs every interval until ctx ends.
func (t *TicketKeys) Run(ctx context.Context, every time.Duration) {
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			t.Sync(ctx)
		}
	}
}

// SessionIDs keeps TLS 1.2 sessions by session ID in a Store, for
// hasp.Config.SessionIDStore: a client resumes by session ID on any
// member. Records expire after TTL where the store can expire them
// (Redis); each lookup waits at most Timeout.
type SessionIDs struct {
	Store   Store
	TTL     time.Duration
	Timeout time.Duration
}

func (s SessionIDs) ctx() (context.Context, context.CancelFunc) {
	t := s.Timeout
	if t <= 0 {
		t = time.Second
	}
	return context.WithTimeout(context.Background(), t)
}

func sessionKey(id []byte) string { return fmt.Sprintf("tls12-sessions/%x", id) }

// Get implements hasp.ServerSessionStore.
func (s SessionIDs) Get(id []byte) ([]byte, bool) {
	ctx, cancel := s.ctx()
	defer cancel()
	b, err := s.Store.Get(ctx, sessionKey(id))
	return b, err == nil
}

// Put implements hasp.ServerSessionStore.
func (s SessionIDs) Put(id, session []byte) {
	ctx, cancel := s.ctx()
	defer cancel()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	if e, ok := s.Store.(interface {
		PutExpiring(context.Context, string, []byte, time.Duration) error
	}); ok {
		e.PutExpiring(ctx, sessionKey(id), session, ttl)
		return
	}
	s.Store.Put(ctx, sessionKey(id), session)
}
