package cli

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ckalab/ckalab/lab"
)

// TestExitCode: the one mapping from typed errors to the documented codes,
// through any wrapping.
func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("disk full"), ExitError},
		{"usage", usageError("--output %q: want table or json", "yaml"), ExitUsage},
		{"wrapped usage", fmt.Errorf("start: %w", usageError("x")), ExitUsage},
		{"no lab", &noLabErr{msg: "no lab is running"}, ExitNoLab},
		{"silent no lab", &noLabErr{}, ExitNoLab},
		{"not a lab", fmt.Errorf("context %q: %w", "prod", lab.ErrNotALab), ExitNoLab},
		{"checks failed", errChecksFailed, ExitChecksFailed},
		{"remote command", &remoteExitErr{code: 7}, 7},
		{"context canceled without a signal", context.Canceled, ExitError},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
