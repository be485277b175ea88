package ajp

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

var errBodyAfterHandler = errors.New("read of an AJP request body after its handler returned")

// requestBody is the request body of a Server request. It pulls data the AJP way: the first packet
// of a body of known length arrives unprompted, every other one is asked for with GET_BODY_CHUNK.
type requestBody struct {
	c *serverConn

	mu           sync.Mutex
	left         int64 // bytes still expected; -1 for an unknown length
	firstPending bool  // the unprompted first packet has not been read yet
	pending      []byte
	eof          bool
	err          error
	finished     bool // the handler returned: the connection belongs to the keep-alive loop again
}

// Read returns request body bytes, asking the web server for more when it runs out.
func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return 0, errBodyAfterHandler
	}
	for len(b.pending) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.eof {
			return 0, io.EOF
		}
		b.err = b.fill()
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	if len(b.pending) == 0 && b.left == 0 {
		b.eof = true
		return n, io.EOF
	}
	return n, nil
}

// fill reads the next body packet into pending, first asking for it unless it comes unprompted.
func (b *requestBody) fill() error {
	if b.left == 0 {
		b.eof = true
		return nil
	}
	if b.firstPending {
		b.firstPending = false
	} else if err := b.ask(); err != nil {
		return err
	}
	p, err := b.c.pr.Next()
	if err != nil {
		return fmt.Errorf("reading the AJP request body: %w", err)
	}
	data, err := ParseRequestBody(p)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		b.eof = true
		if b.left > 0 {
			return fmt.Errorf("reading the AJP request body: ended %d bytes before its Content-Length: %w", b.left, io.ErrUnexpectedEOF)
		}
		return nil
	}
	if b.left >= 0 {
		if int64(len(data)) > b.left {
			return protocolErrorf("request body packet of %d bytes when %d remain of its Content-Length", len(data), b.left)
		}
		b.left -= int64(len(data))
	}
	b.pending = data
	return nil
}

// ask sends GET_BODY_CHUNK for as much as a packet holds, as Tomcat does.
func (b *requestBody) ask() error {
	c := b.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.scratch = AppendGetBodyChunk(c.scratch[:0], MaxRequestChunk(c.packetSize))
	if _, err := c.bw.Write(c.scratch); err != nil {
		return fmt.Errorf("asking for the AJP request body: %w", err)
	}
	if err := c.bw.Flush(); err != nil {
		return fmt.Errorf("asking for the AJP request body: %w", err)
	}
	return nil
}

// Close does nothing: what the handler did not read is dealt with by finish.
func (b *requestBody) Close() error { return nil }

// finish runs after the handler: it swallows an unread unprompted first packet, as Tomcat does,
// so the next packet on the connection is a request. It reports whether the connection is still
// in step with the web server.
func (b *requestBody) finish() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finished = true
	b.pending = nil
	if b.err != nil {
		return false
	}
	if b.firstPending {
		b.firstPending = false
		p, err := b.c.pr.Next()
		if err != nil {
			return false
		}
		if _, err := ParseRequestBody(p); err != nil {
			return false
		}
	}
	return true
}
