package hasp

import (
	"container/list"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/hasp-tls/hasp/internal/engine"
	"github.com/hasp-tls/hasp/internal/suite"
)

// Session tickets (RFC 8446 section 4.6.1) are sealed with AES-256-GCM
// under a ticket key. The current key seals; it and a few previous keys
// open. Keys rotate on their own every TicketKeyRotation unless the
// program sets them with SetSessionTicketKeys (for a fleet of servers that
// share them).

const (
	defaultTicketKeyRotation = 24 * time.Hour
	// ticketKeysKept: the current key and three before it still open
	// tickets, so a ticket lives through at least three rotations.
	ticketKeysKept = 4
	ticketNameLen  = 8
	ticketNonceLen = 12
)

type ticketKey struct {
	name    [ticketNameLen]byte
	aead    cipher.AEAD
	created time.Time
}

func newTicketKey(key [32]byte, created time.Time) (*ticketKey, error) {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key[:])
	k := &ticketKey{aead: a, created: created}
	copy(k.name[:], sum[:])
	return k, nil
}

type ticketKeys struct {
	mu       sync.Mutex
	keys     []*ticketKey // current first
	explicit bool
	// fixed is the key made from Config.SessionTicketKey (fixedFrom).
	fixed     []*ticketKey
	fixedFrom [32]byte
}

// SetSessionTicketKeys sets the keys that seal and open tickets: the first
// seals, all open. Servers behind one load balancer share them so that any
// of them resumes any ticket. Automatic rotation stops; rotate by calling
// this again with a new first key.
func (c *Config) SetSessionTicketKeys(keys [][32]byte) error {
	if len(keys) == 0 {
		return errors.New("hasp: no session ticket keys")
	}
	tk := &ticketKeys{explicit: true}
	for _, k := range keys {
		key, err := newTicketKey(k, time.Time{})
		if err != nil {
			return err
		}
		tk.keys = append(tk.keys, key)
	}
	c.ticketMu.Lock()
	c.tickets = tk
	c.ticketMu.Unlock()
	return nil
}

// ticketKeysAt returns the keys in use at now, rotating when the current
// key is older than the rotation period.
func (c *Config) ticketKeysAt(now time.Time) ([]*ticketKey, error) {
	c.ticketMu.Lock()
	if c.tickets == nil {
		c.tickets = &ticketKeys{}
	}
	tk := c.tickets
	c.ticketMu.Unlock()
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if !tk.explicit && c.SessionTicketKey != ([32]byte{}) {
		// The deprecated single key: no rotation.
		if tk.fixed == nil || tk.fixedFrom != c.SessionTicketKey {
			k, err := newTicketKey(c.SessionTicketKey, time.Time{})
			if err != nil {
				return nil, err
			}
			tk.fixed, tk.fixedFrom = []*ticketKey{k}, c.SessionTicketKey
		}
		return tk.fixed, nil
	}
	period := c.TicketKeyRotation
	if period <= 0 {
		period = defaultTicketKeyRotation
	}
	if !tk.explicit && (len(tk.keys) == 0 || now.Sub(tk.keys[0].created) >= period) {
		var raw [32]byte
		if _, err := io.ReadFull(c.rand(), raw[:]); err != nil {
			return nil, err
		}
		k, err := newTicketKey(raw, now)
		if err != nil {
			return nil, err
		}
		tk.keys = append([]*ticketKey{k}, tk.keys...)
		if len(tk.keys) > ticketKeysKept {
			tk.keys = tk.keys[:ticketKeysKept]
		}
	}
	return tk.keys, nil
}

// sealTicket: key name || nonce || AES-256-GCM(plaintext), with the key
// name as additional data.
func (c *Config) sealTicket(plain []byte) ([]byte, error) {
	keys, err := c.ticketKeysAt(c.now())
	if err != nil {
		return nil, err
	}
	k := keys[0]
	out := make([]byte, ticketNameLen+ticketNonceLen, ticketNameLen+ticketNonceLen+len(plain)+k.aead.Overhead())
	copy(out, k.name[:])
	if _, err := io.ReadFull(c.rand(), out[ticketNameLen:]); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, out[ticketNameLen:], plain, out[:ticketNameLen]), nil
}

var errUnknownTicket = errors.New("hasp: ticket not sealed by a current key")

func (c *Config) openTicket(ticket []byte) ([]byte, error) {
	if len(ticket) < ticketNameLen+ticketNonceLen {
		return nil, errUnknownTicket
	}
	keys, err := c.ticketKeysAt(c.now())
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if string(k.name[:]) != string(ticket[:ticketNameLen]) {
			continue
		}
		nonce := ticket[ticketNameLen : ticketNameLen+ticketNonceLen]
		return k.aead.Open(nil, nonce, ticket[ticketNameLen+ticketNonceLen:], ticket[:ticketNameLen])
	}
	return nil, errUnknownTicket
}

