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

// ErrClientBody is wrapped, together with the body's own error, when the request body failed while
// the Transport sent it: it ended before its Content-Length, or reading it failed (the client went
// away). The fault is the client's, not the backend's: answer 400 and do not count it against the
// backend. The connection is closed at once, so that the backend sees its read of the body fail
// instead of a complete shorter body, and the request is not retryable.
var ErrClientBody = errors.New("the client's request body failed: it ended early or could not be read")

// IsClientError reports whether err is the client's own fault rather than the backend's: a request
// that does not fit one packet ([ErrRequestTooLarge]: nothing was sent) or a request body that
// failed ([ErrClientBody]). A gateway answers it with a 4xx status and keeps it out of the
// backend's error count.
func IsClientError(err error) bool {
	return errors.Is(err, ErrRequestTooLarge) || errors.Is(err, ErrClientBody)
}

// protocolErrorf wraps ErrProtocol with the detail of what was wrong.
func protocolErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}
