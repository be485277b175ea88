package tomcattest

import "syscall"

// sysProcAttr puts the JVM in its own process group (so it can be killed as a whole) and asks the kernel
// to kill it if the test binary dies first: a test timeout's panic must not leave Tomcats running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
