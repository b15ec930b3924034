// Package safefs reads files inside a folder within limits: a file larger
// than its limit is refused without being read whole, a symlink out of an
// os.Root's folder is named as such, and anything but a regular file (a
// folder, a named pipe, a device) is refused before it is opened. The
// scenario catalog reads scenario files through it, and scenario steps the
// files they refer to. WriteAtomic replaces a state file whole.
package safefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// ErrLeavesFolder is a file reference that resolves, through a symlink, to
// something outside the scenario's folder (see os.Root).
var ErrLeavesFolder = errors.New("a symlink that leaves the scenario folder")

// LeavesFolder reports whether err is an os.Root refusing a path that
// leaves its root (through a symlink, since .. and absolute paths are
// refused before).
func LeavesFolder(err error) bool {
	if errors.Is(err, ErrLeavesFolder) {
		return true
	}
	var pe *fs.PathError
	// os.Root's error is not exported: "path escapes from parent".
	return errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "escapes from parent")
}

// TooLargeError is a file larger than a limit.
type TooLargeError struct {
	Size  int64 // -1: more than Limit, size not known
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("more than the limit of %s", mib(e.Limit))
	}
	return fmt.Sprintf("%d bytes, more than the limit of %s", e.Size, mib(e.Limit))
}

// mib renders a limit in MiB when it is a whole number of them.
func mib(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadFileLimited reads a regular file of dir of at most limit bytes,
// without reading more than that: a larger one is a *TooLargeError, a
// symlink out of an os.Root's folder is ErrLeavesFolder, and anything but
// a file (a folder, a named pipe, a device) is refused before it is opened.
func ReadFileLimited(dir fs.FS, name string, limit int64) ([]byte, error) {
	if fi, err := fs.Stat(dir, name); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a folder, not a file", name)
		}
		return nil, fmt.Errorf("%s is not a regular file (%v)", name, fi.Mode().Type())
	}
	f, err := dir.Open(name)
	if err != nil {
		if LeavesFolder(err) {
			return nil, ErrLeavesFolder
		}
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, &TooLargeError{Size: fi.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Size: -1, Limit: limit}
	}
	return data, nil
}
