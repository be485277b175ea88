package h1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// chunkBuffers hold the data of one chunk of a request body of unknown length.
var chunkBuffers = sync.Pool{New: func() any { return new([chunkBufferSize]byte) }}

const chunkBufferSize = 16 << 10

// writeHead writes the request line and header fields of out to bw, framed as HTTP/1.1: a
// Content-Length when the body's length is known (and "0" for POST, PUT and PATCH without a
// body, which servers expect, as net/http sends it), chunked when it is not.
func writeHead(bw *bufio.Writer, out *Outgoing) {
	r := out.Req
	_, _ = bw.WriteString(r.Method)
	_ = bw.WriteByte(' ')
	switch {
	case r.URL.Opaque != "":
		_, _ = bw.WriteString(r.URL.Opaque)
	case r.URL.Path == "" && r.URL.RawPath == "":
		_ = bw.WriteByte('/')
	default:
		_, _ = bw.WriteString(r.URL.EscapedPath())
	}
	if r.URL.ForceQuery || r.URL.RawQuery != "" {
		_ = bw.WriteByte('?')
		_, _ = bw.WriteString(r.URL.RawQuery)
	}
	_, _ = bw.WriteString(" HTTP/1.1\r\n")
	if out.Host != "" {
		writeField(bw, "Host", out.Host)
	}
	for k, vs := range r.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding":
			continue
		}
		if !isToken(k) {
			continue
		}
		for _, v := range vs {
			if validFieldValue(v) {
				writeField(bw, k, v)
			}
		}
	}
	for _, f := range out.Fields {
		writeField(bw, f.Name, f.Value)
	}
	switch n := bodyLength(out); {
	case n > 0 || (n == 0 && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch)):
		var num [20]byte
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(num[:0], n, 10))
		_, _ = bw.WriteString("\r\n")
	case n < 0:
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	_, _ = bw.WriteString("\r\n")
}

func writeField(bw *bufio.Writer, name, value string) {
	_, _ = bw.WriteString(name)
	_, _ = bw.WriteString(": ")
	_, _ = bw.WriteString(value)
	_, _ = bw.WriteString("\r\n")
}

// bodyLength is the length of out's body: 0 without one, -1 when unknown.
func bodyLength(out *Outgoing) int64 {
	if out.Body == nil {
		return 0
	}
	return out.Req.ContentLength
}

// expectsContinue reports whether the request asks the backend for 100 Continue before its body.
func expectsContinue(out *Outgoing) bool {
	if out.Body == nil {
		return false
	}
	for _, v := range out.Req.Header["Expect"] {
		if strings.EqualFold(v, "100-continue") {
			return true
		}
	}
	return false
}

// clientBodyError wraps a failed read of the client's body: the client's fault, not the
// backend's (the Server's body errors, wrapped, say which).
type clientBodyError struct{ err error }

func (e *clientBodyError) Error() string {
	return "reading the client's request body: " + e.err.Error()
}
func (e *clientBodyError) Unwrap() error { return e.err }

// writeBody streams the body to bw: as it is with a length, chunked without one. A body that
// ends before its length is the client's error.
func writeBody(bw *bufio.Writer, out *Outgoing) error {
	n := bodyLength(out)
	if n == 0 {
		return nil
	}
	if n > 0 {
		copied, err := bw.ReadFrom(io.LimitReader(readerOnly{out.Body}, n))
		var be *clientBodyError
		switch {
		case errors.As(err, &be):
			return err
		case err != nil:
			return fmt.Errorf("writing the request body: %w", err)
		case copied < n:
			return &clientBodyError{fmt.Errorf("%w: %d of %d bytes", ErrBodyTruncated, copied, n)}
		}
		return nil
	}
	buf := chunkBuffers.Get().(*[chunkBufferSize]byte)
	defer chunkBuffers.Put(buf)
	for {
		m, err := out.Body.Read(buf[:])
		if m > 0 {
			var num [16]byte
			_, _ = bw.Write(strconv.AppendInt(num[:0], int64(m), 16))
			_, _ = bw.WriteString("\r\n")
			_, _ = bw.Write(buf[:m])
			if _, werr := bw.WriteString("\r\n"); werr != nil {
				return fmt.Errorf("writing the request body: %w", werr)
			}
		}
		if err == io.EOF {
			_, err = bw.WriteString("0\r\n\r\n")
			if err != nil {
				return fmt.Errorf("writing the request body: %w", err)
			}
			return nil
		}
		if err != nil {
			return &clientBodyError{err}
		}
	}
}

// readerOnly hides everything but Read, so that ReadFrom reads the body, and marks its errors
// as the client's.
type readerOnly struct {
	r interface{ Read([]byte) (int, error) }
}

func (r readerOnly) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = &clientBodyError{err}
	}
	return n, err
}
