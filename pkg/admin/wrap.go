package admin

import "fmt"

// sentinelError is an error that reads as its own message but matches a
// sentinel with errors.Is. fmt.Errorf("%w: …") would put the sentinel's
// terse text in front of a sentence that already says everything.
type sentinelError struct {
	sentinel error
	err      error
}

// withSentinel formats a message (which may itself wrap causes with %w) and
// tags it with sentinel.
func withSentinel(sentinel error, format string, args ...any) error {
	return &sentinelError{sentinel: sentinel, err: fmt.Errorf(format, args...)}
}

func (e *sentinelError) Error() string { return e.err.Error() }

// Unwrap lets errors.Is and errors.As see both the sentinel and the causes.
func (e *sentinelError) Unwrap() []error { return []error{e.sentinel, e.err} }
