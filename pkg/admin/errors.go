package admin

import (
	"errors"
	"net/http"
)

// Sentinel errors. Errors that cross the API carry a Code that maps back to one of these,
// so errors.Is works the same on both sides of the wire.
var (
	ErrUnauthorized = errors.New("admin token missing or wrong")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid request")
	ErrNotReady     = errors.New("backend not ready")
	ErrBusy         = errors.New("a rollout of this service is already in progress")
	ErrUnavailable  = errors.New("gateway unavailable")
)

// Error is the JSON body of every failed admin call: {"error":{"code":…,"message":…}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

var codes = []struct {
	code   string
	err    error
	status int
}{
	{"unauthorized", ErrUnauthorized, http.StatusUnauthorized},
	{"not_found", ErrNotFound, http.StatusNotFound},
	{"conflict", ErrConflict, http.StatusConflict},
	{"invalid", ErrInvalid, http.StatusBadRequest},
	{"not_ready", ErrNotReady, http.StatusServiceUnavailable},
	{"busy", ErrBusy, http.StatusConflict},
	{"unavailable", ErrUnavailable, http.StatusServiceUnavailable},
}

// Error implements error; the message already says what went wrong.
func (e *Error) Error() string { return e.Message }

// Unwrap maps the code back to its sentinel.
func (e *Error) Unwrap() error {
	for _, c := range codes {
		if c.code == e.Code {
			return c.err
		}
	}
	return nil
}

// ErrorOf turns any error into its wire form and HTTP status (500 "internal" when no sentinel matches).
func ErrorOf(err error) (*Error, int) {
	var we *Error
	if errors.As(err, &we) && we.Unwrap() != nil {
		for _, c := range codes {
			if c.code == we.Code {
				return we, c.status
			}
		}
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return &Error{Code: c.code, Message: err.Error()}, c.status
		}
	}
	return &Error{Code: "internal", Message: err.Error()}, http.StatusInternalServerError
}
