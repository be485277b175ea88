package h1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

const (
	maxChunkLine    = 4096    // a chunk-size line with its extensions
	maxTrailerBytes = 8 << 10 // all trailer fields of a chunked body
)

// body is a request body read off the connection: Content-Length or chunked framing, each
// read bounded by BodyReadTimeout. It may be read from another goroutine than the handler's
// (http.Transport writes request bodies from its own), hence the lock.
type body struct {
	mu     sync.Mutex
	c      *conn
	err    error // sticky: io.EOF at the end, or a body error
	closed bool  // the handler closed the body, or returned: reads fail with ErrBodyClosed

	chunked   bool
	remaining int64 // Content-Length: bytes left; chunked: bytes left in the current chunk
	held      []byte

	expectContinue bool // send 100 Continue before the first read
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.readLocked(p)
}

func (b *body) readLocked(p []byte) (int, error) {
	if b.closed {
		return 0, ErrBodyClosed
	}
	return b.readOff(p)
}

// readOff reads from the held bytes, then the connection, whether or not the handler closed
// the body.
func (b *body) readOff(p []byte) (int, error) {
	if len(b.held) > 0 {
		n := copy(p, b.held)
		b.held = b.held[n:]
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.expectContinue {
		b.expectContinue = false
		if err := b.c.writeContinue(); err != nil {
			b.err = fmt.Errorf("sending 100 Continue: %w", err)
			return 0, b.err
		}
	}
	b.c.bodyDeadline()
	var n int
	var err error
	if b.chunked {
		n, err = b.readChunked(p)
	} else {
		n, err = b.readLength(p)
	}
	if err != nil {
		b.err = err
		if err != io.EOF {
			b.c.broken = true
		}
	}
	return n, err
}

func (b *body) readLength(p []byte) (int, error) {
	if b.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	if err != nil {
		return n, bodyReadError(err)
	}
	if b.remaining == 0 {
		return n, io.EOF
	}
	return n, nil
}

func (b *body) readChunked(p []byte) (int, error) {
	if b.remaining == 0 {
		size, err := b.chunkHeader()
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := b.trailers(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		b.remaining = size
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	if err != nil {
		return n, bodyReadError(err)
	}
	if b.remaining == 0 {
		if err := b.crlf(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// chunkHeader reads "hex-size [; ext] CRLF".
func (b *body) chunkHeader() (int64, error) {
	line, err := b.line(maxChunkLine)
	if err != nil {
		return 0, err
	}
	size, problem := parseChunkSize(line)
	if problem != "" {
		return 0, fmt.Errorf("%w: %s", ErrBodyMalformed, problem)
	}
	return size, nil
}

// parseChunkSize reads the line "hex-size [; ext]" of a chunk (CRLF removed): extensions are
// allowed and ignored; the size has at most 15 hex digits, so it cannot overflow. problem says
// what is wrong with a line that is not one, else "".
func parseChunkSize(line []byte) (size int64, problem string) {
	sizeText := line
	if i := indexAny(line, ";"); i >= 0 {
		sizeText = line[:i]
		for _, c := range line[i:] {
			if c < ' ' && c != '\t' || c == 0x7f {
				return 0, "control byte in a chunk extension"
			}
		}
	}
	if len(sizeText) == 0 || len(sizeText) > 15 {
		return 0, fmt.Sprintf("chunk size %q", sizeText)
	}
	for _, c := range sizeText {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Sprintf("chunk size %q", sizeText)
		}
		size = size<<4 | int64(d)
	}
	return size, ""
}

// trailers reads and drops the trailer fields after the last chunk, up to the empty line.
func (b *body) trailers() error {
	return skipTrailers(b.line, errBadTrailer)
}

var errBadTrailer = fmt.Errorf("%w: bad trailer field", ErrBodyMalformed)

// skipTrailers reads trailer fields with next (a line reader bounded by limit) up to the empty
// line, at most maxTrailerBytes in all, and drops them; a field that is not one is bad.
func skipTrailers(next func(limit int) ([]byte, error), bad error) error {
	total := 0
	for {
		line, err := next(maxTrailerBytes - total)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		total += len(line) + 2
		if _, _, err := splitField(string(line)); err != nil {
			return bad
		}
	}
}

// crlf reads the CRLF that ends a chunk's data.
func (b *body) crlf() error {
	line, err := b.line(0)
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return fmt.Errorf("%w: chunk data longer than its size", ErrBodyMalformed)
	}
	return nil
}

// line reads one CRLF-terminated line of at most limit bytes (CRLF excluded) and returns it
// without the CRLF. It aliases the reader's buffer until the next read.
func (b *body) line(limit int) ([]byte, error) {
	l, err := b.c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(l) > limit+2 {
		return nil, fmt.Errorf("%w: line too long", ErrBodyMalformed)
	}
	if err != nil {
		return nil, bodyReadError(err)
	}
	if len(l) < 2 || l[len(l)-2] != '\r' {
		return nil, fmt.Errorf("%w: bare LF", ErrBodyMalformed)
	}
	return l[:len(l)-2], nil
}

// hold reads the rest of a Content-Length body into memory, at most limit bytes, so that a
// success can be answered knowing the upload arrived whole. It reports false when the rest
// is longer than limit (nothing is read then) and returns the body's error when it failed.
func (b *body) hold(limit int64) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil || b.expectContinue {
		// Expecting 100-continue: the client sends nothing until asked, and the handler
		// answered without asking.
		return b.err == io.EOF, errOrNil(b.err)
	}
	if b.chunked {
		return b.holdChunked(limit)
	}
	if b.remaining > limit {
		return false, nil
	}
	rest := make([]byte, 0, b.remaining)
	for b.err == nil {
		n, err := b.readOff(rest[len(rest):cap(rest)])
		rest = rest[:len(rest)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return true, err
		}
	}
	b.held = append(b.held, rest...)
	return true, nil
}

// holdChunked reads the rest of a chunked body into memory until it ends or passes limit;
// what was read stays for the handler either way. Caller holds b.mu.
func (b *body) holdChunked(limit int64) (bool, error) {
	var rest []byte
	buf := make([]byte, 16<<10)
	for {
		n, err := b.readOff(buf)
		rest = append(rest, buf[:n]...)
		switch {
		case err == io.EOF:
			b.held = rest
			return true, nil
		case err != nil:
			return true, err
		case int64(len(rest)) > limit:
			b.held = rest
			return false, nil
		}
	}
}

// discard reads and drops what is left of the body, up to limit bytes, so the connection
// can serve its next request. It reports whether the body ended within the limit.
func (b *body) discard(limit int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = nil
	if !b.chunked && b.remaining > limit {
		return false
	}
	if b.expectContinue {
		return false // the client has not sent the body and waits to be told to: close instead
	}
	var buf [4096]byte
	for read := int64(0); b.err == nil && read <= limit; {
		n, _ := b.readOff(buf[:])
		read += int64(n)
	}
	return b.err == io.EOF
}

// Close makes later reads fail, as a handler closing a request body expects; what is left is
// read off by the server after the handler returns.
func (b *body) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// cheapToFinish reports whether what is left of the body can be read off after the answer
// without holding the connection long: it ended, or a known short rest remains that the
// client is already sending.
func (b *body) cheapToFinish() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.err == io.EOF:
		return true
	case b.err != nil, b.expectContinue:
		return false
	case b.chunked:
		return true // read off after the answer, up to discardLimit; past it the connection closes
	}
	return b.remaining <= discardLimit
}

func errOrNil(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// bodyReadError classifies a failed read of the connection during a body.
func bodyReadError(err error) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: nothing arrived for the read timeout: %w", ErrBodyTimeout, err)
	case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return ErrBodyTruncated
	}
	return fmt.Errorf("%w: %w", ErrBodyTruncated, err)
}

func indexAny(b []byte, chars string) int {
	for i, c := range b {
		for j := 0; j < len(chars); j++ {
			if c == chars[j] {
				return i
			}
		}
	}
	return -1
}

// bodyDeadline bounds the next read of a body.
func (c *conn) bodyDeadline() {
	if !c.readDeadline.IsZero() {
		_ = c.nc.SetReadDeadline(c.readDeadline)
	} else if d := c.s.bodyReadTimeout(); d > 0 {
		_ = c.nc.SetReadDeadline(time.Now().Add(d))
	} else {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
}
