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

// response turns the checked SEND_HEADERS into the http.Response RoundTrip returns. Its body is
// the exchange, or http.NoBody for a reply without one (which already ended).
func (ex *exchange) response() *http.Response {
	sh := &ex.c.sh
	hdr := make(http.Header, len(sh.Headers))
	sh.addTo(hdr)
	resp := &http.Response{
		Status:        statusLine(sh.Status, sh.Reason),
		StatusCode:    sh.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        hdr,
		Request:       ex.req,
		ContentLength: ex.contentLength,
		Body:          ex,
	}
	if !ex.hasBody {
		resp.Body = http.NoBody
	}
	return resp
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
		data, _, err := ex.step()
		if err != nil {
			return 0, err
		}
		ex.pending = data // empty for a flush: Read goes on to the next packet
	}
	n := copy(p, ex.pending)
	ex.pending = ex.pending[n:]
	if len(ex.pending) == 0 && ex.endBuffered() {
		return n, io.EOF
	}
	return n, nil
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
	ex.pending = nil
	for ex.err == nil && !ex.done && ex.nextBuffered() {
		_, _, _ = ex.step() // body bytes nobody will read are dropped
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
