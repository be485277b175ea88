//go:build !unix

package h1

import "errors"

// syscallEMFILE has no meaning here; nothing matches it.
var syscallEMFILE = errors.New("h1: no EMFILE on this platform")
