package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockUp takes the lock that `lab up` holds while it works on the lab of
// provider whose folder is dir. The lock is a file next to the folder, so
// that removing the folder does not drop it; the kernel releases it when
// the process ends, however it ends. A second `lab up` is refused rather
// than left to take a lab being made for a leftover.
func LockUp(dir, provider string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	path := dir + ".lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the %s lab: %w", provider, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another `ckalab lab up --provider %s` is working on the %s lab right now (it holds %s); wait for it to finish", provider, provider, path)
		}
		return nil, fmt.Errorf("lock the %s lab: %w", provider, err)
	}
	return func() { f.Close() }, nil
}
