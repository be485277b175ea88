//go:build unix

package h1

import "syscall"

// syscallEMFILE is what Accept returns when the process is out of file descriptors.
const syscallEMFILE = syscall.EMFILE
