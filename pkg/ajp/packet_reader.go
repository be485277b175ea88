package ajp

import (
	"io"
	"sync"
)

// PacketReader reads packets of one direction from a stream, one at a time. It never allocates
// per packet: a payload is a view of its read buffer, valid until the next call to Next. The
// buffer starts small and grows to the packet size only for a packet that needs it, so that a
// connection waiting for a small reply holds little.
type PacketReader struct {
	r          io.Reader
	buf        []byte // buf[start:end] is read from r and not yet returned
	start, end int
	err        error // a read error that came with the bytes still buffered, for when they run out
	magic      uint16
	maxPacket  int
}

// NewPacketReader returns a reader of packets that start with magic and are at most maxPacket bytes
// long, header included (0 means DefaultPacketSize).
func NewPacketReader(r io.Reader, magic uint16, maxPacket int) *PacketReader {
	if maxPacket <= 0 {
		maxPacket = DefaultPacketSize
	}
	p := &PacketReader{magic: magic, maxPacket: maxPacket}
	p.attach(r)
	return p
}

// Reset makes p read from r, dropping anything buffered.
func (p *PacketReader) Reset(r io.Reader) {
	p.r, p.start, p.end, p.err = r, 0, 0, nil
	if p.buf == nil {
		p.buf = getReadBuffer(smallReadBuffer)
	}
}

// Buffered returns how many bytes were read from the stream but not yet returned as packets.
func (p *PacketReader) Buffered() int { return p.end - p.start }

// Next reads the next packet and returns its payload (for every type but request-body data, the
// first byte is the MessageType). It returns io.EOF when the stream ends cleanly between packets,
// an error wrapping ErrProtocol for a wrong magic, an oversize length or a packet cut short by the
// end of the stream, and any other read error (a deadline, a reset) as it is.
func (p *PacketReader) Next() ([]byte, error) {
	if err := p.fill(HeaderSize); err != nil {
		return nil, truncated(err, p.Buffered(), HeaderSize)
	}
	hdr := p.buf[p.start:]
	if magic := uint16(hdr[0])<<8 | uint16(hdr[1]); magic != p.magic {
		return nil, protocolErrorf("wrong magic 0x%04x, want 0x%04x", magic, p.magic)
	}
	n := HeaderSize + (int(hdr[2])<<8 | int(hdr[3]))
	if n > p.maxPacket {
		return nil, protocolErrorf("packet of %d bytes exceeds the packet size %d", n, p.maxPacket)
	}
	if err := p.fill(n); err != nil {
		return nil, truncated(err, p.Buffered(), n)
	}
	pkt := p.buf[p.start+HeaderSize : p.start+n]
	p.start += n
	return pkt, nil
}

// fill reads until n bytes are buffered, growing the buffer if it cannot hold them. Bytes before
// p.start (the packets returned so far) may be overwritten.
func (p *PacketReader) fill(n int) error {
	for empty := 0; p.Buffered() < n; {
		if p.err != nil {
			err := p.err
			p.err = nil
			return err
		}
		if len(p.buf)-p.start < n {
			p.makeRoom(n)
		}
		m, err := p.r.Read(p.buf[p.end:])
		p.end += m
		switch {
		case err != nil:
			p.err = err // returned once the buffered bytes run short
		case m == 0:
			if empty++; empty >= 100 {
				return io.ErrNoProgress
			}
		}
	}
	return nil
}

// makeRoom moves the buffered bytes to the front of the buffer, or into a larger one (the packet
// size) when n bytes would not fit.
func (p *PacketReader) makeRoom(n int) {
	buf := p.buf
	if n > len(buf) {
		buf = getReadBuffer(p.maxPacket)
	}
	p.end = copy(buf, p.buf[p.start:p.end])
	p.start = 0
	if &buf[0] != &p.buf[0] {
		putReadBuffer(p.buf)
		p.buf = buf
	}
}

// peekBuffered returns the next n bytes if they are already buffered, without reading the stream.
func (p *PacketReader) peekBuffered(n int) []byte {
	if p.Buffered() < n {
		return nil
	}
	return p.buf[p.start : p.start+n]
}

// packetBuffered reports whether a whole packet is buffered, so that Next will not block.
func (p *PacketReader) packetBuffered() bool {
	b := p.peekBuffered(HeaderSize)
	return b != nil && p.peekBuffered(HeaderSize+(int(b[2])<<8|int(b[3]))) != nil
}

// detach gives back the read buffer when nothing is buffered, so that an idle connection does
// not hold one; attach must come before the next read. A buffer of a size the pools do not keep
// stays, so that it is not allocated again for the next exchange.
func (p *PacketReader) detach() {
	if p.buf == nil || p.Buffered() > 0 || p.err != nil || !pooled(len(p.buf)) {
		return
	}
	putReadBuffer(p.buf)
	p.buf, p.start, p.end = nil, 0, 0
}

// attach makes p read from r, with a small buffer again after detach.
func (p *PacketReader) attach(r io.Reader) {
	p.r = r
	if p.buf == nil {
		p.buf = getReadBuffer(smallReadBuffer)
	}
}

// Read buffers are pooled in two sizes: the small one every reader starts with, enough for the
// usual reply of headers, a page and END_RESPONSE, and the default packet size. Other packet
// sizes are allocated.
const smallReadBuffer = 1 << 10

var (
	smallReadBuffers  = sync.Pool{New: func() any { return new([smallReadBuffer]byte) }}
	packetReadBuffers = sync.Pool{New: func() any { return new([DefaultPacketSize]byte) }}
)

func getReadBuffer(size int) []byte {
	switch size {
	case smallReadBuffer:
		return smallReadBuffers.Get().(*[smallReadBuffer]byte)[:]
	case DefaultPacketSize:
		return packetReadBuffers.Get().(*[DefaultPacketSize]byte)[:]
	}
	return make([]byte, size)
}

func pooled(size int) bool { return size == smallReadBuffer || size == DefaultPacketSize }

func putReadBuffer(b []byte) {
	switch len(b) {
	case smallReadBuffer:
		smallReadBuffers.Put((*[smallReadBuffer]byte)(b))
	case DefaultPacketSize:
		packetReadBuffers.Put((*[DefaultPacketSize]byte)(b))
	}
}
