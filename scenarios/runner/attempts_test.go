package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestStoreConcurrentWriters: 12 writers × 50 rounds, as many ckalab
// processes at once would do, leave a readable file holding every write;
// no temporary file is left behind.
func TestStoreConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	s := Store{Path: filepath.Join(dir, "attempts.json")}
	var wg sync.WaitGroup
	errs := make(chan error, 12*50)
	for w := 0; w < 12; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each writer its own Store value and lock descriptor, as
			// separate processes have.
			s := Store{Path: s.Path}
			for i := 0; i < 50; i++ {
				id := fmt.Sprintf("s%d-%d", w, i)
				if err := s.Put("lab", &Attempt{Scenario: id, HintsShown: i}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.read()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(all["lab"].Attempts); n != 600 {
		t.Errorf("%d attempts recorded, want 600 (a write was lost)", n)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestStoreCorruptFile: a broken file is named with how to recover, and
// never replaced by a write.
func TestStoreCorruptFile(t *testing.T) {
	for _, content := range []string{"", "}}\n}", "null"} {
		s := Store{Path: filepath.Join(t.TempDir(), "attempts.json")}
		if err := os.WriteFile(s.Path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		err := s.Check()
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.Path) || !strings.Contains(err.Error(), "mv "+s.Path) {
			t.Errorf("content %q: Check() = %v, want ErrCorrupt naming the file and the fix", content, err)
		}
		if err := s.Put("lab", &Attempt{Scenario: "x"}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("content %q: Put() = %v, want ErrCorrupt", content, err)
		}
		if data, _ := os.ReadFile(s.Path); string(data) != content {
			t.Errorf("content %q: the file was replaced by %q", content, data)
		}
	}
}
