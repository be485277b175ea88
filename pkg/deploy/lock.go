package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrUnsafeLock means the deploy lock's directory or file is not private to
// the user running roll (a symbolic link, another user's, or writable by
// others), so roll refuses to use it rather than write where someone else
// points it.
var ErrUnsafeLock = errors.New("the deploy lock is not private to you")

// Lock is a per-service deploy lock held through an advisory file lock, so a second
// deploy of the same service on this machine waits or fails instead of interleaving.
// The kernel drops it when the process dies, so a killed deploy never leaves it behind.
// (Across machines the gateway refuses a second rollout of a service: admin.ErrBusy.)
type Lock struct {
	f *os.File
}

// lockRetry is how often a deploy told to --wait tries the lock again.
const lockRetry = 200 * time.Millisecond

// AcquireLock takes the lock of project/service in dir, creating dir (0700)
// if it is missing. With wait 0 it fails at once when another deploy holds
// it; otherwise it retries until wait passes or ctx ends. A lock directory or
// file that is not private to the current user is ErrUnsafeLock.
func AcquireLock(ctx context.Context, dir, project, service string, wait time.Duration) (*Lock, error) {
	f, err := openLockFile(dir, project+"."+service+".lock")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	deadline := time.Now().Add(wait)
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !busy {
			break
		}
		if !time.Now().Before(deadline) {
			holder := readHolder(f)
			f.Close()
			return nil, fmt.Errorf("%w: %s/%s is locked by %s (lock file %s); wait for it or pass --wait", ErrLocked, project, service, holder, path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockRetry):
		}
	}
	// Say who holds it, for the message of the next one.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d since %s\n", os.Getpid(), time.Now().Format(time.RFC3339))), 0)
	return &Lock{f: f}, nil
}

func readHolder(f *os.File) string {
	buf := make([]byte, 128)
	n, _ := f.ReadAt(buf, 0)
	if s := strings.TrimSpace(string(buf[:n])); s != "" {
		return s
	}
	return "another process"
}

// Release drops the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	l.f.Close()
	l.f = nil
	return err
}

// unsafeLock explains why a lock path is refused and what to do about it.
func unsafeLock(path, problem, remedy string) error {
	return fmt.Errorf("%w: %s %s; %s", ErrUnsafeLock, path, problem, remedy)
}
