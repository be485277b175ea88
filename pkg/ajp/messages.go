package ajp

import "fmt"

// SendHeaders is the SEND_HEADERS message (type 4): the response status and headers, sent once.
type SendHeaders struct {
	Status  int
	Reason  string // Tomcat sends the status number here ("200"); do not show it to people
	Headers []Header
}

// AppendPacket appends the message as one packet (magic "AB") to dst, coding known header names.
// When it would be longer than maxPacket (0 means DefaultPacketSize) it returns dst unchanged and
// an error wrapping ErrHeadersTooLarge.
func (h *SendHeaders) AppendPacket(dst []byte, maxPacket int) ([]byte, error) {
	if maxPacket <= 0 {
		maxPacket = DefaultPacketSize
	}
	if h.Status < 0 || h.Status > 0xFFFF || len(h.Headers) > 0xFFFF {
		return dst, fmt.Errorf("encoding SEND_HEADERS: status %d with %d headers out of range", h.Status, len(h.Headers))
	}
	out, start := beginPacket(dst, MagicFromContainer)
	out = append(out, byte(TypeSendHeaders))
	out = appendU16(out, h.Status)
	out = appendString(out, h.Reason)
	out = appendU16(out, len(h.Headers))
	for _, hd := range h.Headers {
		if code, ok := ResponseHeaderCode(hd.Name); ok {
			out = appendU16(out, int(code))
		} else {
			out = appendString(out, hd.Name)
		}
		out = appendString(out, hd.Value)
	}
	if !endPacket(out, start, maxPacket) {
		return dst, fmt.Errorf("encoding SEND_HEADERS of %d bytes for a packet size of %d: %w", len(out)-start, maxPacket, ErrHeadersTooLarge)
	}
	return out, nil
}

// ParseSendHeaders decodes the payload of a SEND_HEADERS packet (starting with its type byte).
// Errors wrap ErrProtocol.
func ParseSendHeaders(payload []byte) (*SendHeaders, error) {
	h := &SendHeaders{}
	if err := h.parse(payload); err != nil {
		return nil, err
	}
	return h, nil
}

// parse decodes into h, reusing h.Headers' storage.
func (h *SendHeaders) parse(payload []byte) error {
	d := newDecoder(payload)
	if t := MessageType(d.u8("message type")); d.err == nil && t != TypeSendHeaders {
		return protocolErrorf("decoding SEND_HEADERS: got %v", t)
	}
	h.Status = d.u16("status")
	h.Reason = d.str("reason")
	n := d.u16("num_headers")
	h.Headers = h.Headers[:0]
	if d.err == nil && n > cap(h.Headers) {
		// At least 5 bytes a header: a lying count cannot make a large allocation.
		h.Headers = make([]Header, 0, min(n, d.rest()/5))
	}
	for i := 0; i < n && d.err == nil; i++ {
		var hd Header
		if v, ok := d.peekU16(); ok && v>>8 == 0xA0 {
			d.off += 2
			name, known := ResponseHeaderName(uint16(v))
			if !known {
				return protocolErrorf("decoding SEND_HEADERS: unknown response header code 0x%04x", v)
			}
			hd.Name = name
		} else {
			hd.Name = d.str("header name")
		}
		hd.Value = d.str("header value")
		h.Headers = append(h.Headers, hd)
	}
	if d.err != nil {
		return fmt.Errorf("decoding SEND_HEADERS: %w", d.err)
	}
	return nil
}

// MaxBodyChunk returns the largest response body chunk that fits a packet of packetSize bytes:
// packetSize − 8 (header 4, type 1, length 2, the trailing NUL 1), 8184 by default.
func MaxBodyChunk(packetSize int) int { return packetSize - 8 }

// MaxRequestChunk returns the largest request body chunk that fits a packet of packetSize bytes:
// packetSize − 6 (header 4, length 2), 8186 by default.
func MaxRequestChunk(packetSize int) int { return packetSize - 6 }

// AppendBodyChunk appends a SEND_BODY_CHUNK packet carrying data, with the trailing NUL Tomcat
// sends. Empty data is a flush. The caller keeps len(data) within MaxBodyChunk of its packet size.
func AppendBodyChunk(dst, data []byte) []byte {
	n := len(data)
	dst = append(dst, byte(MagicFromContainer>>8), byte(MagicFromContainer&0xFF), byte((n+4)>>8), byte(n+4),
		byte(TypeSendBodyChunk), byte(n>>8), byte(n))
	dst = append(dst, data...)
	return append(dst, 0)
}

