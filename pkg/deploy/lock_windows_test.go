//go:build windows

package deploy

import (
	"path/filepath"
	"testing"
)

// privatePermsMatter says the lock directory's mode bits are checked here:
// on Windows the directory's ACL decides, and Go's mode bits do not show it.
const privatePermsMatter = false

func TestLockDirIsInTheUsersProfile(t *testing.T) {
	t.Setenv("LocalAppData", `C:\Users\dev\AppData\Local`)
	if got, want := LockDir(), filepath.Join(`C:\Users\dev\AppData\Local`, "roll", "locks"); got != want {
		t.Fatalf("LockDir() = %s, want %s", got, want)
	}
}
