package lab

import (
	"fmt"
	"path/filepath"
)

// Dirs are ckalab's XDG base directories.
type Dirs struct {
	State  string // $XDG_STATE_HOME/ckalab: labs, attempts, exams, answers
	Cache  string // $XDG_CACHE_HOME/ckalab: built binaries, images
	Config string // $XDG_CONFIG_HOME/ckalab
}

// DirsFromEnv applies the XDG base directory rules to an environment.
func DirsFromEnv(getenv func(string) string) (Dirs, error) {
	home := getenv("HOME")
	pick := func(env, fallback string) (string, error) {
		if v := getenv(env); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "ckalab"), nil
		}
		if home == "" {
			return "", fmt.Errorf("neither %s nor HOME is set", env)
		}
		return filepath.Join(home, fallback, "ckalab"), nil
	}
	var d Dirs
	var err error
	if d.State, err = pick("XDG_STATE_HOME", ".local/state"); err != nil {
		return Dirs{}, err
	}
	if d.Cache, err = pick("XDG_CACHE_HOME", ".cache"); err != nil {
		return Dirs{}, err
	}
	if d.Config, err = pick("XDG_CONFIG_HOME", ".config"); err != nil {
		return Dirs{}, err
	}
	return d, nil
}

// Lab is the state folder of a provider's lab (its PKI, kubeconfig,
// baseline).
func (d Dirs) Lab(provider string) string { return filepath.Join(d.State, "labs", provider) }

// Answers is the folder of a lab's answer folders, one per scenario; it
// goes with the lab (`lab down`).
func (d Dirs) Answers(context string) string { return filepath.Join(d.State, "answers", context) }