// ParseBodyChunk decodes the payload of a SEND_BODY_CHUNK packet and returns its data, a view of
// payload. Bytes after the data (Tomcat's NUL) are ignored, as mod_jk does; empty data is a flush.
func ParseBodyChunk(payload []byte) ([]byte, error) {
	if len(payload) < 3 || MessageType(payload[0]) != TypeSendBodyChunk {
		return nil, protocolErrorf("decoding SEND_BODY_CHUNK: malformed %d-byte payload", len(payload))
	}
	n := int(payload[1])<<8 | int(payload[2])
	if n > len(payload)-3 {
		return nil, protocolErrorf("decoding SEND_BODY_CHUNK: length %d exceeds the %d bytes that follow", n, len(payload)-3)
	}
	return payload[3 : 3+n], nil
}

// AppendEndResponse appends an END_RESPONSE packet. reuse=false tells the web server to close.
func AppendEndResponse(dst []byte, reuse bool) []byte {
	dst = append(dst, byte(MagicFromContainer>>8), byte(MagicFromContainer&0xFF), 0, 2, byte(TypeEndResponse))
	return appendBool(dst, reuse)
}

// ParseEndResponse decodes the payload of an END_RESPONSE packet. Only a reuse byte of exactly 1
// allows reuse: anything else closes, which is the safe reading.
func ParseEndResponse(payload []byte) (reuse bool, err error) {
	if len(payload) < 2 || MessageType(payload[0]) != TypeEndResponse {
		return false, protocolErrorf("decoding END_RESPONSE: malformed %d-byte payload", len(payload))
	}
	return payload[1] == 1, nil
}

// AppendGetBodyChunk appends a GET_BODY_CHUNK packet asking for up to n request body bytes.
func AppendGetBodyChunk(dst []byte, n int) []byte {
	dst = append(dst, byte(MagicFromContainer>>8), byte(MagicFromContainer&0xFF), 0, 3, byte(TypeGetBodyChunk))
	return appendU16(dst, n)
}

// ParseGetBodyChunk decodes the payload of a GET_BODY_CHUNK packet: the number of bytes requested.
func ParseGetBodyChunk(payload []byte) (int, error) {
	if len(payload) < 3 || MessageType(payload[0]) != TypeGetBodyChunk {
		return 0, protocolErrorf("decoding GET_BODY_CHUNK: malformed %d-byte payload", len(payload))
	}
	return int(payload[1])<<8 | int(payload[2]), nil
}

// AppendRequestBody appends a request body data packet (magic 0x1234, no type byte). Empty data
// appends the end-of-body packet exactly as mod_jk sends it: 12 34 00 00. The caller keeps
// len(data) within MaxRequestChunk of its packet size.
func AppendRequestBody(dst, data []byte) []byte {
	if len(data) == 0 {
		return append(dst, byte(MagicToContainer>>8), byte(MagicToContainer&0xFF), 0, 0)
	}
	n := len(data)
	dst = append(dst, byte(MagicToContainer>>8), byte(MagicToContainer&0xFF), byte((n+2)>>8), byte(n+2), byte(n>>8), byte(n))
	return append(dst, data...)
}

// ParseRequestBody decodes the payload of a request body data packet and returns its data, a view
// of payload. An empty payload, or a length of 0, is the end of the body (empty data, nil error).
func ParseRequestBody(payload []byte) ([]byte, error) {
	if len(payload) == 0 {
		return nil, nil
	}
	if len(payload) < 2 {
		return nil, protocolErrorf("decoding request body: 1-byte payload")
	}
	n := int(payload[0])<<8 | int(payload[1])
	if n > len(payload)-2 {
		return nil, protocolErrorf("decoding request body: length %d exceeds the %d bytes that follow", n, len(payload)-2)
	}
	return payload[2 : 2+n], nil
}

// AppendCPing appends a CPING packet: 12 34 00 01 0a.
func AppendCPing(dst []byte) []byte {
	return append(dst, byte(MagicToContainer>>8), byte(MagicToContainer&0xFF), 0, 1, byte(TypeCPing))
}

// AppendCPong appends a CPONG packet: 41 42 00 01 09.
func AppendCPong(dst []byte) []byte {
	return append(dst, byte(MagicFromContainer>>8), byte(MagicFromContainer&0xFF), 0, 1, byte(TypeCPong))
}
