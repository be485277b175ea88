package ajp

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
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
