package lab

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrMarkerGone: the lab runs but its marker was deleted, so every practice
// command refuses the cluster. `lab up` writes it back.
var ErrMarkerGone = errors.New("the lab marker is gone")

// AdminCluster reaches a lab through its own admin kubeconfig, with
// ckalab's client settings (client-go's default 5 requests a second
// throttled the baseline's listing of every resource, and klog said so on
// stderr).
func AdminCluster(cfg *clientcmdapi.Config) (*Cluster, error) {
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("admin client: %w", err)
	}
	ConfigureClient(rc)
	return NewCluster(rc)
}

// CheckMarker reads the marker of a running lab through its own kubeconfig
// file; ErrMarkerGone when it is not there.
func CheckMarker(ctx context.Context, kubeconfigPath string) error {
	cfg, err := clientcmd.LoadFromFile(kubeconfigPath)
	if err != nil {
		return fmt.Errorf("lab kubeconfig: %w", err)
	}
	c, err := AdminCluster(cfg)
	if err != nil {
		return err
	}
	if _, err := ReadMarker(ctx, c.Kube); err != nil {
		if errors.Is(err, ErrNotALab) {
			return fmt.Errorf("%w: ConfigMap %s/%s was deleted", ErrMarkerGone, MarkerNamespace, MarkerName)
		}
		return err
	}
	return nil
}

// RestoreMarker writes the marker of a running lab back when it is gone,
// and reports whether it had to.
func RestoreMarker(ctx context.Context, cfg *clientcmdapi.Config, info Info) (bool, error) {
	c, err := AdminCluster(cfg)
	if err != nil {
		return false, err
	}
	_, err = ReadMarker(ctx, c.Kube)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, ErrNotALab):
		return false, err
	}
	if err := WriteMarker(ctx, c.Kube, info); err != nil {
		return false, err
	}
	return true, nil
}
