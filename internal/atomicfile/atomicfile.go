// Package atomicfile replaces files so that a reader sees the old content
// or the new, never a part: write a temporary file beside the target,
// sync it, rename it over the target, sync the directory.
//
// The temporary file for PATH is named PATH.tmpN, N being 1 to 10 decimal
// digits. A process killed during Write leaves that file behind (for a
// private key, a copy of the key); CleanStale removes such files once
// they are old enough that no live Write can still own them.
package atomicfile

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BeforeRename is a test hook: a write "killed halfway" stops here.
var BeforeRename func()

// StaleAfter is how old a temporary file must be for CleanStale to remove
// it. It is far longer than a Write takes, so that the temporary file of
// a writer running at the same time (in another process, maybe one that
// holds no lock) is left alone.
var StaleAfter = time.Minute

// tmpSuffix comes between the target's name and the digits.
const tmpSuffix = ".tmp"

// Write replaces path with data, with permissions mode.
func Write(path string, data []byte, mode os.FileMode) error {
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// Each step's error is kept (a failed write or sync must not rename
	// a short file over the target).
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if BeforeRename != nil {
		BeforeRename()
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// createTemp makes a new file path.tmpN, mode 0600, for writing. The name
// is ours rather than os.CreateTemp's so that CleanStale can rely on it.
func createTemp(path string) (*os.File, error) {
	for try := 0; ; try++ {
		name := path + tmpSuffix + strconv.FormatUint(uint64(rand.Uint32()), 10)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		return f, err
	}
}

// isTempName reports whether name (a base name) is one Write gives a
// temporary file for the target named base: base.tmp and 1 to 10 digits.
func isTempName(name, base string) bool {
	digits, ok := strings.CutPrefix(name, base+tmpSuffix)
	if !ok || len(digits) == 0 || len(digits) > 10 {
		return false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CleanStale removes the temporary files that Writes of path killed
// halfway left beside it: regular files named path.tmpN (N 1 to 10
// digits) last modified StaleAfter ago or earlier. Nothing else is
// touched. A missing directory is not an error; otherwise it returns the
// first error met, after trying every file.
func CleanStale(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var first error
	if err != nil {
		// ReadDir returns what it read before the error.
		first = err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !isTempName(e.Name(), base) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // its writer renamed or removed it
		}
		if err == nil && time.Since(info.ModTime()) < StaleAfter {
			continue
		}
		if err == nil {
			err = os.Remove(filepath.Join(dir, e.Name()))
			if errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}
