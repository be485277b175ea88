package gateway

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestAFailedStateWriteKeepsTheOldFile: a save whose stream fails half way is an error, and
// the state file stays as it was, never replaced by the half.
func TestAFailedStateWriteKeepsTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("encoding failed")
	err := writeFileAtomic(path, func(w *bufio.Writer) error {
		_, _ = w.WriteString(`{"version":1,"services":[`)
		return broken
	})
	if !errors.Is(err, broken) {
		t.Fatalf("writeFileAtomic: %v, want the stream's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"version":1}` {
		t.Errorf("the state file became %q", b)
	}
}
