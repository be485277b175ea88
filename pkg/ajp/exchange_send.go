package ajp

import (
	"io"
	"slices"
)

// The request side of an exchange: FORWARD_REQUEST, then the request body as the backend asks for it.

// send writes FORWARD_REQUEST and, for a body of known length, its first packet unprompted, in one
// write, as Tomcat expects.
func (ex *exchange) send() error {
	b := *ex.buf
	if ex.bodyLeft > 0 {
		n := int(min(ex.bodyLeft, int64(MaxRequestChunk(ex.packetSize))))
		at := len(b)
		b = slices.Grow(b, 6+n)[:at+6+n]
		*ex.buf = b[:at] // the FORWARD_REQUEST bytes stay intact whatever happens next
		ex.bodyTouched = true
		if _, err := io.ReadFull(ex.req.Body, b[at+6:]); err != nil {
			return ex.failBody(err)
		}
		putBodyHeader(b[at:], n)
		ex.bodyLeft -= int64(n)
	}
	n, err := ex.c.nc.Write(b)
	ex.sent = n > 0
	if err != nil {
		return ex.fail("sending the request to", err)
	}
	return nil
}

// sendBodyChunk answers GET_BODY_CHUNK with min(requested, packet room, bytes left) request body
// bytes, or with the empty end-of-body packet once the body is over.
func (ex *exchange) sendBodyChunk(p []byte) error {
	requested, err := ParseGetBodyChunk(p)
	if err != nil {
		return ex.fail("reading the reply of", err)
	}
	room := MaxRequestChunk(ex.packetSize)
	if requested <= 0 || requested > room {
		requested = room
	}
	if ex.bodyLeft >= 0 && int64(requested) > ex.bodyLeft {
		requested = int(ex.bodyLeft)
	}
	b := (*ex.buf)[:0]
	if requested == 0 {
		b = AppendRequestBody(b, nil)
	} else {
		if ex.flushDue != flushNone { // the client may wait for it before it sends more
			if err := ex.flushReply(); err != nil {
				return err
			}
		}
		b = slices.Grow(b, 6+requested)[:6+requested]
		ex.bodyTouched = true
		var got int
		if ex.bodyLeft > 0 {
			got, err = io.ReadFull(ex.req.Body, b[6:])
		} else {
			for got == 0 && err == nil {
				got, err = ex.req.Body.Read(b[6:])
			}
			if err == io.EOF {
				err, ex.bodyLeft = nil, 0 // the next GET_BODY_CHUNK gets the end packet
			}
		}
		if err != nil {
			*ex.buf = b[:0]
			return ex.failBody(err)
		}
		if ex.bodyLeft > 0 {
			ex.bodyLeft -= int64(got)
		}
		b = b[:6+got]
		putBodyHeader(b, got)
		if got == 0 {
			b = AppendRequestBody(b[:0], nil)
		}
	}
	*ex.buf = b[:0]
	if _, err := ex.c.nc.Write(b); err != nil {
		return ex.fail("sending the request body to", err)
	}
	return nil
}

// putBodyHeader writes the header of a request body packet of n data bytes into b[:6].
func putBodyHeader(b []byte, n int) {
	b[0], b[1] = byte(MagicToContainer>>8), byte(MagicToContainer&0xFF)
	b[2], b[3], b[4], b[5] = byte((n+2)>>8), byte(n+2), byte(n>>8), byte(n)
}
