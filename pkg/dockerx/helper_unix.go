//go:build unix

package dockerx

import (
	"errors"
	"os"
	"syscall"
)

// askHelperToStop sends SIGTERM to the helper's process group (it leads its
// own session), so that an ssh ProxyCommand ends with ssh.
func askHelperToStop(p *os.Process) { signalGroup(p, syscall.SIGTERM) }

// killHelper sends SIGKILL to the helper's process group.
func killHelper(p *os.Process) { signalGroup(p, syscall.SIGKILL) }

func signalGroup(p *os.Process, sig syscall.Signal) {
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		_ = p.Signal(sig)
	}
}

// isBrokenPipe reports whether a write failed because the helper no longer
// reads its input.
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE)
}
