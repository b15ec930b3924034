package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// UserKubeconfig edits the user's kubeconfig (the first KUBECONFIG file, else
// ~/.kube/config; it is created when missing) the way kind does: a lab adds
// its cluster, user and context under one name and removes them when it goes
// away.
type UserKubeconfig struct {
	// Path overrides the standard location (tests, --kubeconfig).
	Path string
	// Getenv, when set, is where KUBECONFIG and HOME are read.
	Getenv func(string) string
}

func (u UserKubeconfig) pathOptions() *clientcmd.PathOptions {
	po := clientcmd.NewDefaultPathOptions()
	switch {
	case u.Path != "":
		po.LoadingRules.ExplicitPath = u.Path
	case u.Getenv != nil:
		// As kind does: the lab's entries go to the first kubeconfig file.
		po.LoadingRules.ExplicitPath = KubeconfigPaths(u.Getenv)[0]
	}
	return po
}

// MergeResult is what Merge did.
type MergeResult struct {
	// Previous is the context that was current before (the CLI says how to
	// switch back, and `lab down` restores it).
	Previous string
	// Path is the file that now holds the lab's credentials.
	Path string
	// MadePrivate: Path was readable by its group or others and is now 0600,
	// as it holds the lab's admin key.
	MadePrivate bool
}

// privateFileMode is the mode of a kubeconfig holding credentials (kind's
// and client-go's choice for files they create); privateDirMode that of a
// folder Merge creates for it.
const (
	privateFileMode fs.FileMode = 0o600
	privateDirMode  fs.FileMode = 0o700
)

// Merge adds the single context of lab (with its cluster and user) under
// name and makes it the current context.
//
// The file gets the lab's admin key, so it is kept private: a missing folder
// is created 0700 (client-go would make it 0755), and an existing file that
// its group or others can read is made 0600 before the key is written (a new
// file is created 0600 by client-go).
func (u UserKubeconfig) Merge(name string, lab *clientcmdapi.Config) (MergeResult, error) {
	ctx, ok := lab.Contexts[lab.CurrentContext]
	if !ok {
		return MergeResult{}, fmt.Errorf("lab kubeconfig has no current context")
	}
	cluster, user := lab.Clusters[ctx.Cluster], lab.AuthInfos[ctx.AuthInfo]
	if cluster == nil || user == nil {
		return MergeResult{}, fmt.Errorf("lab kubeconfig: context %q lacks its cluster or user", lab.CurrentContext)
	}
	po := u.pathOptions()
	cfg, err := po.GetStartingConfig()
	if err != nil {
		return MergeResult{}, fmt.Errorf("read kubeconfig: %w", err)
	}
	res := MergeResult{Previous: cfg.CurrentContext}
	dflt := po.GetDefaultFilename()
	// client-go writes each entry to the file it came from (its
	// LocationOfOrigin), else to the default file: the lab's entries replace
	// those of the same name where they are, and new ones go to the default
	// file. Copies, so that the caller's config is not changed.
	origin := func(existing string) string {
		if existing != "" {
			return existing
		}
		return dflt
	}
	newCluster, newUser := cluster.DeepCopy(), user.DeepCopy()
	newCtx := &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: ctx.Namespace}
	newCluster.LocationOfOrigin, newUser.LocationOfOrigin, newCtx.LocationOfOrigin = dflt, dflt, dflt
	if c := cfg.Clusters[name]; c != nil {
		newCluster.LocationOfOrigin = origin(c.LocationOfOrigin)
	}
	if a := cfg.AuthInfos[name]; a != nil {
		newUser.LocationOfOrigin = origin(a.LocationOfOrigin)
	}
	if c := cfg.Contexts[name]; c != nil {
		newCtx.LocationOfOrigin = origin(c.LocationOfOrigin)
	}
	res.Path = newUser.LocationOfOrigin
	for _, f := range []string{dflt, newCluster.LocationOfOrigin, newUser.LocationOfOrigin, newCtx.LocationOfOrigin} {
		if err := makePrivateDir(filepath.Dir(f)); err != nil {
			return MergeResult{}, err
		}
	}
	if res.MadePrivate, err = makePrivate(res.Path); err != nil {
		return MergeResult{}, err
	}
	cfg.Clusters[name], cfg.AuthInfos[name], cfg.Contexts[name] = newCluster, newUser, newCtx
	cfg.CurrentContext = name
	if err := clientcmd.ModifyConfig(po, *cfg, false); err != nil {
		return MergeResult{}, fmt.Errorf("write kubeconfig: %w", err)
	}
	return res, nil
}

