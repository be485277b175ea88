//go:build !unix

package h1

import "errors"

// errTooManyFiles has no meaning here; nothing matches it.
var errTooManyFiles = errors.New("h1: no EMFILE on this platform")
