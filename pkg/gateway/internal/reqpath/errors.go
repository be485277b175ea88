package reqpath

import (
	"errors"
	"fmt"
)

// ErrNotAbsolute is wrapped when the path does not start with '/' (an empty path, "*", or an
// absolute URI whose path was not taken out first).
var ErrNotAbsolute = errors.New("request path does not start with '/'")

// ErrMalformed is wrapped when a '%' is not followed by two hexadecimal digits.
var ErrMalformed = errors.New("malformed percent-escape in request path")

// ErrEncodedSlash is wrapped when the path holds an encoded slash or backslash ("%2F", "%5C").
var ErrEncodedSlash = errors.New("encoded slash or backslash in request path")

// ErrNUL is wrapped when the path holds an encoded NUL ("%00").
var ErrNUL = errors.New("encoded NUL in request path")

// ErrRawByte is wrapped when the path holds, unencoded, a byte that must be percent-encoded: a
// control byte, space, DEL, a byte from 0x80 up, or a backslash.
var ErrRawByte = errors.New("byte that must be percent-encoded in request path")

// ErrTraversal is wrapped when a ".." segment would climb above the root.
var ErrTraversal = errors.New("request path climbs above the root")

// errAt wraps sentinel with the offending bytes of raw and where they start, for a log line that
// shows what the client sent without repeating the whole path.
func errAt(sentinel error, raw string, at, n int) error {
	return fmt.Errorf("%w: %q at byte %d", sentinel, raw[at:min(at+n, len(raw))], at)
}
