package ajp

import (
	"context"
	"errors"
	"net/http"
)

// retryableError marks a failure after which the request can be sent again: see IsRetryable.
// unsent adds that not one byte of the request was written: see IsUnsent.
type retryableError struct {
	err    error
	unsent bool
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// IsRetryable reports whether a request that failed with err may be sent again, to the same or to
// another backend, without the risk of a half-done exchange: the Transport sent nothing past the
// FORWARD_REQUEST packet (not one byte of the request body was read from Request.Body) and
// received nothing from the backend for this request.
//
// That covers a failed dial, a failed CPing/CPong, a write error, and a connection the backend
// closed or reset before its first reply packet. Once a byte of the request was written, the
// backend may have received it (a crash while serving it looks the same as a close before it
// arrived); [IsUnsent] tells the two apart. A caller that must not run a non-idempotent request
// twice resends it only when IsUnsent is also true, and otherwise retries only idempotent
// methods, as net/http does.
//
// It is false for everything else: [ErrRequestTooLarge] (retrying cannot help), [ErrClientBody],
// [ErrProtocol], [ErrReplyTimeout], context cancellation, and any error after the first reply packet or after
// the request body was touched.
//
// The Transport itself retries once, on a fresh connection, a request without a body that failed
// this way on a reused pooled connection, when that cannot run it twice: its method is GET, HEAD,
// OPTIONS or TRACE, or [IsUnsent] is true. So a backend closing idle connections never fails such
// a request.
func IsRetryable(err error) bool {
	var r *retryableError
	return errors.As(err, &r)
}

// IsUnsent reports whether err proves that the backend never received a byte of the request, so
// that sending it again, to any backend, cannot run it twice whatever its method. It is true when
// the connection could not be opened (the dial or the CPing/CPong of a new connection failed) and
// when writing the request failed before the connection accepted its first byte. Every such
// error is also [IsRetryable].
//
// It is false when any byte of the request was written, even if the connection then failed
// before a reply ("sent, no answer": the backend may have run the request), and for every error
// that is not IsRetryable.
//
// A pooled connection found dead before use (closed by the backend while idle, or failing its
// CPing) is never an error: the Transport takes another one.
func IsUnsent(err error) bool {
	var r *retryableError
	return errors.As(err, &r) && r.unsent
}

// idempotent reports whether a request with this method may run twice without harm: GET, HEAD,
// OPTIONS and TRACE. PUT and DELETE are idempotent in RFC 9110 but are left out, as the gateway
// does: an application that does more than replace or delete would run twice.
func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// mayResend reports whether RoundTrip (or Forward) sends a request again, on a new connection, after its
// first attempt on a reused pooled connection failed with err: a backend that closed the idle
// connection just as it was taken must not fail the request, and a request the backend may have
// received must not run twice.
func mayResend(ctx context.Context, method string, bodyLen int64, err error) bool {
	return bodyLen == 0 && ctx.Err() == nil && IsRetryable(err) && (IsUnsent(err) || idempotent(method))
}

// resendable reports whether a request is resent whenever a pooled connection failed it before
// anything came back (mayResend, whatever the failure): no body, and a method that may run twice.
func resendable(method string, bodyLen int64) bool { return bodyLen == 0 && idempotent(method) }
