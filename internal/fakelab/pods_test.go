package fakelab_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ckalab/ckalab/internal/fakelab"
)

func TestPodExec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("without a Run every exec fails, saying so", func(t *testing.T) {
		c := fakelab.New(t)
		_, _, code, err := c.Pods.ExecInPod(ctx, "shop", "web", "", []string{"true"}, nil)
		if !errors.Is(err, fakelab.ErrNoPodExec) || code != -1 {
			t.Errorf("code %d, err %v; want ErrNoPodExec", code, err)
		}
	})

	t.Run("a test's Run answers, and the calls are recorded", func(t *testing.T) {
		c := fakelab.New(t)
		pods := fakelab.SetPodExec(c, func(ns, pod, container string, argv []string) (string, string, int, error) {
			if pod != "web" {
				return "", "", 0, errors.New(`pods "` + pod + `" not found`)
			}
			return "hello\n", "warn\n", 3, nil
		})
		out, errOut, code, err := c.Pods.ExecInPod(ctx, "shop", "web", "main", []string{"echo", "hello"}, nil)
		if err != nil || string(out) != "hello\n" || string(errOut) != "warn\n" || code != 3 {
			t.Errorf("got %q %q %d %v", out, errOut, code, err)
		}
		if _, _, _, err := c.Pods.ExecInPod(ctx, "shop", "db", "", []string{"true"}, nil); err == nil {
			t.Error("want the Run's error")
		}
		calls := pods.Calls()
		if len(calls) != 2 || calls[0].Container != "main" || !slices.Equal(calls[0].Argv, []string{"echo", "hello"}) || calls[1].Pod != "db" {
			t.Errorf("calls %+v", calls)
		}
	})

	t.Run("an ended context is an error", func(t *testing.T) {
		c := fakelab.New(t)
		fakelab.SetPodExec(c, func(string, string, string, []string) (string, string, int, error) { return "", "", 0, nil })
		ended, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, _, err := c.Pods.ExecInPod(ended, "shop", "web", "", []string{"sleep", "60"}, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})
}
