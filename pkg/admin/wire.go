package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// statusError answers with a status other than the one its code maps to
// (405 for a wrong method, while the code stays "invalid").
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// errorBody is the JSON body of every failed call.
type errorBody struct {
	Error *Error `json:"error"`
}

// writeError answers err as {"error":{"code":…,"message":…}} with the status
// its code maps to.
func (h *handler) writeError(w http.ResponseWriter, err error) {
	we, status := ErrorOf(err)
	var se *statusError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &se):
		status = se.status
	case errors.As(err, &tooLarge):
		status = http.StatusRequestEntityTooLarge
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roll admin"`)
	}
	if rec, ok := w.(*recorder); ok {
		rec.err = err
	}
	if werr := writeJSON(w, status, errorBody{Error: we}); werr != nil {
		h.log.Error("admin error not written", "err", werr, "answer", err)
	}
}

// writeJSON answers v as JSON. It encodes before writing anything, so an
// encoding failure can still be answered as an error.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the answer: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// decodeBody reads r's body, at most MaxBodyBytes, into v: exactly one JSON
// value with no unknown field and nothing after it. what names the expected
// type in messages ("ServiceSpec"). Errors wrap ErrInvalid and say where the
// body went wrong.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, what string) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, what, dec.InputOffset())
	}
	// A second value, or garbage after the first, means the caller sent
	// something other than what it thinks; refuse rather than guess.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return bodyError(err, what, dec.InputOffset())
		}
		return withSentinel(ErrInvalid, "reading the %s: unexpected data after the JSON value at byte %d; send exactly one JSON object", what, dec.InputOffset())
	}
	return nil
}

// bodyError turns a decoding error into a message that says what is wrong and where.
func bodyError(err error, what string, offset int64) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return withSentinel(ErrInvalid, "reading the %s: the body is larger than the %d-byte limit: %w", what, tooLarge.Limit, err)
	case errors.Is(err, io.EOF):
		return withSentinel(ErrInvalid, "reading the %s: the request body is empty; send a JSON object", what)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return withSentinel(ErrInvalid, "reading the %s: the JSON ends early at byte %d", what, offset)
	case errors.As(err, &syntax):
		return withSentinel(ErrInvalid, "reading the %s: invalid JSON at byte %d: %v", what, syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return withSentinel(ErrInvalid, "reading the %s: want a JSON object, got a JSON %s", what, typ.Value)
		}
		return withSentinel(ErrInvalid, "reading the %s: field %q (near byte %d): want %s, got a JSON %s", what, typ.Field, typ.Offset, typ.Type, typ.Value)
	case errors.Is(err, ErrInvalid):
		// A value our own types refused (an activation, a duration): its
		// message already names the value and what is accepted.
		return withSentinel(ErrInvalid, "reading the %s: near byte %d: %w", what, offset, err)
	}
	// encoding/json reports an unknown field only as text.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return withSentinel(ErrInvalid, "reading the %s: %s (near byte %d)", what, msg, offset)
}
