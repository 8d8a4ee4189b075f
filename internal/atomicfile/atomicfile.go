// Package atomicfile replaces files so that a reader sees the old content
// or the new, never a part: write a temporary file beside the target,
// sync it, rename it over the target, sync the directory.
package atomicfile

import (
	"os"
	"path/filepath"
)

// BeforeRename is a test hook: a write "killed halfway" stops here.
var BeforeRename func()

// Write replaces path with data, with permissions mode.
func Write(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err == nil {
		_, err = tmp.Write(data)
		if err == nil {
			err = tmp.Sync()
		}
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
