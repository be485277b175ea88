package apachetest

import "syscall"

// sysProcAttr puts httpd in its own process group (its workers join it, so it can be killed as a whole)
// and asks the kernel to kill it if the test binary dies first: a test timeout's panic must not leave
// httpd running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
