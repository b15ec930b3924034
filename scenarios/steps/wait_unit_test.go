package steps_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ckalab/ckalab/internal/fakelab"
	"github.com/ckalab/ckalab/scenarios/steps"
)

func TestWaitUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := fakelab.New(t, fakelab.Manifest(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop, labels: {app: web}}
data: {mode: dev}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: shop, labels: {app: web}}
`)...)
	env := steps.Env{Cluster: c}

	t.Run("a condition that holds", func(t *testing.T) {
		for _, src := range []string{
			`wait: {apiVersion: v1, kind: ConfigMap, name: cfg, namespace: shop, for: "object.data.mode == 'dev'", timeout: 2s}`,
			`wait: {apiVersion: v1, kind: ConfigMap, namespace: shop, labels: {app: web}, for: "objects.size() == 2", timeout: 2s}`,
		} {
			if changed := run(t, env, step(t, src)); len(changed) != 0 {
				t.Errorf("%s: changed %q, want nothing", src, changed)
			}
		}
	})

	t.Run("a timeout says why, in words; the condition is the detail", func(t *testing.T) {
		for _, tc := range []struct{ src, want, detail string }{
			{`wait: {apiVersion: v1, kind: ConfigMap, name: cfg, namespace: shop, for: "object.data.mode == 'prod'", timeout: 200ms}`,
				"still waiting after 200ms for ConfigMap shop/cfg: data.mode is dev", "`object.data.mode == 'prod'` is false"},
			{`wait: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: shop, for: "true", timeout: 200ms}`,
				"still waiting after 200ms for ConfigMap shop/nope: it does not exist", "ConfigMap shop/nope not found"},
			{`wait: {apiVersion: v1, kind: ConfigMap, namespace: shop, labels: {app: web}, for: "objects.size() == 3", timeout: 200ms}`,
				"still waiting after 200ms for ConfigMaps labelled app=web in shop: 2 match now: shop/cfg, shop/other", "`objects.size() == 3` is false"},
		} {
			start := time.Now()
			_, err := step(t, tc.src).Run(ctx, env)
			var te *steps.TimeoutError
			if !errors.As(err, &te) || err.Error() != tc.want || te.Detail != tc.detail {
				t.Errorf("%s: err %v (%#v), want %q with detail %q", tc.src, err, te, tc.want, tc.detail)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%s: took %s", tc.src, d)
			}
		}
	})

	t.Run("a cancelled context stops it", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := step(t, `wait: {apiVersion: v1, kind: ConfigMap, name: nope, namespace: shop, for: "true", timeout: 60s}`).Run(cctx, env)
		var te *steps.TimeoutError
		if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &te) || time.Since(start) > 5*time.Second {
			t.Errorf("err %v after %s, want the context's end, not a timeout", err, time.Since(start))
		}
	})
}
