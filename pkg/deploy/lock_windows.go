//go:build windows

package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// LockDir is where lock files live: roll\locks in the user's local
// application data (%LocalAppData%), which Windows makes private to the user,
// else roll-locks in the user's temporary directory.
func LockDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "roll", "locks")
	}
	return filepath.Join(os.TempDir(), "roll-locks")
}

// lockOffsetHigh places the locked byte at 4 GiB, past the holder line:
// Windows file locks are mandatory, and the deploy that finds the lock taken
// must still read who holds it.
const lockOffsetHigh = 1

// openLockFile opens (creating if need be) the lock file name in dir. The
// directory must be a real directory, not a symbolic link or junction; the
// file is opened as itself if it is a reparse point (a link) and then
// refused, so roll never writes through a link. Who may write the directory
// is left to its ACL, which for the user's profile is the user alone.
func openLockFile(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating lock directory %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("checking lock directory %s: %w", dir, err)
	}
	if fi.Mode()&(os.ModeSymlink|os.ModeIrregular) != 0 || !fi.IsDir() {
		return nil, unsafeLock(dir, "(the lock directory) is a link or not a directory", "remove it; roll creates it afresh")
	}
	path := filepath.Join(dir, name)
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, fmt.Errorf("opening lock file %s: %w", path, err)
	}
	// No security attributes: the handle is not inherited by child processes.
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, fmt.Errorf("opening lock file %s: %w", path, err)
	}
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("checking lock file %s: %w", path, err)
	}
	if info.FileAttributes&(windows.FILE_ATTRIBUTE_REPARSE_POINT|windows.FILE_ATTRIBUTE_DIRECTORY) != 0 {
		windows.CloseHandle(h)
		return nil, unsafeLock(path, "is a link or a directory, which roll does not follow", "remove it; roll creates the lock file afresh")
	}
	return os.NewFile(uintptr(h), path), nil
}

// tryLock takes an exclusive LockFileEx lock of f without waiting; busy
// reports that another handle holds it.
func tryLock(f *os.File) (busy bool, err error) {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return true, nil
	}
	return false, err
}

// unlock drops the lock of f.
func unlock(f *os.File) error {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}
