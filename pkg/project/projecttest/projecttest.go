// Package projecttest loads compose projects for the tests of the packages that use them.
package projecttest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rollcd/roll/pkg/project"
)

// Load writes compose as compose.yaml in a directory of its own and loads it as roll would;
// the test fails if the project does not load.
func Load(t testing.TB, compose string) *project.Project {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(context.Background(), project.Options{ProjectDir: dir, Files: []string{file}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