// makePrivateDir creates a missing folder (and its missing parents) 0700.
// An existing folder is left as it is: it may be shared on purpose.
func makePrivateDir(dir string) error {
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return nil // exists, or client-go says why it cannot use it
	}
	if err := os.MkdirAll(dir, privateDirMode); err != nil {
		return fmt.Errorf("create the kubeconfig's folder: %w", err)
	}
	return nil
}

// makePrivate makes an existing file that its group or others may read
// 0600 and says whether it did; a missing file is not an error.
func makePrivate(path string) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("kubeconfig: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return false, nil
	}
	if err := os.Chmod(path, privateFileMode); err != nil {
		return false, fmt.Errorf("make %s private before adding the lab's admin key to it: %w", path, err)
	}
	return true, nil
}

// RemoveResult is what Remove did to the current context.
type RemoveResult struct {
	// WasCurrent: the removed context was the current one.
	WasCurrent bool
	// Restored is the context made current instead; "" when none was
	// (then the kubeconfig has no current context).
	Restored string
	// Contexts are the contexts left, sorted.
	Contexts []string
}

// Remove deletes what Merge added; a missing entry is not an error. When
// name was the current context, restore (the context that was current before
// the lab's Merge) becomes current if the kubeconfig still has it; else the
// kubeconfig is left without a current context.
func (u UserKubeconfig) Remove(name, restore string) (RemoveResult, error) {
	po := u.pathOptions()
	cfg, err := po.GetStartingConfig()
	if err != nil {
		return RemoveResult{}, fmt.Errorf("read kubeconfig: %w", err)
	}
	var res RemoveResult
	res.WasCurrent = cfg.CurrentContext == name
	_, hasCtx := cfg.Contexts[name]
	if !hasCtx && cfg.Clusters[name] == nil && cfg.AuthInfos[name] == nil && !res.WasCurrent {
		res.Contexts = slices.Sorted(maps.Keys(cfg.Contexts))
		return res, nil
	}
	delete(cfg.Clusters, name)
	delete(cfg.AuthInfos, name)
	delete(cfg.Contexts, name)
	if res.WasCurrent {
		cfg.CurrentContext = ""
		if _, ok := cfg.Contexts[restore]; ok && restore != name {
			cfg.CurrentContext = restore
			res.Restored = restore
		}
	}
	if err := clientcmd.ModifyConfig(po, *cfg, false); err != nil {
		return RemoveResult{}, fmt.Errorf("write kubeconfig: %w", err)
	}
	res.Contexts = slices.Sorted(maps.Keys(cfg.Contexts))
	return res, nil
}

// Has reports whether the kubeconfig Merge writes has the context name.
func (u UserKubeconfig) Has(name string) (bool, error) {
	cfg, err := u.pathOptions().GetStartingConfig()
	if err != nil {
		return false, fmt.Errorf("read kubeconfig: %w", err)
	}
	_, ok := cfg.Contexts[name]
	return ok, nil
}

// previousContextFile, in a lab's state folder, names the context that was
// current before the lab's `lab up`; `lab down` makes it current again.
const previousContextFile = "previous-context"

// SavePreviousContext records, in the lab's state folder, the context that
// was current before the lab's context replaced it ("" forgets it).
func SavePreviousContext(labDir, name string) error {
	path := filepath.Join(labDir, previousContextFile)
	if name == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.WriteFile(path, []byte(name+"\n"), privateFileMode); err != nil {
		return fmt.Errorf("record the previous kubectl context: %w", err)
	}
	return nil
}

// PreviousContext is what SavePreviousContext recorded; "" when nothing was
// (or the lab's folder is gone).
func PreviousContext(labDir string) string {
	data, err := os.ReadFile(filepath.Join(labDir, previousContextFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}
