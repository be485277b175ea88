package h1

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

var errResponseReplaced = errors.New("h1: the response was replaced by an error answer")

// response is the http.ResponseWriter of one request. The status line and header fields go
// out at the first write of the body, Flush, or the handler's return; the body is framed by
// its Content-Length, else chunked (HTTP/1.1) or by closing the connection (HTTP/1.0).
type response struct {
	c      *conn
	req    *http.Request
	body   *body // nil when the request has none
	header http.Header

	status        int
	committed     bool
	bodyAllowed   bool
	chunked       bool
	contentLength int64 // -1: unknown
	written       int64
	closeAfter    bool
	keepAlive10   bool
	replaced      bool // the answer became an error answer; the handler's writes are dropped
	hijacked      bool
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		w.c.s.logger().Error("handler wrote an invalid status", "status", code)
		code = http.StatusInternalServerError
	}
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if w.hijacked || w.committed || w.status != 0 {
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.interim(code)
		return
	}
	w.status = code
}

// interim writes a 1xx answer (103 Early Hints, 102 Processing) to an HTTP/1.1 client. 100
// Continue is the body reader's to send, once, when the handler first reads the body.
func (w *response) interim(code int) {
	if code == http.StatusContinue || w.req.ProtoMinor == 0 {
		return
	}
	bw := w.c.writer()
	writeStatusLine(bw, code)
	writeFields(bw, w.header)
	_, _ = bw.WriteString("\r\n")
	_ = bw.Flush()
}

func (w *response) Write(p []byte) (int, error) {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.committed {
		// Small answers are kept until the handler returns, so that they get a Content-Length
		// (and an HTTP/1.0 connection can stay open).
		if pending := w.c.pending; len(pending)+len(p) <= pendingLimit && w.header["Content-Length"] == nil &&
			w.status != http.StatusNoContent && w.status != http.StatusNotModified {
			w.c.pending = append(pending, p...)
			return len(p), nil
		}
		w.commit()
	}
	if w.replaced {
		return 0, errResponseReplaced
	}
	return w.writeBody(p)
}

