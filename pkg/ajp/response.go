package ajp

import (
	"io"
	"net/http"
	"net/textproto"
	"strconv"
)

// responseHeaderKeys are the response header codes' names in net/http's canonical form
// ("Www-Authenticate"), so that building an http.Header costs no allocation per coded name.
var responseHeaderKeys = func() (keys [len(responseHeaderNames)]string) {
	for i, n := range responseHeaderNames {
		keys[i] = textproto.CanonicalMIMEHeaderKey(n)
	}
	return keys
}()

// statusLines caches "200 OK" and friends. The reason is always Go's: Tomcat sends the number.
var statusLines = func() map[int]string {
	m := make(map[int]string)
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			m[code] = strconv.Itoa(code) + " " + text
		}
	}
	return m
}()

func statusLine(code int, reason string) string {
	if s, ok := statusLines[code]; ok {
		return s
	}
	if _, err := strconv.Atoi(reason); reason == "" || err == nil || !validHeaderValue(reason) {
		reason = "status code " + strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + reason
}

// bodyAllowed reports whether a response with this status may carry a body at all.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// response turns SEND_HEADERS into the http.Response RoundTrip returns. Its body is the exchange,
// or http.NoBody for HEAD, 1xx, 204 and 304 (the caller then reads on to END_RESPONSE).
func (ex *exchange) response(p []byte) (*http.Response, error) {
	sh := &ex.c.sh
	if err := sh.parse(p); err != nil {
		return nil, err
	}
	status := sh.Status
	if status < 100 || status > 999 {
		return nil, protocolErrorf("status %d in SEND_HEADERS", status)
	}
	hdr := make(http.Header, len(sh.Headers))
	values := make([]string, len(sh.Headers)) // one backing array for all single values
	for i, h := range sh.Headers {
		key := h.Name
		if code, ok := ResponseHeaderCode(h.Name); ok && responseHeaderNames[code-headerCodeBase] == h.Name {
			key = responseHeaderKeys[code-headerCodeBase]
		} else if !validHeaderName(key) {
			return nil, protocolErrorf("header name %q in SEND_HEADERS", key)
		} else {
			key = textproto.CanonicalMIMEHeaderKey(key)
		}
		if !validHeaderValue(h.Value) {
			return nil, protocolErrorf("header %s with a control character in its value", key)
		}
		if vs, ok := hdr[key]; ok {
			hdr[key] = append(vs, h.Value)
			continue
		}
		values[i] = h.Value
		hdr[key] = values[i : i+1 : i+1]
	}
	cl, err := responseLength(hdr)
	if err != nil {
		return nil, err
	}
	resp := &http.Response{
		Status:        statusLine(status, sh.Reason),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        hdr,
		Request:       ex.req,
		ContentLength: cl,
		Body:          ex,
	}
	switch {
	case ex.req.Method == http.MethodHead:
		resp.Body = http.NoBody // ContentLength stays what the backend announced, as net/http does
	case !bodyAllowed(status):
		resp.Body, resp.ContentLength = http.NoBody, 0
	}
	ex.contentLength = resp.ContentLength
	return resp, nil
}

// Read returns response body bytes as soon as a chunk arrives: it never waits to fill p, so a
// flush by the backend reaches the reader at once. It answers GET_BODY_CHUNK on the way.
func (ex *exchange) Read(p []byte) (int, error) {
	ex.mu.Lock()
	if ex.closed {
		ex.mu.Unlock()
		return 0, errBodyClosed
	}
	ex.reading = true
	ex.mu.Unlock()

	n, err := ex.read(p)

	ex.mu.Lock()
	ex.reading = false
	closed := ex.closed
	ex.mu.Unlock()
	if closed { // Close ran during this Read and left the release to it
		ex.release(false) // a no-op when END_RESPONSE already gave the connection back
		return n, errBodyClosed
	}
	return n, err
}

func (ex *exchange) read(p []byte) (int, error) {
	for len(ex.pending) == 0 {
		if ex.err != nil {
			return 0, ex.err
		}
		if ex.done {
			return 0, io.EOF
		}
		if err := ex.step(); err != nil {
			return 0, err
		}
	}
	n := copy(p, ex.pending)
	ex.pending = ex.pending[n:]
	if len(ex.pending) == 0 && ex.endBuffered() {
		return n, io.EOF
	}
	return n, nil
}

// step reads and handles one packet of the body phase.
func (ex *exchange) step() error {
	p, err := ex.next()
	if err != nil {
		return err
	}
	switch MessageType(p[0]) {
	case TypeSendBodyChunk:
		data, err := ParseBodyChunk(p)
		if err != nil {
			return ex.fail("reading the reply of", err)
		}
		ex.delivered += int64(len(data))
		if ex.contentLength >= 0 && ex.delivered > ex.contentLength {
			return ex.fail("reading the reply of", protocolErrorf("body longer than its Content-Length %d", ex.contentLength))
		}
		ex.pending = data // empty for a flush: Read goes on to the next packet
	case TypeGetBodyChunk:
		return ex.sendBodyChunk(p)
	case TypeEndResponse:
		return ex.endResponse(p)
	case TypeSendHeaders:
		return ex.fail("reading the reply of", protocolErrorf("a second SEND_HEADERS"))
	default:
		return ex.fail("reading the reply of", protocolErrorf("unexpected %v in the body", MessageType(p[0])))
	}
	return nil
}

func (ex *exchange) endResponse(p []byte) error {
	reuse, err := ParseEndResponse(p)
	if err != nil {
		return ex.fail("reading the reply of", err)
	}
	if ex.contentLength >= 0 && ex.delivered < ex.contentLength {
		return ex.fail("reading the reply of", protocolErrorf("body of %d bytes shorter than its Content-Length %d", ex.delivered, ex.contentLength))
	}
	ex.end(reuse)
	return nil
}

// endBuffered consumes END_RESPONSE if it already sits in the read buffer, so that a reader that
// stops at Content-Length still gives the connection back. It never blocks.
func (ex *exchange) endBuffered() bool {
	b := ex.c.pr.peekBuffered(HeaderSize + 2)
	if b == nil || b[0] != 'A' || b[1] != 'B' || b[2] != 0 || b[3] != 2 || MessageType(b[4]) != TypeEndResponse {
		return false
	}
	p, err := ex.c.pr.Next() // buffered: no I/O
	if err != nil {
		return false
	}
	return ex.endResponse(p) == nil
}

// Close ends the response body. Before END_RESPONSE, the connection is mid-exchange and is closed,
// unless the rest of the reply is already buffered.
//
// It may run in another goroutine while a Read is under way. The Read owns the exchange until it
// returns, so Close touches nothing but the socket: before END_RESPONSE it closes it, which ends a
// Read waiting for the backend at once whatever deadline that Read sets, and the connection is
// never pooled. (A Read waiting on the request body to answer GET_BODY_CHUNK returns when that
// body's Read does.) The Read then returns an error and releases the exchange.
func (ex *exchange) Close() error {
	ex.mu.Lock()
	if ex.closed {
		ex.mu.Unlock()
		return nil
	}
	ex.closed = true
	if ex.reading {
		if !ex.done { // once done, the connection may be pooled already: it is not ours to touch
			ex.interrupted = true
			_ = ex.c.nc.Close()
		}
		ex.mu.Unlock()
		return nil
	}
	ex.mu.Unlock()
	for ex.err == nil && !ex.done && ex.nextBuffered() {
		if err := ex.step(); err != nil || len(ex.pending) > 0 {
			ex.pending = nil
		}
	}
	ex.release(ex.done && ex.reuse)
	return nil
}

// nextBuffered reports whether a whole body-phase packet that needs no answer is buffered.
func (ex *exchange) nextBuffered() bool {
	b := ex.c.pr.peekBuffered(HeaderSize + 1)
	if b == nil {
		return false
	}
	t := MessageType(b[4])
	n := int(b[2])<<8 | int(b[3])
	return (t == TypeSendBodyChunk || t == TypeEndResponse) && ex.c.pr.peekBuffered(HeaderSize+n) != nil
}
