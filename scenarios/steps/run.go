package steps

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ckalab/ckalab/lab"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// FieldManager owns the fields ckalab applies.
const FieldManager = "ckalab"

// Env is what steps act on.
type Env struct {
	Cluster *lab.Cluster
	// Files is the scenario's folder (file references resolve inside it).
	Files fs.FS
	// AnswerDir is the lab's answer folder for this scenario.
	AnswerDir string
}

// StepError says which step failed and what the steps before it changed.
type StepError struct {
	Step    int // 1-based
	Action  string
	Changed []string
	Err     error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("step %d (%s): %v", e.Step, e.Action, e.Err)
	if len(e.Changed) > 0 {
		msg += "\nalready changed: " + strings.Join(e.Changed, "; ")
	} else {
		msg += "\nnothing was changed"
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// RunAll runs the steps in order and stops at the first failure, returning
// what was changed so far (also inside the *StepError).
func RunAll(ctx context.Context, env Env, steps []Spec) ([]string, error) {
	var changed []string
	for i, s := range steps {
		done, err := s.Run(ctx, env)
		changed = append(changed, done...)
		if err != nil {
			return changed, &StepError{Step: i + 1, Action: s.Name(), Changed: changed, Err: err}
		}
	}
	return changed, nil
}

// getLive reads an object as it is now; nil when it does not exist.
func getLive(ctx context.Context, ri dynamic.ResourceInterface, name string) (*unstructured.Unstructured, error) {
	obj, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return obj, nil
}
