package h1

import (
	"errors"
	"net/http"
)

// Errors a handler may see when it reads a request body. Each means the client, not the
// backend, failed; the connection is closed after the response.
var (
	// ErrBodyTruncated: the connection ended before the body its framing announced.
	ErrBodyTruncated = errors.New("the client's request body ended before its announced length")
	// ErrBodyMalformed: the chunked framing of the body is broken.
	ErrBodyMalformed = errors.New("the client's chunked request body is malformed")
	// ErrBodyTimeout: the client sent no body bytes for BodyReadTimeout.
	ErrBodyTimeout = errors.New("the client's request body stalled")
	// ErrBodyClosed: the body was read after the handler returned.
	ErrBodyClosed = errors.New("read of a request body after its handler returned")
)

// BodyStatus is the status that answers a request whose body failed with err: 408 for a
// stalled body, 400 for a truncated or malformed one, and 0 when err is not a body error.
func BodyStatus(err error) int {
	switch {
	case errors.Is(err, ErrBodyTimeout):
		return http.StatusRequestTimeout
	case errors.Is(err, ErrBodyTruncated), errors.Is(err, ErrBodyMalformed):
		return http.StatusBadRequest
	}
	return 0
}

// requestError is a request the server refuses before any handler sees it.
type requestError struct {
	status int
	reason string // for the person reading the answer: what was wrong
}

func (e *requestError) Error() string { return e.reason }

func refuse(status int, reason string) *requestError {
	return &requestError{status: status, reason: reason}
}
