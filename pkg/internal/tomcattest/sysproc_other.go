//go:build unix && !linux

package tomcattest

import "syscall"

// sysProcAttr puts the JVM in its own process group, so it can be killed as a whole.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
