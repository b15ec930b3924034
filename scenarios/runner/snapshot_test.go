package runner

import "testing"

func TestSnapshotDiff(t *testing.T) {
	before := snapshot{
		"Namespace /ops":    "10",
		"Namespace /orders": terminatingMark + "7", // an earlier scenario's, being deleted
		"Pod ops/ledger":    "12",
		"file /a/answer":    "abc",
	}
	for _, tc := range []struct {
		name  string
		after snapshot
		want  string
	}{
		{"nothing changed", snapshot{"Namespace /ops": "10", "Namespace /orders": terminatingMark + "7", "Pod ops/ledger": "12", "file /a/answer": "abc"}, ""},
		{"a terminating namespace finished going", snapshot{"Namespace /ops": "10", "Pod ops/ledger": "12", "file /a/answer": "abc"}, ""},
		{"a live namespace went", snapshot{"Namespace /orders": terminatingMark + "7", "Pod ops/ledger": "12", "file /a/answer": "abc"}, "Namespace /ops deleted"},
		{"a pod changed, a file appeared", snapshot{"Namespace /ops": "10", "Pod ops/ledger": "13", "file /a/answer": "abc", "file /a/new": "x"}, "Pod ops/ledger modified, file /a/new created"},
		{"a live pod started terminating", snapshot{"Namespace /ops": "10", "Pod ops/ledger": terminatingMark + "14", "file /a/answer": "abc"}, "Pod ops/ledger modified"},
	} {
		if got := before.diff(tc.after); got != tc.want {
			t.Errorf("%s: diff = %q, want %q", tc.name, got, tc.want)
		}
	}
}
