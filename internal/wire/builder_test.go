package wire

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// node is a random piece of a message: an integer or bytes (op 0-4), or a
// vector with a 1-, 2- or 3-byte length (op 5-7) holding more.
type node struct {
	op   int
	v    uint32
	data []byte
	kids []node
}

func randomNodes(r *rand.Rand, depth int) []node {
	var out []node
	for n := r.IntN(5); n > 0; n-- {
		nd := node{op: r.IntN(8), v: r.Uint32()}
		if depth > 3 && nd.op >= 5 {
			nd.op = 4
		}
		if nd.op >= 5 {
			nd.kids = randomNodes(r, depth+1)
		} else {
			nd.data = make([]byte, r.IntN(40))
			for i := range nd.data {
				nd.data[i] = byte(r.Uint32())
			}
		}
		out = append(out, nd)
	}
	return out
}

func writeOurs(b *Builder, nodes []node) {
	for _, n := range nodes {
		switch n.op {
		case 0:
			b.AddUint8(uint8(n.v))
		case 1:
			b.AddUint16(uint16(n.v))
		case 2:
			b.AddUint24(n.v & 0xffffff)
		case 3:
			b.AddUint32(n.v)
		case 4:
			b.AddBytes(n.data)
		case 5:
			b.AddUint8LengthPrefixed(func(b *Builder) { writeOurs(b, n.kids) })
		case 6:
			b.AddUint16LengthPrefixed(func(b *Builder) { writeOurs(b, n.kids) })
		case 7:
			b.AddUint24LengthPrefixed(func(b *Builder) { writeOurs(b, n.kids) })
		}
	}
}

func writeTheirs(b *cryptobyte.Builder, nodes []node) {
	for _, n := range nodes {
		switch n.op {
		case 0:
			b.AddUint8(uint8(n.v))
		case 1:
			b.AddUint16(uint16(n.v))
		case 2:
			b.AddUint24(n.v & 0xffffff)
		case 3:
			b.AddUint32(n.v)
		case 4:
			b.AddBytes(n.data)
		case 5:
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { writeTheirs(b, n.kids) })
		case 6:
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { writeTheirs(b, n.kids) })
		case 7:
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { writeTheirs(b, n.kids) })
		}
	}
}

// The Builder writes what cryptobyte's writes, for random nestings of
// every kind of vector and integer.
func TestBuilderMatchesCryptobyte(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 500; i++ {
		nodes := randomNodes(r, 0)
		ours := newBuilder(nil)
		writeOurs(ours, nodes)
		theirs := cryptobyte.NewBuilder(nil)
		writeTheirs(theirs, nodes)
		got, err := ours.Bytes()
		want, werr := theirs.Bytes()
		if werr != nil {
			continue // a vector too long for a one-byte length: see TestBuilderOverflow
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("case %d: %v\n got %x\nwant %x", i, err, got, want)
		}
	}
}

// A vector longer than its length field can say is an error, not a
// wrapped length.
func TestBuilderOverflow(t *testing.T) {
	b := newBuilder(nil)
	b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(make([]byte, 256)) })
	if _, err := b.Bytes(); err == nil {
		t.Fatal("a 256-byte vector with a one-byte length was accepted")
	}
	b = newBuilder(nil)
	b.AddUint8LengthPrefixed(func(b *Builder) { b.AddBytes(make([]byte, 255)) })
	if out, err := b.Bytes(); err != nil || out[0] != 255 || len(out) != 256 {
		t.Fatalf("255 bytes: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("BytesOrPanic did not panic on an overflow")
		}
	}()
	b = newBuilder(nil)
	b.AddUint16LengthPrefixed(func(b *Builder) { b.AddBytes(make([]byte, 1<<16)) })
	b.BytesOrPanic()
}
