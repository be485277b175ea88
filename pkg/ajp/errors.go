package ajp

import (
	"errors"
	"fmt"
)

// ErrProtocol is wrapped by every error caused by bytes that break the protocol: a wrong magic
// number, a packet longer than the packet size, an unknown message type, a truncated packet or
// field, a second SEND_HEADERS. The connection it came from is always closed.
var ErrProtocol = errors.New("ajp protocol error")

// ErrRequestTooLarge is wrapped when a request does not fit one FORWARD_REQUEST packet. Nothing was
// sent to the backend. AJP has no continuation packet for headers, so the only cure is a larger
// packet size on both sides or a smaller request: answer the client 431, 414 or 413.
// errors.Is tells the two cases apart with [ErrHeadersTooLarge] and [ErrURITooLong].
var ErrRequestTooLarge = errors.New("request does not fit one AJP packet")

// ErrHeadersTooLarge is the [ErrRequestTooLarge] case where the request line alone would fit but the
// headers (cookies, usually) make it too long: HTTP 431.
var ErrHeadersTooLarge = fmt.Errorf("%w: headers too large", ErrRequestTooLarge)

// ErrURITooLong is the [ErrRequestTooLarge] case where the path, query and fixed fields alone do not
// fit: HTTP 414.
var ErrURITooLong = fmt.Errorf("%w: URI too long", ErrRequestTooLarge)

// ErrReplyTimeout is wrapped when the backend sent nothing for longer than Transport.ReplyTimeout
// between two packets. The connection is closed; the backend may still be working on the request.
var ErrReplyTimeout = errors.New("ajp backend did not reply in time")

// retryableError marks a failure after which the request can be sent again: see IsRetryable.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// IsRetryable reports whether a request that failed with err may be sent again, to the same or to
// another backend, without the risk of a half-done exchange: the Transport sent nothing past the
// FORWARD_REQUEST packet (not one byte of the request body was read from Request.Body) and
// received nothing from the backend for this request.
//
// That covers a failed dial, a failed CPing/CPong, a write error, and a connection the backend
// closed or reset before its first reply packet. In the last two cases the backend may have
// received the request (a crash while serving it looks the same), so a caller that must not run a
// non-idempotent request twice should retry only idempotent methods, as net/http does.
//
// It is false for everything else: [ErrRequestTooLarge] (retrying cannot help), [ErrProtocol],
// [ErrReplyTimeout], context cancellation, and any error after the first reply packet or after the
// request body was touched.
//
// The Transport itself retries once, on a fresh connection, a request without a body that failed
// this way on a reused pooled connection, so that a backend closing idle connections never fails
// a request.
func IsRetryable(err error) bool {
	var r *retryableError
	return errors.As(err, &r)
}

// protocolErrorf wraps ErrProtocol with the detail of what was wrong.
func protocolErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}
