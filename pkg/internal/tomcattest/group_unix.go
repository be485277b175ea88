//go:build unix

package tomcattest

import (
	"os"
	"syscall"
)

// killGroup sends SIGKILL to the JVM's whole process group.
func killGroup(p *os.Process) {
	// ESRCH only means the group is already gone.
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
