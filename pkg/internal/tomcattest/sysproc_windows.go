//go:build windows

package tomcattest

import (
	"os"
	"syscall"
)

// sysProcAttr puts the JVM in its own process group, so a Ctrl-C meant for
// the test binary is not also Tomcat's.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killGroup ends the JVM, which the tests start directly, with no children.
func killGroup(p *os.Process) {
	_ = p.Kill()
}
