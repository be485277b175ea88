//go:build unix

package h1

import "syscall"

// errTooManyFiles (EMFILE) is what Accept returns when the process is out of file descriptors.
const errTooManyFiles = syscall.EMFILE
