package lab

import (
	"bytes"
	"testing"
)

// A chatty command's output is cut at the limit, and every write still
// succeeds so that the stream (and its exit code) is read to the end.
func TestCappedBuffer(t *testing.T) {
	t.Parallel()
	c := &cappedBuffer{limit: 5}
	for _, w := range []string{"abc", "defg", "hij"} {
		if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if !bytes.Equal(c.Bytes(), []byte("abcde")) {
		t.Errorf("kept %q, want %q", c.Bytes(), "abcde")
	}
}
