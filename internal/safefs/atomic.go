package safefs

import (
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with data so that a reader (or a process
// killed half way) sees the old file or the new one, never a part: a
// temporary file in the same folder (a rename does not cross file
// systems), synced, then renamed over path. os.CreateTemp makes it 0600:
// ckalab's state files are the learner's alone.
func WriteAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; left only on failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
