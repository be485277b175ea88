//go:build windows

package apachetest

import (
	"os"
	"syscall"
)

// sysProcAttr puts httpd in its own process group, so a Ctrl-C meant for the test binary is
// not also httpd's. (The tests run Apache on Linux; this keeps the package compiling.)
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killGroup ends httpd.
func killGroup(p *os.Process) { _ = p.Kill() }
