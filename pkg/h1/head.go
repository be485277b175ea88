package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
)

// maxLeadingEmptyLines is how many empty lines before a request line are ignored: RFC 9112
// §2.2 asks for at least one, after a client's extra CRLF following a body.
const maxLeadingEmptyLines = 4

// errIdleClose means the connection ended, or stayed silent, before a request began: it is
// closed without an answer.
var errIdleClose = errors.New("connection closed between requests")

// readHead reads one request head (request line and header fields, up to the empty line) into
// c.head and the end of each line (CRLF excluded) into c.lines. It enforces the CRLF line
// ends and the size limits; the content of the lines is checked by parseHead.
func (c *conn) readHead() error {
	c.head = c.head[:0]
	c.lines = c.lines[:0]
	lineStart := 0
	leading := 0
	for {
		frag, err := c.br.ReadSlice('\n')
		if len(c.head)+len(frag) > c.limit() {
			return c.headTooLong(lineStart)
		}
		c.head = append(c.head, frag...)
		if err == bufio.ErrBufferFull {
			continue // a line longer than the buffer: keep collecting it
		}
		if err != nil {
			return c.headReadError(err)
		}
		line := c.head[lineStart:]
		if len(line) < 2 || line[len(line)-2] != '\r' {
			return refuse(http.StatusBadRequest, "a line of the request head ends with a bare LF; HTTP needs CRLF")
		}
		end := len(c.head) - 2
		if end == lineStart { // an empty line
			if len(c.lines) > 0 {
				return nil // the end of the head
			}
			if leading++; leading > maxLeadingEmptyLines {
				return refuse(http.StatusBadRequest, "empty lines instead of a request line")
			}
			c.head = c.head[:0]
			lineStart = 0
			continue
		}
		if len(c.lines) == 0 {
			if end-lineStart > c.s.maxRequestLine() {
				return refuse(http.StatusRequestURITooLong, "the request line is longer than the server accepts")
			}
			// An HTTP/0.9 request has no header section to wait for: refuse it at once.
			if bytes.Count(c.head[lineStart:end], []byte{' '}) < 2 {
				return refuse(http.StatusBadRequest, "the request line has no HTTP version (HTTP/0.9 is not served)")
			}
		}
		if len(c.lines) > c.s.maxHeaderFields() {
			return refuse(http.StatusRequestHeaderFieldsTooLarge, "the request has more header fields than the server accepts")
		}
		c.lines = append(c.lines, end)
		lineStart = len(c.head)
	}
}

// limit is the most bytes a head may take, CRLFs included.
func (c *conn) limit() int { return max(c.s.maxHeaderBytes(), c.s.maxRequestLine()+2) }

// headTooLong says which limit a head broke: the request line's or the whole head's.
func (c *conn) headTooLong(lineStart int) error {
	if len(c.lines) == 0 && lineStart == 0 {
		return refuse(http.StatusRequestURITooLong, "the request line is longer than the server accepts")
	}
	return refuse(http.StatusRequestHeaderFieldsTooLarge, "the request header fields are larger than the server accepts")
}

// headReadError turns a failed read of the head into what to do: close quietly when no
// request began, 408 when the client stalled in the middle of one, else close.
func (c *conn) headReadError(err error) error {
	started := len(c.head) > 0 || len(c.lines) > 0
	var ne net.Error
	switch {
	case !started:
		return errIdleClose
	case errors.As(err, &ne) && ne.Timeout():
		return refuse(http.StatusRequestTimeout, "the request head did not arrive in time")
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return errIdleClose // the client went away in the middle of its head: nobody to answer
	}
	return errIdleClose
}
