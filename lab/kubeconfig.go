package lab

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// UserKubeconfig edits the user's kubeconfig (the first KUBECONFIG file, else
// ~/.kube/config; client-go creates it when missing) the way kind does: a lab adds its cluster, user and context
// under one name and removes them when it goes away.
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

// Merge adds the single context of lab (with its cluster and user) under
// name and makes it the current context. It returns the context that was
// current before, so the CLI can say how to switch back.
func (u UserKubeconfig) Merge(name string, lab *clientcmdapi.Config) (previous string, err error) {
	ctx, ok := lab.Contexts[lab.CurrentContext]
	if !ok {
		return "", fmt.Errorf("lab kubeconfig has no current context")
	}
	po := u.pathOptions()
	cfg, err := po.GetStartingConfig()
	if err != nil {
		return "", fmt.Errorf("read kubeconfig: %w", err)
	}
	previous = cfg.CurrentContext
	cfg.Clusters[name] = lab.Clusters[ctx.Cluster]
	cfg.AuthInfos[name] = lab.AuthInfos[ctx.AuthInfo]
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: ctx.Namespace}
	cfg.CurrentContext = name
	if err := clientcmd.ModifyConfig(po, *cfg, false); err != nil {
		return "", fmt.Errorf("write kubeconfig: %w", err)
	}
	return previous, nil
}

// Remove deletes what Merge added; a missing entry is not an error.
func (u UserKubeconfig) Remove(name string) error {
	po := u.pathOptions()
	cfg, err := po.GetStartingConfig()
	if err != nil {
		return fmt.Errorf("read kubeconfig: %w", err)
	}
	if _, ok := cfg.Contexts[name]; !ok && cfg.Clusters[name] == nil && cfg.AuthInfos[name] == nil {
		return nil
	}
	delete(cfg.Clusters, name)
	delete(cfg.AuthInfos, name)
	delete(cfg.Contexts, name)
	if cfg.CurrentContext == name {
		cfg.CurrentContext = ""
	}
	if err := clientcmd.ModifyConfig(po, *cfg, false); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}
