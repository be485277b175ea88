package ajp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
)

// Magic numbers open every packet and say which way it travels.
const (
	// MagicToContainer opens packets from the web server (our Transport) to the container (Tomcat).
	MagicToContainer uint16 = 0x1234
	// MagicFromContainer ("AB") opens packets from the container to the web server.
	MagicFromContainer uint16 = 0x4142
)

// Packet sizes, each including the 4-byte packet header.
const (
	// DefaultPacketSize is the packet size of Tomcat (packetSize) and mod_jk (max_packet_size).
	DefaultPacketSize = 8192
	// MaxPacketSize is the largest packet size Tomcat and mod_jk accept.
	MaxPacketSize = 65536
	// HeaderSize is the size of the packet header: magic and payload length.
	HeaderSize = 4
)

// MessageType is the first payload byte of every packet except request-body data packets.
type MessageType byte

// Message types, with their direction.
const (
	TypeForwardRequest MessageType = 2  // web server → container: a request (ForwardRequest)
	TypeSendBodyChunk  MessageType = 3  // container → web server: response body bytes
	TypeSendHeaders    MessageType = 4  // container → web server: status and headers (SendHeaders)
	TypeEndResponse    MessageType = 5  // container → web server: the exchange is over, with the reuse flag
	TypeGetBodyChunk   MessageType = 6  // container → web server: send me up to n more request body bytes
	TypeShutdown       MessageType = 7  // web server → container: obsolete; Tomcat closes the connection
	TypePing           MessageType = 8  // web server → container: obsolete AJP14 login; never sent
	TypeCPong          MessageType = 9  // container → web server: the answer to CPing
	TypeCPing          MessageType = 10 // web server → container: are you alive? (idle connections only)
)

// String returns the protocol's name for the type, as in logs and error messages.
func (t MessageType) String() string {
	switch t {
	case TypeForwardRequest:
		return "FORWARD_REQUEST"
	case TypeSendBodyChunk:
		return "SEND_BODY_CHUNK"
	case TypeSendHeaders:
		return "SEND_HEADERS"
	case TypeEndResponse:
		return "END_RESPONSE"
	case TypeGetBodyChunk:
		return "GET_BODY_CHUNK"
	case TypeShutdown:
		return "SHUTDOWN"
	case TypePing:
		return "PING"
	case TypeCPong:
		return "CPONG"
	case TypeCPing:
		return "CPING"
	}
	return "type " + strconv.Itoa(int(t))
}

// AppendPacket appends one packet (header and payload) to dst. The payload must not be longer than
// 65535 bytes; callers keep it within their packet size.
func AppendPacket(dst []byte, magic uint16, payload []byte) []byte {
	dst = append(dst, byte(magic>>8), byte(magic), byte(len(payload)>>8), byte(len(payload)))
	return append(dst, payload...)
}

// beginPacket appends a packet header whose length endPacket fills in later, and returns the
// offset of the packet in dst.
func beginPacket(dst []byte, magic uint16) ([]byte, int) {
	return append(dst, byte(magic>>8), byte(magic), 0, 0), len(dst)
}

// endPacket writes the payload length of the packet that starts at start. It reports false, and
// leaves the length unset, when the packet is longer than maxPacket.
func endPacket(dst []byte, start, maxPacket int) bool {
	n := len(dst) - start - HeaderSize
	if n+HeaderSize > maxPacket || n > 0xFFFF {
		return false
	}
	dst[start+2], dst[start+3] = byte(n>>8), byte(n)
	return true
}

// PacketReader reads packets of one direction from a stream, one at a time. It never allocates
// per packet: a payload is a view of its read buffer, valid until the next call to Next.
type PacketReader struct {
	br        *bufio.Reader
	magic     uint16
	maxPacket int
}

