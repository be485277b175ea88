//go:build unix

package apachetest

import (
	"os"
	"syscall"
)

// killGroup sends SIGKILL to httpd's process group: the parent and its workers.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL) // ESRCH: the group is already gone
}
