//go:build windows

package dockerx

import (
	"errors"
	"os"
	"syscall"
)

// helperProcAttr starts a connection helper (ssh) in its own process group,
// which Windows starts with Ctrl-C ignored, so the Ctrl-C a person types
// reaches roll alone: roll then uses the connection to leave the old
// container serving before it exits. Windows has no parent-death signal; ssh
// ends when roll's ends of its pipes close with roll.
func helperProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// askHelperToStop does nothing more on Windows, where a console program has
// no SIGTERM: the helper has been asked to stop by the close of its input.
func askHelperToStop(*os.Process) {}

// killHelper ends the helper process.
func killHelper(p *os.Process) { _ = p.Kill() }

// errNoData is ERROR_NO_DATA, "the pipe is being closed", which a write to a
// pipe whose reader has gone can meet as well as ERROR_BROKEN_PIPE.
const errNoData = syscall.Errno(232)

// isBrokenPipe reports whether a write failed because the helper no longer
// reads its input.
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.ERROR_BROKEN_PIPE) || errors.Is(err, errNoData)
}
