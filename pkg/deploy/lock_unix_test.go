//go:build unix

package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// privatePermsMatter says the lock directory's mode bits are checked here.
const privatePermsMatter = true

func TestLockRefusesADirectoryOthersCanWrite(t *testing.T) {
	for _, mode := range []os.FileMode{0o777, 0o770, 0o1777} {
		dir := filepath.Join(t.TempDir(), "locks")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		l, err := AcquireLock(context.Background(), dir, "p", "app", 0)
		if err == nil {
			l.Release()
		}
		if !errors.Is(err, ErrUnsafeLock) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "chmod 700") {
			t.Fatalf("mode %v: %v, want ErrUnsafeLock naming the directory and the fix", mode, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "p.app.lock")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("mode %v: a lock file was created in the unsafe directory (%v)", mode, err)
		}
	}
}

func TestLockRefusesAnotherUsersDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	} else {
		// Not root, so no directory can be given away: use one root owns
		// that is not writable by others.
		dir = "/"
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&0o022 != 0 {
			cannotTest(t, "no directory of another user at hand: %v", err)
		}
	}
	l, err := AcquireLock(context.Background(), dir, "p", "app", 0)
	if err == nil {
		l.Release()
	}
	if !errors.Is(err, ErrUnsafeLock) || !strings.Contains(err.Error(), "belongs to uid") || !strings.Contains(err.Error(), "XDG_RUNTIME_DIR") {
		t.Fatalf("another user's directory: %v, want ErrUnsafeLock saying whose it is and what to do", err)
	}
}

func TestLockRefusesAnotherUsersLockFile(t *testing.T) {
	if os.Geteuid() != 0 {
		cannotTest(t, "only root can give a file away")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "p.app.lock")
	if err := os.WriteFile(path, []byte("theirs\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(context.Background(), dir, "p", "app", 0)
	if err == nil {
		l.Release()
	}
	if !errors.Is(err, ErrUnsafeLock) || !strings.Contains(err.Error(), path) {
		t.Fatalf("another user's lock file: %v, want ErrUnsafeLock naming it", err)
	}
}

func TestLockDirIsPerUser(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", "/tmp")
	if got, want := LockDir(), filepath.Join("/tmp", "roll-locks-"+strconv.Itoa(os.Geteuid())); got != want {
		t.Fatalf("LockDir() = %s, want %s", got, want)
	}
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if got, want := LockDir(), "/run/user/1000/roll"; got != want {
		t.Fatalf("LockDir() = %s, want %s", got, want)
	}
}
