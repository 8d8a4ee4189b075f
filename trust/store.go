package trust

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hasp-tls/hasp/internal/atomicfile"
	"github.com/hasp-tls/hasp/internal/filelock"
)

// A store file is text, one entry a line, fields separated by spaces;
// lines starting with # are comments. Writes take an exclusive lock on
// FILE.lock (internal/filelock), read the file again, change it, write a
// temporary file in the same directory, fsync it and rename it over the
// old one: a crash leaves the old file or the new one, and two writers
// never lose each other's entries. A crash can leave the temporary file;
// the next write removes it once it is stale (atomicfile.CleanStale).

// maxStoreLine bounds a line of a store file.
const maxStoreLine = 4096

type storeFile struct {
	path string
	mu   sync.Mutex
}

// update runs f on the current lines under the lock and writes the result.
func (s *storeFile) update(f func(lines [][]string) ([][]string, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	lock, err := filelock.Lock(s.path + ".lock")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	// Temporary files of writes killed halfway; best effort.
	atomicfile.CleanStale(s.path)
	lines, err := s.read()
	if err != nil {
		return err
	}
	lines, err = f(lines)
	if err != nil {
		return err
	}
	return s.write(lines)
}

func (s *storeFile) read() ([][]string, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseStore(data)
}

func parseStore(data []byte) ([][]string, error) {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 256), maxStoreLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Fields(line))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trust: line %d: %w", n+1, err)
	}
	return out, nil
}

func (s *storeFile) write(lines [][]string) error {
	var b bytes.Buffer
	b.WriteString("# hasp trust store; written by hasp, one entry a line\n")
	for _, l := range lines {
		b.WriteString(strings.Join(l, " "))
		b.WriteByte('\n')
	}
	return atomicfile.Write(s.path, b.Bytes(), 0o600)
}

// KnownHost is a host seen before, with its key.
type KnownHost struct {
	Host      string // host:port
	SPKI      string // SPKIHash of the leaf
	FirstSeen time.Time
	LastSeen  time.Time
}

// KnownHosts is the trust-on-first-use store, like SSH's known_hosts.
type KnownHosts struct {
	file storeFile
}

// ErrKeyChanged is returned when a known host shows a different key.
var ErrKeyChanged = errors.New("trust: the host's key changed")

// OpenKnownHosts uses the file at path (created on the first write).
func OpenKnownHosts(path string) *KnownHosts { return &KnownHosts{file: storeFile{path: path}} }