// ClientSessionState is a session a client can resume: a ticket and what
// authenticated the server when the session was made.
type ClientSessionState struct {
	ticket         *engine.Ticket
	peerCerts      []*x509.Certificate
	verifiedChains [][]*x509.Certificate
	// until: the session rests on a user's exception that ends then.
	until time.Time
	// extra is SessionState.Extra, kept for ResumptionState.
	extra [][]byte
}

// PeerCertificates returns the server's chain from the original
// handshake.
func (s *ClientSessionState) PeerCertificates() []*x509.Certificate { return s.peerCerts }

// Expires returns when the session stops being offered: the ticket's
// lifetime or the server certificate's NotAfter, whichever is first.
func (s *ClientSessionState) Expires() time.Time {
	e := s.ticket.ReceivedAt.Add(s.ticket.Lifetime)
	if len(s.peerCerts) > 0 && s.peerCerts[0].NotAfter.Before(e) {
		e = s.peerCerts[0].NotAfter
	}
	if !s.until.IsZero() && s.until.Before(e) {
		e = s.until
	}
	return e
}

// clientSessionFormat 3 added the group.
const clientSessionFormat = 3

// MarshalBinary encodes the session for a persistent cache. It holds the
// resumption secret: store it as carefully as a private key.
func (s *ClientSessionState) MarshalBinary() ([]byte, error) {
	t := s.ticket
	var b cryptobyte.Builder
	b.AddUint8(clientSessionFormat)
	b.AddUint16(t.Version)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(t.SessionID) })
	b.AddUint16(t.Suite.ID)
	b.AddUint16(t.Group)
	b.AddUint64(uint64(t.ReceivedAt.UnixMilli()))
	b.AddUint32(uint32(t.Lifetime / time.Second))
	b.AddUint32(t.AgeAdd)
	b.AddUint32(t.MaxEarly)
	for _, f := range [][]byte{t.Nonce, t.ResumptionSecret, []byte(t.ServerName), []byte(t.ALPN)} {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(f) })
	}
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(t.Ticket) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range t.PeerChain {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
		}
	})
	return b.Bytes()
}

var errBadClientSession = errors.New("hasp: malformed client session")

// UnmarshalBinary decodes what MarshalBinary made. The server's chain is
// verified again before the session is offered.
func (s *ClientSessionState) UnmarshalBinary(data []byte) error {
	in := cryptobyte.String(data)
	t := new(engine.Ticket)
	var format uint8
	var id uint16
	var received uint64
	var life uint32
	var nonce, secret, name, alpn, ticket, chain, sid cryptobyte.String
	if !in.ReadUint8(&format) || format != clientSessionFormat || !in.ReadUint16(&t.Version) ||
		!in.ReadUint8LengthPrefixed(&sid) || len(sid) > 32 || !in.ReadUint16(&id) || !in.ReadUint16(&t.Group) ||
		!in.ReadUint64(&received) || !in.ReadUint32(&life) || !in.ReadUint32(&t.AgeAdd) || !in.ReadUint32(&t.MaxEarly) ||
		!in.ReadUint16LengthPrefixed(&nonce) || !in.ReadUint16LengthPrefixed(&secret) ||
		!in.ReadUint16LengthPrefixed(&name) || !in.ReadUint16LengthPrefixed(&alpn) ||
		!in.ReadUint16LengthPrefixed(&ticket) || len(ticket)+len(sid) == 0 ||
		!in.ReadUint24LengthPrefixed(&chain) || !in.Empty() {
		return errBadClientSession
	}
	t.Suite = suite.ByID(id)
	switch {
	case t.Suite == nil || received > 1<<62 || life > 7*24*3600:
		return errBadClientSession
	case t.Version == VersionTLS13 && (!t.Suite.TLS13 || len(secret) != t.Suite.Hash.Size() || len(sid) != 0):
		return errBadClientSession
	case t.Version == VersionTLS12 && (t.Suite.TLS13 || len(secret) != 48):
		return errBadClientSession
	case t.Version != VersionTLS12 && t.Version != VersionTLS13:
		return errBadClientSession
	}
	if len(sid) > 0 {
		t.SessionID = append([]byte(nil), sid...)
	}
	t.ReceivedAt = time.UnixMilli(int64(received))
	t.Lifetime = time.Duration(life) * time.Second
	t.Nonce = append([]byte(nil), nonce...)
	t.ResumptionSecret = append([]byte(nil), secret...)
	t.ServerName, t.ALPN = string(name), string(alpn)
	t.Ticket = append([]byte(nil), ticket...)
	var certs []*x509.Certificate
	for !chain.Empty() {
		var c cryptobyte.String
		if !chain.ReadUint24LengthPrefixed(&c) || len(c) == 0 {
			return errBadClientSession
		}
		der := append([]byte(nil), c...)
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return errBadClientSession
		}
		t.PeerChain = append(t.PeerChain, der)
		certs = append(certs, cert)
	}
	*s = ClientSessionState{ticket: t, peerCerts: certs}
	return nil
}

