//go:build unix

package swarmtest

import (
	"os"
	"syscall"
)

func lockExclusive(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	return syscall.Flock(int(f.Fd()), how)
}

func lockShared(f *os.File, _ bool) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_SH) }

func unlock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