// writeBody writes body bytes after the commit, framed as decided.
func (w *response) writeBody(p []byte) (int, error) {
	if !w.bodyAllowed {
		if w.req.Method == http.MethodHead {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	var err error
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		p, err = p[:w.contentLength-w.written], http.ErrContentLength
	}
	if len(p) == 0 {
		return 0, err
	}
	bw := w.c.writer()
	if w.chunked {
		var hex [16]byte
		_, _ = bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		_, _ = bw.WriteString("\r\n")
	}
	n, werr := bw.Write(p)
	if w.chunked && werr == nil {
		_, werr = bw.WriteString("\r\n")
	}
	w.written += int64(n)
	if werr != nil {
		return n, werr
	}
	return n, err
}

func (w *response) Flush() { _ = w.FlushError() }

// FlushError sends what is buffered to the client (http.ResponseController.Flush).
func (w *response) FlushError() error {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.committed {
		w.commit()
	}
	return w.c.writer().Flush()
}

// finish ends the response after the handler returned.
func (w *response) finish() {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if !w.committed {
		if _, ok := w.header["Content-Length"]; !ok && w.status != http.StatusNotModified &&
			(w.req.Method != http.MethodHead || len(w.c.pending) > 0) {
			w.header["Content-Length"] = []string{strconv.Itoa(len(w.c.pending))}
		}
		w.commit()
	}
	bw := w.c.writer()
	if w.replaced {
		_ = bw.Flush()
		return
	}
	if w.chunked {
		_, _ = bw.WriteString("0\r\n\r\n")
	}
	if w.contentLength >= 0 && w.written < w.contentLength && w.bodyAllowed {
		w.closeAfter = true // the body is short of its length: only a close tells the client
	}
	_ = bw.Flush()
}

// pendingLimit is how much of a body is kept back before the commit, to learn its length.
const pendingLimit = 2 << 10

// commit decides the framing and writes the status line and header fields.
func (w *response) commit() {
	w.committed = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	code, h := w.status, w.header
	if code/100 == 2 && w.body != nil {
		if err := w.holdBody(); err != nil {
			w.c.pending = w.c.pending[:0]
			w.replace(BodyStatus(err))
			return
		}
	}
	w.bodyAllowed = code != http.StatusNoContent && code != http.StatusNotModified && code != http.StatusResetContent &&
		w.req.Method != http.MethodHead
	if v := h["Content-Length"]; len(v) > 0 {
		if n, err := parseLength(v[0]); err == nil && len(v) == 1 {
			w.contentLength = n
		} else {
			w.c.s.logger().Warn("handler set an invalid Content-Length; dropped", "value", v)
			delete(h, "Content-Length")
		}
	}
	if code == http.StatusNoContent {
		delete(h, "Content-Length")
		w.contentLength = -1
	}
	if code == http.StatusResetContent {
		h["Content-Length"] = []string{"0"} // RFC 9110 §15.3.6: no content, and a length saying so
		w.contentLength = 0
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		delete(h, "Content-Type") // there is no content to describe, as Apache sends it
	}
	delete(h, "Transfer-Encoding")
	if w.bodyAllowed && w.contentLength < 0 {
		if w.req.ProtoMinor == 1 {
			w.chunked = true
		} else {
			w.closeAfter = true
		}
	}
	if hasToken(headerValue(h, "Connection"), "close") || w.c.s.closing.Load() || w.c.broken {
		w.closeAfter = true
	}
	if w.body != nil && !w.closeAfter && !w.body.cheapToFinish() {
		w.closeAfter = true
	}
	delete(h, "Connection")
	delete(h, "Keep-Alive")

	bw := w.c.writer()
	writeStatusLine(bw, code)
	if _, ok := h["Date"]; !ok {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.Write(httpDate(time.Now()))
		_, _ = bw.WriteString("\r\n")
	}
	writeFields(bw, h)
	if w.chunked {
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	switch {
	case w.closeAfter:
		_, _ = bw.WriteString("Connection: close\r\n\r\n")
	case w.req.ProtoMinor == 0:
		_, _ = bw.WriteString("Connection: keep-alive\r\n\r\n")
	default:
		_, _ = bw.WriteString("\r\n")
	}
	if pending := w.c.pending; len(pending) > 0 {
		w.c.pending = pending[:0]
		_, _ = w.writeBody(pending)
	}
}

// holdBody waits for the rest of a request body before a 2xx answer commits (see the
// package doc). A rest longer than HoldBodyLimit is not waited for: the connection closes
// after the answer instead.
func (w *response) holdBody() error {
	whole, err := w.body.hold(w.c.s.holdBodyLimit())
	if err != nil {
		return err
	}
	if !whole {
		w.closeAfter = true
	}
	return nil
}

// replace answers with an error status instead of the handler's answer, which is dropped.
func (w *response) replace(status int) {
	w.replaced = true
	w.closeAfter = true
	w.bodyAllowed = false
	msg := strconv.Itoa(status) + " " + http.StatusText(status) + ": the request body did not arrive whole\n"
	bw := w.c.writer()
	writeStatusLine(bw, status)
	_, _ = bw.WriteString("Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: ")
	_, _ = bw.WriteString(strconv.Itoa(len(msg)))
	_, _ = bw.WriteString("\r\n\r\n")
	_, _ = bw.WriteString(msg)
}

// Hijack hands the connection to the handler (a protocol upgrade). Bytes the client sent
// past the request are read first from the returned connection.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.committed {
		if err := w.c.writer().Flush(); err != nil {
			return nil, nil, err
		}
	}
	if w.c.br == nil {
		w.c.br = getReader(w.c.nc)
	}
	w.hijacked = true
	w.c.hijacked = true
	w.c.state.Store(stateHijacked)
	w.c.s.trackConn(w.c, false)
	_ = w.c.nc.SetDeadline(time.Time{})
	hc := &hijackedConn{Conn: w.c.nc, br: w.c.br}
	return hc, bufio.NewReadWriter(w.c.br, bufio.NewWriterSize(w.c.nc, 512)), nil
}

// SetReadDeadline replaces BodyReadTimeout for this request (http.ResponseController).
func (w *response) SetReadDeadline(t time.Time) error {
	w.c.readDeadline = t
	return w.c.nc.SetReadDeadline(t)
}

// SetWriteDeadline replaces WriteTimeout for this request (http.ResponseController).
func (w *response) SetWriteDeadline(t time.Time) error {
	w.c.wdeadline = t
	return w.c.nc.SetWriteDeadline(t)
}

// EnableFullDuplex is a no-op: the request body stays readable while the answer is written.
func (w *response) EnableFullDuplex() error { return nil }

// hijackedConn reads through the connection's buffered reader first.
type hijackedConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *hijackedConn) Read(p []byte) (int, error) { return c.br.Read(p) }

func writeStatusLine(bw *bufio.Writer, code int) {
	_, _ = bw.WriteString("HTTP/1.1 ")
	var num [3]byte
	_, _ = bw.Write(strconv.AppendInt(num[:0], int64(code), 10))
	_ = bw.WriteByte(' ')
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	_, _ = bw.WriteString(text)
	_, _ = bw.WriteString("\r\n")
}

// writeFields writes header fields in name order. A field whose name is not a token or
// whose value could end the line is dropped: the handler may relay a backend's headers.
func writeFields(bw *bufio.Writer, h http.Header) {
	var keysBuf [24]string
	keys := keysBuf[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !isToken(k) {
			continue
		}
		for _, v := range h[k] {
			if !validFieldValue(v) {
				continue
			}
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
}

func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