// ClientSessionCache keeps sessions for resumption, keyed by server name
// and port. Implementations must be safe for concurrent use.
type ClientSessionCache interface {
	// Get returns the session for key, if any.
	Get(key string) (*ClientSessionState, bool)
	// Put stores a session; a nil session removes the key.
	Put(key string, cs *ClientSessionState)
}

type lruEntry struct {
	key string
	cs  *ClientSessionState
}

type lruCache struct {
	mu       sync.Mutex
	m        map[string]*list.Element
	q        *list.List
	capacity int
}

// NewLRUClientSessionCache returns a cache of at most capacity sessions
// (64 when capacity < 1) that drops the least recently used first, and
// never returns a session past its ticket lifetime or its server
// certificate's NotAfter. A hasp client judges that by its Config.Time;
// Get called directly judges it by time.Now.
func NewLRUClientSessionCache(capacity int) ClientSessionCache {
	if capacity < 1 {
		capacity = 64
	}
	return &lruCache{m: map[string]*list.Element{}, q: list.New(), capacity: capacity}
}

// clockedSessionCache is a ClientSessionCache that can judge expiry by a
// time it is given: a Conn gives its Config's clock, which the cache,
// made without a Config, does not know.
type clockedSessionCache interface {
	getAt(key string, now time.Time) (*ClientSessionState, bool)
}

func (c *lruCache) Get(key string) (*ClientSessionState, bool) { return c.getAt(key, time.Now()) }

// getAt is Get with expiry judged at now.
func (c *lruCache) getAt(key string, now time.Time) (*ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	cs := e.Value.(*lruEntry).cs
	if !now.Before(cs.Expires()) {
		c.q.Remove(e)
		delete(c.m, key)
		return nil, false
	}
	c.q.MoveToFront(e)
	return cs, true
}

func (c *lruCache) Put(key string, cs *ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		if cs == nil {
			c.q.Remove(e)
			delete(c.m, key)
			return
		}
		e.Value.(*lruEntry).cs = cs
		c.q.MoveToFront(e)
		return
	}
	if cs == nil {
		return
	}
	if c.q.Len() >= c.capacity {
		old := c.q.Back()
		c.q.Remove(old)
		delete(c.m, old.Value.(*lruEntry).key)
	}
	c.m[key] = c.q.PushFront(&lruEntry{key, cs})
}

// serverSessions is a TLS 1.2 server's bounded cache of sessions by ID,
// for clients that do not take tickets.
type serverSessions struct {
	mu       sync.Mutex
	m        map[string]*list.Element
	q        *list.List
	capacity int
}

type serverSessionEntry struct {
	id      string
	session []byte
}

const defaultSessionIDCacheSize = 1024

// ServerSessionStore keeps a TLS 1.2 server's sessions by session ID
// (RFC 5246 section 7.4.1.2) for Config.SessionIDStore. Get is called
// during a handshake: it should answer quickly, and a miss only means a
// full handshake.
type ServerSessionStore interface {
	Get(id []byte) (session []byte, ok bool)
	Put(id, session []byte)
}

func (c *Config) sessionCache() *serverSessions {
	c.ticketMu.Lock()
	defer c.ticketMu.Unlock()
	if c.sessions == nil {
		n := c.SessionIDCacheSize
		if n == 0 {
			n = defaultSessionIDCacheSize
		}
		c.sessions = &serverSessions{m: map[string]*list.Element{}, q: list.New(), capacity: n}
	}
	return c.sessions
}

func (s *serverSessions) load(id []byte) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[string(id)]
	if !ok {
		return nil, false
	}
	s.q.MoveToFront(e)
	return e.Value.(*serverSessionEntry).session, true
}

func (s *serverSessions) store(id, session []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[string(id)]; ok {
		e.Value.(*serverSessionEntry).session = session
		s.q.MoveToFront(e)
		return
	}
	if s.q.Len() >= s.capacity {
		old := s.q.Back()
		s.q.Remove(old)
		delete(s.m, old.Value.(*serverSessionEntry).id)
	}
	s.m[string(id)] = s.q.PushFront(&serverSessionEntry{string(id), session})
}
