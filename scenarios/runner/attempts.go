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
	"time"
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
// began, across processes and reboots.
type Store struct {
	Path string
}

func (s Store) read() (map[string]*labAttempts, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*labAttempts{}, nil
	}
	if err != nil {
		return nil, err
	}
	var all map[string]*labAttempts
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("attempts file %s: %w", s.Path, err)
	}
	return all, nil
}

func (s Store) write(all map[string]*labAttempts) error {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.Path)
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
	all, err := s.read()
	if err != nil {
		return err
	}
	la := all[labKey]
	if la == nil {
		la = &labAttempts{Attempts: map[string]*Attempt{}}
		all[labKey] = la
	}
	la.Attempts[a.Scenario] = a
	la.Current = a.Scenario
	return s.write(all)
}

// Forget drops every attempt on a lab (the lab is gone).
func (s Store) Forget(labKey string) error {
	all, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := all[labKey]; !ok {
		return nil
	}
	delete(all, labKey)
	return s.write(all)
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
