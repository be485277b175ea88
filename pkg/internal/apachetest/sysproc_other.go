//go:build unix && !linux

package apachetest

import "syscall"

// sysProcAttr puts httpd in its own process group, so it can be killed as a whole.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