// NewPacketReader returns a reader of packets that start with magic and are at most maxPacket bytes
// long, header included (0 means DefaultPacketSize). Its buffer holds one whole packet.
func NewPacketReader(r io.Reader, magic uint16, maxPacket int) *PacketReader {
	if maxPacket <= 0 {
		maxPacket = DefaultPacketSize
	}
	return &PacketReader{br: bufio.NewReaderSize(r, maxPacket), magic: magic, maxPacket: maxPacket}
}

// Reset makes p read from r, dropping anything buffered.
func (p *PacketReader) Reset(r io.Reader) { p.br.Reset(r) }

// Buffered returns how many bytes were read from the stream but not yet returned as packets.
func (p *PacketReader) Buffered() int {
	if p.br == nil {
		return 0
	}
	return p.br.Buffered()
}

// detach gives back the read buffer when nothing is buffered, so that an idle connection does
// not hold one; attach must come before the next read.
func (p *PacketReader) detach() {
	if p.br == nil || p.br.Buffered() > 0 {
		return
	}
	if p.br.Size() == DefaultPacketSize {
		p.br.Reset(nil)
		readBuffers.Put(p.br)
	}
	p.br = nil
}

// attach takes a read buffer again after detach, to read from r.
func (p *PacketReader) attach(r io.Reader) {
	if p.br != nil {
		return
	}
	if p.maxPacket == DefaultPacketSize {
		if br, ok := readBuffers.Get().(*bufio.Reader); ok {
			br.Reset(r)
			p.br = br
			return
		}
	}
	p.br = bufio.NewReaderSize(r, p.maxPacket)
}

// readBuffers recycles the read buffers (of the default packet size) that idle connections let go.
var readBuffers sync.Pool

// Next reads the next packet and returns its payload (for every type but request-body data, the
// first byte is the MessageType). It returns io.EOF when the stream ends cleanly between packets,
// an error wrapping ErrProtocol for a wrong magic, an oversize length or a packet cut short by the
// end of the stream, and any other read error (a deadline, a reset) as it is.
func (p *PacketReader) Next() ([]byte, error) {
	hdr, err := p.br.Peek(HeaderSize)
	if err != nil {
		return nil, truncated(err, len(hdr), HeaderSize)
	}
	if magic := uint16(hdr[0])<<8 | uint16(hdr[1]); magic != p.magic {
		return nil, protocolErrorf("wrong magic 0x%04x, want 0x%04x", magic, p.magic)
	}
	n := int(hdr[2])<<8 | int(hdr[3])
	if n+HeaderSize > p.maxPacket {
		return nil, protocolErrorf("packet of %d bytes exceeds the packet size %d", n+HeaderSize, p.maxPacket)
	}
	pkt, err := p.br.Peek(HeaderSize + n)
	if err != nil {
		return nil, truncated(err, len(pkt), HeaderSize+n)
	}
	// Discard cannot fail: the bytes are buffered. The payload stays valid until the buffer is
	// refilled by the next Peek.
	_, _ = p.br.Discard(HeaderSize + n)
	return pkt[HeaderSize:], nil
}

// truncated classifies a short read: a clean end before any byte is io.EOF, an end inside a
// packet is a protocol error, and anything else (deadline, reset) is passed on unchanged.
func truncated(err error, got, want int) error {
	if errors.Is(err, io.EOF) {
		if got == 0 {
			return io.EOF
		}
		return protocolErrorf("packet truncated after %d of %d bytes: %w", got, want, io.ErrUnexpectedEOF)
	}
	return err
}

// isTimeout reports whether err is a read or write deadline expiring.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// peekBuffered returns the next n bytes if they are already buffered, without reading the stream.
func (p *PacketReader) peekBuffered(n int) []byte {
	if p.br.Buffered() < n {
		return nil
	}
	b, _ := p.br.Peek(n)
	return b
}

// packetBuffered reports whether a whole packet is buffered, so that Next will not block.
func (p *PacketReader) packetBuffered() bool {
	b := p.peekBuffered(HeaderSize)
	return b != nil && p.peekBuffered(HeaderSize+(int(b[2])<<8|int(b[3]))) != nil
}
