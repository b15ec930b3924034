package exam

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes the store's exclusive lock, waiting for another process that
// holds it. Like lab.LockUp it locks a file next to the state (the state
// file itself is replaced by each write, so a lock on it would not hold)
// and the kernel releases it when the process ends, however it ends.
// Unlike LockUp it waits rather than refusing: the other holder is a save,
// a flag or a grade, which end on their own, and a learner's flag must not
// fail because the watcher is recording the grade.
func (s Store) lock() (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return nil, fmt.Errorf("lock the exam state: %w", err)
	}
	f, err := os.OpenFile(s.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the exam state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the exam state %s: %w", s.Path, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}
