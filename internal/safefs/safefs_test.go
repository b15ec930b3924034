package safefs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ckalab/ckalab/internal/safefs"
)

func TestReadFileLimited(t *testing.T) {
	t.Parallel()
	dir := fstest.MapFS{
		"small.txt": {Data: []byte("hello")},
		"big.txt":   {Data: []byte(strings.Repeat("x", 2<<20+1))},
		"sub":       {Mode: os.ModeDir},
	}
	if data, err := safefs.ReadFileLimited(dir, "small.txt", 5); err != nil || string(data) != "hello" {
		t.Errorf("small: %q, %v", data, err)
	}
	for _, tc := range []struct {
		name  string
		limit int64
		want  string
	}{
		{"small.txt", 4, "5 bytes, more than the limit of 4 bytes"},
		{"big.txt", 2 << 20, "2097153 bytes, more than the limit of 2 MiB"},
		{"sub", 10, "sub is a folder, not a file"},
		{"none.txt", 10, "open none.txt: file does not exist"},
	} {
		_, err := safefs.ReadFileLimited(dir, tc.name, tc.limit)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
	if got := (&safefs.TooLargeError{Size: -1, Limit: 4 << 20}).Error(); got != "more than the limit of 4 MiB" {
		t.Errorf("size unknown: %q", got)
	}
}

// An os.Root refuses a symlink out of its folder; ReadFileLimited names it.
func TestReadFileLimitedSymlinkOut(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	inside := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(inside, "link")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(inside)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_, err = safefs.ReadFileLimited(root.FS(), "link", 10)
	if !errors.Is(err, safefs.ErrLeavesFolder) || !safefs.LeavesFolder(err) {
		t.Errorf("err %v, want ErrLeavesFolder", err)
	}
	if safefs.LeavesFolder(errors.New("other")) {
		t.Error("any error leaves the folder")
	}
}
