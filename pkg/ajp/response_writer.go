package ajp

import (
	"net/http"
	"strconv"
)

// responseWriter is the http.ResponseWriter of a Server request. Body bytes are collected up to one
// chunk; SEND_HEADERS goes out with the first full chunk, on Flush, or at the end, when a missing
// Content-Length can still be filled in.
type responseWriter struct {
	c           *serverConn
	req         *http.Request
	header      http.Header
	status      int
	wroteHeader bool // the status is decided
	sentHeader  bool // SEND_HEADERS is written
	buf         []byte
	written     int64 // body bytes the handler wrote
	declared    int64 // the Content-Length the handler set when it decided the status, or -1
	err         error // the connection failed: further writes are pointless
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
)

func newResponseWriter(c *serverConn, req *http.Request) *responseWriter {
	return &responseWriter{c: c, req: req, header: make(http.Header), declared: -1}
}

// Header returns the response headers, sent with the first body chunk, Flush or the end.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader decides the status. Informational (1xx) statuses cannot travel over AJP and are
// ignored; a second call is ignored.
func (w *responseWriter) WriteHeader(status int) {
	if w.wroteHeader || (status >= 100 && status < 200) {
		return
	}
	if status < 100 || status > 999 {
		panic("ajp: invalid WriteHeader status " + strconv.Itoa(status))
	}
	w.wroteHeader, w.status = true, status
	w.declared = -1
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.declared = n
		}
	}
}

// Write adds body bytes, sending full chunks as they fill. HEAD bodies are counted, not sent.
func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		return 0, http.ErrContentLength // the web server would see a broken response
	}
	w.written += int64(len(p))
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	maxChunk := MaxBodyChunk(w.c.packetSize)
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == 0 && len(p) >= maxChunk {
			if err := w.sendChunk(p[:maxChunk]); err != nil {
				return n - len(p), err
			}
			p = p[maxChunk:]
			continue
		}
		k := min(len(p), maxChunk-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == maxChunk {
			if err := w.sendChunk(w.buf); err != nil {
				return n - len(p), err
			}
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

// Flush sends the headers and the buffered bytes, then an empty chunk, Tomcat's explicit flush,
// so that the web server flushes to its client too.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush for http.ResponseController, reporting a broken connection.
func (w *responseWriter) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		if err := w.sendChunk(w.buf); err != nil {
			return err
		}
		w.buf = w.buf[:0]
	} else if err := w.sendHeaders(nil); err != nil {
		return err
	}
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.scratch = AppendBodyChunk(w.c.scratch[:0], nil)
	if _, err := w.c.bw.Write(w.c.scratch); err != nil {
		w.err = err
		return err
	}
	if err := w.c.bw.Flush(); err != nil {
		w.err = err
	}
	return w.err
}

// sendChunk writes SEND_HEADERS if still due, then one SEND_BODY_CHUNK.
func (w *responseWriter) sendChunk(data []byte) error {
	if err := w.sendHeaders(data); err != nil {
		return err
	}
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	n := len(data)
	hdr := [7]byte{byte(MagicFromContainer >> 8), byte(MagicFromContainer & 0xFF), byte((n + 4) >> 8), byte(n + 4), byte(TypeSendBodyChunk), byte(n >> 8), byte(n)}
	_, _ = w.c.bw.Write(hdr[:])
	_, _ = w.c.bw.Write(data)
	if err := w.c.bw.WriteByte(0); err != nil {
		w.err = err
	}
	return w.err
}

// sendHeaders writes SEND_HEADERS once, sniffing a Content-Type from the first body bytes when
// the handler set none, as net/http does.
func (w *responseWriter) sendHeaders(first []byte) error {
	if w.sentHeader {
		return nil
	}
	w.sentHeader = true
	if _, set := w.header["Content-Type"]; !set && len(first) > 0 && bodyAllowed(w.status) {
		w.header.Set("Content-Type", http.DetectContentType(first))
	}
	msg := SendHeaders{Status: w.status, Reason: http.StatusText(w.status), Headers: make([]Header, 0, len(w.header))}
	if msg.Reason == "" {
		msg.Reason = strconv.Itoa(w.status)
	}
	for name, values := range w.header {
		for _, v := range values {
			msg.Headers = append(msg.Headers, Header{name, v})
		}
	}
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	b, err := msg.AppendPacket(w.c.scratch[:0], w.c.packetSize)
	if err != nil {
		// Headers that do not fit a packet cannot be sent at all; the web server gets a bare 500.
		w.c.s.logger().Error("ajp response headers too large", "uri", w.req.RequestURI, "err", err)
		msg = SendHeaders{Status: http.StatusInternalServerError, Reason: "Internal Server Error"}
		b, _ = msg.AppendPacket(w.c.scratch[:0], w.c.packetSize)
		w.err = err
	}
	w.c.scratch = b
	if _, werr := w.c.bw.Write(b); werr != nil {
		w.err = werr
	}
	return w.err
}

// finish completes the response after the handler returned: headers (with a Content-Length when
// the whole body is known), the last chunk and END_RESPONSE. It reports whether all of it went out.
func (w *responseWriter) finish(reuse bool) bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader && bodyAllowed(w.status) && w.header.Get("Content-Length") == "" && w.header.Get("Transfer-Encoding") == "" {
		if w.req.Method != http.MethodHead || w.written > 0 {
			w.header.Set("Content-Length", strconv.FormatInt(w.written, 10))
		}
	}
	if w.err == nil && len(w.buf) > 0 {
		_ = w.sendChunk(w.buf)
	} else if w.err == nil {
		_ = w.sendHeaders(nil)
	}
	w.buf = nil
	ok := w.err == nil
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.scratch = AppendEndResponse(w.c.scratch[:0], reuse && ok)
	if _, err := w.c.bw.Write(w.c.scratch); err != nil {
		return false
	}
	return w.c.bw.Flush() == nil && ok
}

// abort handles a handler panic: a 500 if nothing was sent yet, otherwise the response is cut.
func (w *responseWriter) abort() {
	if !w.sentHeader {
		w.header = http.Header{"Content-Length": {"0"}}
		w.status, w.wroteHeader = http.StatusInternalServerError, true
		w.buf = nil
		return
	}
	w.buf = nil
}