// ParseKnownHosts parses a known-hosts file; malformed lines are errors.
func ParseKnownHosts(data []byte) ([]KnownHost, error) {
	lines, err := parseStore(data)
	if err != nil {
		return nil, err
	}
	out := make([]KnownHost, 0, len(lines))
	for i, l := range lines {
		h, err := knownHostFromFields(l)
		if err != nil {
			return nil, fmt.Errorf("trust: known hosts entry %d: %w", i+1, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func knownHostFromFields(l []string) (KnownHost, error) {
	if len(l) != 4 || !strings.HasPrefix(l[1], "sha256/") {
		return KnownHost{}, errors.New("want: host:port sha256/KEY first-seen last-seen")
	}
	first, err1 := time.Parse(time.RFC3339, l[2])
	last, err2 := time.Parse(time.RFC3339, l[3])
	if err1 != nil || err2 != nil {
		return KnownHost{}, errors.New("bad time")
	}
	return KnownHost{Host: l[0], SPKI: strings.TrimPrefix(l[1], "sha256/"), FirstSeen: first, LastSeen: last}, nil
}

func (h KnownHost) fields() []string {
	return []string{h.Host, "sha256/" + h.SPKI, h.FirstSeen.UTC().Format(time.RFC3339), h.LastSeen.UTC().Format(time.RFC3339)}
}

// All returns every entry.
func (k *KnownHosts) All() ([]KnownHost, error) {
	lines, err := k.file.read()
	if err != nil {
		return nil, err
	}
	var out []KnownHost
	for _, l := range lines {
		if h, err := knownHostFromFields(l); err == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

// Lookup returns the entry for host:port.
func (k *KnownHosts) Lookup(hostport string) (KnownHost, bool) {
	all, err := k.All()
	if err != nil {
		return KnownHost{}, false
	}
	for _, h := range all {
		if h.Host == hostport {
			return h, true
		}
	}
	return KnownHost{}, false
}

// Remember records the key for host:port at now: a new host is added, a
// known one with the same key has its last-seen time moved, and a known
// one with another key is refused with ErrKeyChanged, naming both.
func (k *KnownHosts) Remember(hostport, spki string, now time.Time) error {
	return k.file.update(func(lines [][]string) ([][]string, error) {
		for i, l := range lines {
			h, err := knownHostFromFields(l)
			if err != nil || h.Host != hostport {
				continue
			}
			if h.SPKI != spki {
				return nil, fmt.Errorf("%w: %s was sha256/%s, now sha256/%s", ErrKeyChanged, hostport, h.SPKI, spki)
			}
			h.LastSeen = now
			lines[i] = h.fields()
			return lines, nil
		}
		lines = append(lines, KnownHost{Host: hostport, SPKI: spki, FirstSeen: now, LastSeen: now}.fields())
		sort.Slice(lines, func(i, j int) bool { return lines[i][0] < lines[j][0] })
		return lines, nil
	})
}

// Forget removes host:port (after a key change the user accepted).
func (k *KnownHosts) Forget(hostport string) error {
	return k.file.update(func(lines [][]string) ([][]string, error) {
		out := lines[:0]
		for _, l := range lines {
			if len(l) == 0 || l[0] != hostport {
				out = append(out, l)
			}
		}
		return out, nil
	})
}

// Exception is a user's acceptance of one certificate for one host, until
// a time.
type Exception struct {
	Host     string // host:port
	CertHash string // CertHash of the leaf
	Until    time.Time
}

// Exceptions is the store of exceptions.
type Exceptions struct {
	file storeFile
}

// OpenExceptions uses the file at path.
func OpenExceptions(path string) *Exceptions { return &Exceptions{file: storeFile{path: path}} }

// ParseExceptions parses an exceptions file.
func ParseExceptions(data []byte) ([]Exception, error) {
	lines, err := parseStore(data)
	if err != nil {
		return nil, err
	}
	out := make([]Exception, 0, len(lines))
	for i, l := range lines {
		e, err := exceptionFromFields(l)
		if err != nil {
			return nil, fmt.Errorf("trust: exception %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func exceptionFromFields(l []string) (Exception, error) {
	if len(l) != 3 || !strings.HasPrefix(l[1], "cert-sha256/") {
		return Exception{}, errors.New("want: host:port cert-sha256/HASH until")
	}
	until, err := time.Parse(time.RFC3339, l[2])
	if err != nil {
		return Exception{}, errors.New("bad time")
	}
	return Exception{Host: l[0], CertHash: strings.TrimPrefix(l[1], "cert-sha256/"), Until: until}, nil
}

// Grant accepts the certificate with hash certHash for host:port until.
func (x *Exceptions) Grant(hostport, certHash string, until time.Time) error {
	return x.file.update(func(lines [][]string) ([][]string, error) {
		f := []string{hostport, "cert-sha256/" + certHash, until.UTC().Format(time.RFC3339)}
		for i, l := range lines {
			if e, err := exceptionFromFields(l); err == nil && e.Host == hostport && e.CertHash == certHash {
				lines[i] = f
				return lines, nil
			}
		}
		return append(lines, f), nil
	})
}

// Lookup finds an unexpired exception for this certificate and host.
func (x *Exceptions) Lookup(hostport, certHash string, now time.Time) (Exception, bool) {
	lines, err := x.file.read()
	if err != nil {
		return Exception{}, false
	}
	for _, l := range lines {
		e, err := exceptionFromFields(l)
		if err == nil && e.Host == hostport && e.CertHash == certHash && now.Before(e.Until) {
			return e, true
		}
	}
	return Exception{}, false
}
