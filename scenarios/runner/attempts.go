package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/ckalab/ckalab/internal/safefs"
)

// Attempt is one learner's go at a scenario on one lab.
type Attempt struct {
	Scenario string            `json:"scenario"`
	Vars     map[string]string `json:"vars,omitempty"`
	Started  time.Time         `json:"started"`
	// HintsShown counts the hints already given.
	HintsShown int `json:"hintsShown,omitempty"`
}

// labAttempts are the attempts on one lab (one kubeconfig context).
type labAttempts struct {
	Current  string              `json:"current,omitempty"`
	Attempts map[string]*Attempt `json:"attempts"`
}

// Store keeps attempts in a JSON file, so that `grade` knows what `start`
// began, across processes and reboots. Several ckalab processes may use it
// at once (a hint in one terminal, a grade in another): every
// read-modify-write holds a lock, and a write goes to a temporary file of
// its own that replaces the file only once it is complete on disk.
type Store struct {
	Path string
}

// ErrCorrupt: the attempts file cannot be read. It is never replaced
// silently: the error names it and how to recover.
var ErrCorrupt = errors.New("attempts file is unreadable")

func (s Store) read() (map[string]*labAttempts, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*labAttempts{}, nil
	}
	if err != nil {
		return nil, err
	}
	var all map[string]*labAttempts
	if err := json.Unmarshal(data, &all); err != nil || all == nil {
		if err == nil {
			err = errors.New("empty")
		}
		return nil, fmt.Errorf("%w: %s: %v\nIt only records which task you started and the hints you saw: move it away (mv %s %s.bad) and run `ckalab start` again", ErrCorrupt, s.Path, err, s.Path, s.Path)
	}
	return all, nil
}

func (s Store) write(all map[string]*labAttempts) error {
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return safefs.WriteAtomic(s.Path, data)
}

// update reads, changes and writes the file under an exclusive lock.
func (s Store) update(change func(all map[string]*labAttempts) bool) error {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(s.Path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock attempts file: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock attempts file: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	all, err := s.read()
	if err != nil {
		return err
	}
	if !change(all) {
		return nil
	}
	return s.write(all)
}

// Check says whether the file can be read, so that `start` refuses before
// it changes the lab rather than after.
func (s Store) Check() error {
	_, err := s.read()
	return err
}

// Current returns the lab's current attempt (nil when none).
func (s Store) Current(labKey string) (*Attempt, error) {
	all, err := s.read()
	if err != nil {
		return nil, err
	}
	la := all[labKey]
	if la == nil || la.Current == "" {
		return nil, nil
	}
	return la.Attempts[la.Current], nil
}

// Get returns the attempt at a scenario (nil when none).
func (s Store) Get(labKey, id string) (*Attempt, error) {
	all, err := s.read()
	if err != nil {
		return nil, err
	}
	if la := all[labKey]; la != nil {
		return la.Attempts[id], nil
	}
	return nil, nil
}

// Put records the attempt and makes it current.
func (s Store) Put(labKey string, a *Attempt) error {
	return s.update(func(all map[string]*labAttempts) bool {
		la := all[labKey]
		if la == nil {
			la = &labAttempts{Attempts: map[string]*Attempt{}}
			all[labKey] = la
		}
		la.Attempts[a.Scenario] = a
		la.Current = a.Scenario
		return true
	})
}

// Forget drops every attempt on a lab (the lab is gone, or reset).
func (s Store) Forget(labKey string) error {
	return s.update(func(all map[string]*labAttempts) bool {
		if _, ok := all[labKey]; !ok {
			return false
		}
		delete(all, labKey)
		return true
	})
}

// DrawVars picks one value of each declared var for a new attempt.
func DrawVars(declared map[string][]string, rng *rand.Rand) map[string]string {
	if len(declared) == 0 {
		return nil
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic for a seeded rng
	out := map[string]string{}
	for _, n := range names {
		if choices := declared[n]; len(choices) > 0 {
			out[n] = choices[rng.IntN(len(choices))]
		}
	}
	return out
}
