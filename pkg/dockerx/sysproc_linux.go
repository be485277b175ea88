package dockerx

import "syscall"

// helperProcAttr starts a connection helper (ssh) in its own session, so the
// Ctrl-C a person types reaches roll alone: roll then uses the connection to
// leave the old container serving before it exits. The kernel ends the
// helper if roll dies first, so no ssh outlives it.
func helperProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
}
