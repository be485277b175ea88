//go:build unix

package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// LockDir is where lock files live: $XDG_RUNTIME_DIR/roll, which the system
// makes private to the user, else roll-locks-<uid> in the temporary
// directory, so that users of one machine neither collide nor share it.
func LockDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "roll")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("roll-locks-%d", os.Geteuid()))
}

// openLockFile opens (creating if need be) the lock file name in dir.
//
// The directory and the file are checked on the descriptors roll then uses,
// never by path, so nothing can be swapped in between the check and the use:
// the directory is opened without following a symbolic link and must belong
// to the user and be writable by nobody else, and the file is opened inside
// that descriptor, again without following a link, and must be a regular file
// of the user's. A lock in a shared /tmp can then be neither redirected to
// another file nor taken over.
func openLockFile(dir, name string) (*os.File, error) {
	dfd, err := openLockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)

	path := filepath.Join(dir, name)
	fd, err := unix.Openat(dfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, unsafeLock(path, "is a symbolic link, which roll does not follow", "remove it; roll creates the lock file afresh")
	}
	if err != nil {
		return nil, fmt.Errorf("opening lock file %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("checking lock file %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, unsafeLock(path, "is not a regular file", "remove it; roll creates the lock file afresh")
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		unix.Close(fd)
		return nil, unsafeLock(path, fmt.Sprintf("belongs to uid %d, not to you (uid %d)", st.Uid, uid), "remove it; roll creates the lock file afresh")
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openLockDir opens dir, creating it 0700 when it is missing, and returns
// its descriptor once it is proven private to the user.
func openLockDir(dir string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open(dir, flags, 0)
	if errors.Is(err, unix.ENOENT) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return -1, fmt.Errorf("creating lock directory %s: %w", dir, err)
		}
		fd, err = unix.Open(dir, flags, 0)
	}
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		// The open refused; Lstat only words the message.
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return -1, unsafeLock(dir, "(the lock directory) is a symbolic link, which roll does not follow", "remove it, or set XDG_RUNTIME_DIR to a directory of your own")
		}
		return -1, unsafeLock(dir, "(the lock directory) is not a directory", "remove it, or set XDG_RUNTIME_DIR to a directory of your own")
	}
	if err != nil {
		return -1, fmt.Errorf("opening lock directory %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("checking lock directory %s: %w", dir, err)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		unix.Close(fd)
		return -1, unsafeLock(dir, fmt.Sprintf("(the lock directory) belongs to uid %d, not to you (uid %d)", st.Uid, uid),
			"remove it, or set XDG_RUNTIME_DIR to a directory of your own")
	}
	if perm := st.Mode & 0o777; perm&0o022 != 0 {
		unix.Close(fd)
		return -1, unsafeLock(dir, fmt.Sprintf("(the lock directory) is writable by group or others (mode %04o)", perm),
			fmt.Sprintf("run `chmod 700 %s`, or set XDG_RUNTIME_DIR to a directory of your own", dir))
	}
	return fd, nil
}

// tryLock takes the exclusive flock of f without waiting; busy reports that
// another open file holds it.
func tryLock(f *os.File) (busy bool, err error) {
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}

// unlock drops the flock of f.
func unlock(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
