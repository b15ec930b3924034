package exam

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ckalab/ckalab/internal/safefs"
)

// Store keeps one exam's state in a JSON file. Two processes write it: the
// CLI (flags, submit) and the deadline watcher (grading at the deadline).
// As with the attempts file (scenarios/runner), every write holds a lock
// and goes to a temporary file of its own that replaces the file only once
// it is complete on disk, so that a reader never sees half a file and a
// crash never loses the deadline. Reads take no lock: a rename is atomic.
type Store struct {
	Path string
}

// Errors a Load can wrap.
var (
	// ErrNoExam: there is no exam state file.
	ErrNoExam = errors.New("no exam in progress")
	// ErrCorrupt: the file cannot be read, or is of another version. It is
	// never replaced silently: the error names it and how to recover.
	ErrCorrupt = errors.New("exam state file is unusable")
)

// Load reads the exam's state.
func (s Store) Load() (*State, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (no %s)", ErrNoExam, s.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the exam state: %w", err)
	}
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && probe.Version != nil && *probe.Version != StateVersion {
		return nil, fmt.Errorf("%w: %s is of version %d and this ckalab reads version %d: finish that exam with the ckalab that started it, or move the file away (mv %s %s.bad) to end it",
			ErrCorrupt, s.Path, *probe.Version, StateVersion, s.Path, s.Path)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil || probe.Version == nil {
		if err == nil {
			err = errors.New("no version")
		}
		return nil, s.corrupt(err)
	}
	if err := st.check(); err != nil {
		return nil, s.corrupt(err)
	}
	return &st, nil
}

func (s Store) corrupt(err error) error {
	return fmt.Errorf("%w: %s: %v\nIt holds the exam's tasks and deadline: move it away (mv %s %s.bad) and start a new exam",
		ErrCorrupt, s.Path, err, s.Path, s.Path)
}

// Save writes the state, replacing the file under the lock.
func (s Store) Save(st *State) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return s.write(st)
}

// Update reads the state, lets change alter it and writes it back, all
// under the lock, so that a flag set by the CLI and the grade recorded by
// the watcher never overwrite each other. An error from change leaves the
// file as it was, and is returned as it is.
func (s Store) Update(change func(st *State) error) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.Load()
	if err != nil {
		return err
	}
	if err := change(st); err != nil {
		return err
	}
	return s.write(st)
}

// Remove deletes the state (the exam is over and reported, or abandoned).
// No file is no error.
func (s Store) Remove() error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(s.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the exam state: %w", err)
	}
	return nil
}

func (s Store) write(st *State) error {
	if st == nil {
		return errors.New("save the exam state: no state")
	}
	if err := st.check(); err != nil {
		return fmt.Errorf("save the exam state: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("save the exam state: %w", err)
	}
	if err := safefs.WriteAtomic(s.Path, data); err != nil {
		return fmt.Errorf("save the exam state: %w", err)
	}
	return nil
}
