package dtls_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hasp-tls/hasp/dtls"
	"github.com/hasp-tls/hasp/internal/testcerts"
)

// virtualClock is a Clock whose time moves only when the test says so.
type virtualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []vtimer
}

type vtimer struct {
	at time.Time
	ch chan time.Time
}

func newVirtualClock() *virtualClock { return &virtualClock{now: time.Unix(1_800_000_000, 0)} }

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, vtimer{c.now.Add(d), ch})
	return ch
}

// next moves time to the earliest timer and fires it (and any at the
// same time); false when none is set.
func (c *virtualClock) next() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return false
	}
	at := c.timers[0].at
	for _, t := range c.timers {
		if t.at.Before(at) {
			at = t.at
		}
	}
	c.now = at
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(at) {
			kept = append(kept, t)
		} else {
			t.ch <- at
		}
	}
	c.timers = kept
	return true
}

// lossyNet joins two endpoints; what is written waits in a queue, from
// which the test delivers, drops, duplicates and reorders with a seed.
type lossyNet struct {
	mu      sync.Mutex
	rng     *rand.Rand
	loss    float64
	dup     float64
	queue   []packet
	ends    [2]*lossyEnd
	sent    int
	dropped int
}

type packet struct {
	to   int
	data []byte
}

type lossyEnd struct {
	n      *lossyNet
	i      int
	addr   *net.UDPAddr
	in     chan []byte
	closed chan struct{}
	once   sync.Once
}

func newLossyNet(seed uint64, loss, dup float64) *lossyNet {
	n := &lossyNet{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), loss: loss, dup: dup}
	for i := range n.ends {
		n.ends[i] = &lossyEnd{n: n, i: i, addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 10000 + i},
			in: make(chan []byte, 1024), closed: make(chan struct{})}
	}
	return n
}

func (e *lossyEnd) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-e.in:
		return copy(b, d), e.n.ends[1-e.i].addr, nil
	case <-e.closed:
		return 0, nil, net.ErrClosed
	}
}

func (e *lossyEnd) WriteTo(b []byte, _ net.Addr) (int, error) {
	e.n.mu.Lock()
	defer e.n.mu.Unlock()
	e.n.sent++
	e.n.queue = append(e.n.queue, packet{1 - e.i, append([]byte(nil), b...)})
	return len(b), nil
}

func (e *lossyEnd) Close() error                     { e.once.Do(func() { close(e.closed) }); return nil }
func (e *lossyEnd) LocalAddr() net.Addr              { return e.addr }
func (e *lossyEnd) SetDeadline(time.Time) error      { return nil }
func (e *lossyEnd) SetReadDeadline(time.Time) error  { return nil }
func (e *lossyEnd) SetWriteDeadline(time.Time) error { return nil }

// step delivers (or drops, or duplicates) one queued datagram, picked at
// random so that datagrams overtake each other; false when none waits.
func (n *lossyNet) step() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return false
	}
	i := n.rng.IntN(len(n.queue))
	p := n.queue[i]
	n.queue = append(n.queue[:i], n.queue[i+1:]...)
	switch r := n.rng.Float64(); {
	case r < n.loss:
		n.dropped++
	case r < n.loss+n.dup:
		n.ends[p.to].in <- p.data
		n.ends[p.to].in <- p.data
	default:
		n.ends[p.to].in <- p.data
	}
	return true
}

// run drives the network and the clock until done is closed: deliver
// while datagrams wait; when nothing has moved for a moment, the
// endpoints are waiting on their timers, so time jumps to the next one.
func (n *lossyNet) run(clock *virtualClock, done <-chan struct{}) {
	idle := 0
	for {
		select {
		case <-done:
			return
		default:
		}
		if n.step() {
			idle = 0
			continue
		}
		time.Sleep(200 * time.Microsecond)
		if idle++; idle >= 10 {
			clock.next()
			idle = 0
		}
	}
}

