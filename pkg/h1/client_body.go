package h1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// clientWriteError marks a failed write to the client during a relay, so the failure is not
// taken for the backend's.
type clientWriteError struct{ err error }

func (e *clientWriteError) Error() string {
	return "writing the answer to the client: " + e.err.Error()
}
func (e *clientWriteError) Unwrap() error { return e.err }

// bodyRelay copies an answer's body from the backend's buffered reader to rw without a copy
// buffer of its own, flushing rw whenever everything that arrived was written and more must be
// waited for, as ReverseProxy with FlushInterval -1 does: streamed answers reach the client at once.
type bodyRelay struct {
	br      *bufio.Reader
	rw      ReplyWriter
	pending bool // written since the last flush
}

// fill waits for more of the body, flushing first what was written.
func (b *bodyRelay) fill() error {
	if b.br.Buffered() > 0 {
		return nil
	}
	if b.pending {
		b.pending = false
		if err := b.rw.Flush(); err != nil {
			return &clientWriteError{err}
		}
	}
	_, err := b.br.Peek(1)
	return err
}

// copyN relays n bytes; an answer that ends before is ErrBadResponse.
func (b *bodyRelay) copyN(n int64) error {
	for n > 0 {
		if err := b.fill(); err != nil {
			return brokeOff(err)
		}
		k := int(min(int64(b.br.Buffered()), n))
		if err := b.write(k); err != nil {
			return err
		}
		n -= int64(k)
	}
	return nil
}

// copyToEOF relays an answer that ends when the backend closes the connection.
func (b *bodyRelay) copyToEOF() error {
	for {
		if err := b.fill(); err == io.EOF {
			return nil
		} else if err != nil {
			return brokeOff(err)
		}
		if err := b.write(b.br.Buffered()); err != nil {
			return err
		}
	}
}

func (b *bodyRelay) write(k int) error {
	p, _ := b.br.Peek(k)
	_, err := b.rw.Write(p)
	_, _ = b.br.Discard(k)
	b.pending = true
	if err != nil {
		return &clientWriteError{err}
	}
	return nil
}

// copyChunked relays a chunked body, decoded, and reads its trailer fields, which are dropped.
func (b *bodyRelay) copyChunked() error {
	for {
		if err := b.fill(); err != nil {
			return brokeOff(err)
		}
		line, err := b.line(maxChunkLine)
		if err != nil {
			return err
		}
		size, problem := parseChunkSize(line)
		if problem != "" {
			return badResponse("%s", problem)
		}
		if size == 0 {
			return b.trailers()
		}
		if err := b.copyN(size); err != nil {
			return err
		}
		if line, err := b.line(0); err != nil {
			return err
		} else if len(line) != 0 {
			return badResponse("chunk data longer than its size")
		}
	}
}

func (b *bodyRelay) trailers() error {
	return skipTrailers(b.line, errBadAnswerTrailer)
}

var errBadAnswerTrailer = badResponse("a trailer field is not one")

// line reads one CRLF-terminated line of at most limit bytes, without the CRLF.
func (b *bodyRelay) line(limit int) ([]byte, error) {
	l, err := b.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(l) > limit+2:
		return nil, badResponse("a line of the chunked body is too long")
	case err != nil:
		return nil, brokeOff(err)
	case len(l) < 2 || l[len(l)-2] != '\r':
		return nil, badResponse("a line of the chunked body ends with a bare LF")
	}
	return l[:len(l)-2], nil
}

// brokeOff is the error of an answer whose body ended before its framing said.
func brokeOff(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("the answer's body broke off: %w", err)
}
