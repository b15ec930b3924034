package checks

import (
	"testing"
	"time"
)

// TestReadProbeByTime: the node image's nc wrapper says "connection failed"
// whether the packet was dropped or refused; the time it took tells.
func TestReadProbeByTime(t *testing.T) {
	const msg = "nc: 10.244.2.14 (10.244.2.14:80): connection failed"
	for _, tc := range []struct {
		took time.Duration
		want outcome
	}{{2050 * time.Millisecond, timedOut}, {probeWait, timedOut}, {40 * time.Millisecond, refused}} {
		if got := readProbe("tcp", 1, msg, nil, tc.took); got.outcome != tc.want {
			t.Errorf("failed after %s: %v (%s), want %v", tc.took, got.outcome, got.says, tc.want)
		}
	}
	// An unknown failure that comes back at once stays unexplained.
	if got := readProbe("tcp", 1, "nc: something odd", nil, 30*time.Millisecond); got.outcome != broken {
		t.Errorf("an unknown quick failure: %v, want broken", got.outcome)
	}
}