// Handshakes complete over a network that loses 30% of datagrams,
// duplicates some and delivers the rest in random order, with the MTU
// small enough that every flight is several datagrams; then each message
// arrives once and only once. Virtual time: the retransmission timers
// (1 s doubling to 60 s) cost no real time.
func TestLossyNetwork(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			n := newLossyNet(seed, 0.3, 0.1)
			clock := newVirtualClock()
			opts := []dtls.Option{dtls.WithClock(clock), dtls.WithMTU(500)}
			c, err := dtls.Client(n.ends[0], n.ends[1].addr, clientConfig(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			s, err := dtls.Server(n.ends[1], n.ends[0].addr, serverConfig(testcerts.RSA2048), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			defer s.Close()
			done := make(chan struct{})
			defer close(done)
			go n.run(clock, done)
			// The server does what servers do: handshake, then keep a
			// Read waiting (which also answers a client that lost the
			// server's last flight and sends its own again).
			got := make(chan string, 256)
			serr := make(chan error, 1)
			go func() {
				err := s.Handshake()
				serr <- err
				buf := make([]byte, 1500)
				for err == nil {
					var k int
					if k, err = s.Read(buf); err == nil {
						got <- string(buf[:k])
					}
				}
			}()
			if err := c.Handshake(); err != nil {
				t.Fatalf("client: %v (%d datagrams sent, %d dropped)", err, n.sent, n.dropped)
			}
			if err := <-serr; err != nil {
				t.Fatalf("server: %v", err)
			}
			// Application data is not retransmitted by DTLS: what
			// arrives, arrives once, whatever the network duplicates.
			const count = 50
			for i := range count {
				if _, err := c.Write([]byte(fmt.Sprintf("message %02d", i))); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[string]int{}
			for quiet := false; !quiet; {
				select {
				case m := <-got:
					seen[m]++
				case <-time.After(300 * time.Millisecond):
					quiet = true
				}
			}
			for m, times := range seen {
				if times != 1 || !bytes.HasPrefix([]byte(m), []byte("message ")) {
					t.Errorf("%q arrived %d times", m, times)
				}
			}
			if len(seen) < count/3 {
				t.Errorf("only %d of %d messages arrived at 30%% loss", len(seen), count)
			}
		})
	}
}

// Through a Listener (cookie exchange) and with connection IDs, over the
// same lossy network: the stateless HelloVerifyRequest and the CID
// records survive loss, duplicates and reordering too.
func TestLossyNetworkListenerCID(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			n := newLossyNet(100+seed, 0.3, 0.1)
			clock := newVirtualClock()
			l, err := dtls.NewListener(n.ends[1], serverConfig(testcerts.P256), dtls.WithClock(clock), dtls.WithMTU(500), dtls.WithConnectionID(6))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			got := make(chan string, 256)
			go func() {
				s, err := l.AcceptDTLS()
				if err != nil {
					return
				}
				buf := make([]byte, 1500)
				for {
					k, err := s.Read(buf)
					if err != nil {
						return
					}
					got <- string(buf[:k])
				}
			}()
			c, err := dtls.Client(n.ends[0], n.ends[1].addr, clientConfig(), dtls.WithClock(clock), dtls.WithMTU(500), dtls.WithConnectionID(0))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			done := make(chan struct{})
			defer close(done)
			go n.run(clock, done)
			if err := c.Handshake(); err != nil {
				t.Fatalf("client: %v (%d datagrams sent, %d dropped)", err, n.sent, n.dropped)
			}
			const count = 40
			for i := range count {
				if _, err := c.Write([]byte(fmt.Sprintf("message %02d", i))); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[string]int{}
			for quiet := false; !quiet; {
				select {
				case m := <-got:
					seen[m]++
				case <-time.After(300 * time.Millisecond):
					quiet = true
				}
			}
			for m, times := range seen {
				if times != 1 {
					t.Errorf("%q arrived %d times", m, times)
				}
			}
			if len(seen) < count/3 {
				t.Errorf("only %d of %d messages arrived at 30%% loss", len(seen), count)
			}
		})
	}
}
