package ajp

import (
	"fmt"
)

// Header is one header or request attribute: a name and its value. Order and repetition are kept.
type Header struct {
	Name  string
	Value string
}

// ForwardRequest is the FORWARD_REQUEST message (type 2): one HTTP request, all of it in one packet.
// Fields map one to one to the wire; AppendPacket encodes exactly what it holds, in mod_jk's order.
type ForwardRequest struct {
	Method     string // the HTTP method; one outside the method table travels as StoredMethod
	Protocol   string // "HTTP/1.1"
	URI        string // the %-encoded path, like an HTTP request-target without the query
	RemoteAddr string // the client's IP address
	RemoteHost string // the client's host name; "" travels as the null string
	ServerName string // the host name the client asked for
	ServerPort int    // the port the client connected to
	IsSSL      bool   // the client connection was TLS: Tomcat reports scheme https
	Headers    []Header

	// The optional attributes; each is sent only when non-empty (SSLKeySize: when ≥ 0).
	RemoteUser    string
	AuthType      string
	QueryString   string // raw, without '?'
	EmptyQuery    bool   // the target ended in a bare '?': query_string is sent, empty
	Route         string // the chosen member's jvmRoute (Tomcat ignores it)
	SSLCert       string
	SSLCipher     string
	SSLSession    string
	SSLKeySize    int // bits; < 0 means absent (ParseForwardRequest sets -1 when it is)
	Secret        string
	ReqAttributes []Header // req_attribute (0x0A) pairs: send only names Tomcat allows
}

// AppendPacket appends the request as one complete packet (magic 0x1234) to dst. When the packet
// would be longer than maxPacket (0 means DefaultPacketSize), it returns dst unchanged and an error
// wrapping ErrURITooLong or ErrHeadersTooLarge (both ErrRequestTooLarge).
func (f *ForwardRequest) AppendPacket(dst []byte, maxPacket int) ([]byte, error) {
	if maxPacket <= 0 {
		maxPacket = DefaultPacketSize
	}
	if f.ServerPort < 0 || f.ServerPort > 0xFFFF || f.SSLKeySize > 0xFFFF {
		return dst, fmt.Errorf("encoding AJP request: server port %d or key size %d out of range", f.ServerPort, f.SSLKeySize)
	}
	if len(f.Headers) > 0xFFFF {
		return dst, fmt.Errorf("encoding AJP request: %d headers: %w", len(f.Headers), ErrHeadersTooLarge)
	}
	orig := len(dst)
	out, start := beginPacket(dst, MagicToContainer)
	out = append(out, byte(TypeForwardRequest))
	method, known := MethodCode(f.Method)
	if !known {
		method = StoredMethod
	}
	out = append(out, method)
	out = appendString(out, f.Protocol)
	out = appendString(out, f.URI)
	out = appendString(out, f.RemoteAddr)
	out = appendNullable(out, f.RemoteHost)
	out = appendString(out, f.ServerName)
	out = appendU16(out, f.ServerPort)
	out = appendBool(out, f.IsSSL)
	out = appendU16(out, len(f.Headers))
	headersStart := len(out)
	for _, h := range f.Headers {
		if code, ok := RequestHeaderCode(h.Name); ok {
			out = appendU16(out, int(code))
		} else if len(h.Name) >= 0xA000 {
			// A length this large would read as a header code.
			return dst[:orig], fmt.Errorf("encoding AJP request: header name of %d bytes: %w", len(h.Name), ErrHeadersTooLarge)
		} else {
			out = appendString(out, h.Name)
		}
		out = appendString(out, h.Value)
	}
	headerBytes := len(out) - headersStart
	out = appendAttr(out, attrSecret, f.Secret)
	out = appendAttr(out, attrRemoteUser, f.RemoteUser)
	out = appendAttr(out, attrAuthType, f.AuthType)
	if f.QueryString != "" || f.EmptyQuery {
		out = appendString(append(out, attrQueryString), f.QueryString)
	}
	out = appendAttr(out, attrRoute, f.Route)
	out = appendAttr(out, attrSSLCert, f.SSLCert)
	out = appendAttr(out, attrSSLCipher, f.SSLCipher)
	out = appendAttr(out, attrSSLSession, f.SSLSession)
	if f.SSLKeySize >= 0 {
		out = appendU16(append(out, attrSSLKeySize), f.SSLKeySize)
	}
	if !known {
		out = appendString(append(out, attrStoredMethod), f.Method)
	}
	for _, a := range f.ReqAttributes {
		out = appendString(append(out, attrReqAttribute), a.Name)
		out = appendString(out, a.Value)
	}
	out = append(out, attrAreDone)
	if !endPacket(out, start, maxPacket) {
		size := len(out) - start
		kind := ErrHeadersTooLarge
		if size-headerBytes > maxPacket {
			kind = ErrURITooLong
		}
		return dst[:orig], fmt.Errorf("encoding AJP request of %d bytes for a packet size of %d: %w", size, maxPacket, kind)
	}
	return out, nil
}

func appendAttr(dst []byte, code byte, value string) []byte {
	if value == "" {
		return dst
	}
	return appendString(append(dst, code), value)
}

// ParseForwardRequest decodes the payload of a FORWARD_REQUEST packet (starting with its type
// byte). Header names that travel as codes come back in Tomcat's lower case ("content-length").
// Errors wrap ErrProtocol.
func ParseForwardRequest(payload []byte) (*ForwardRequest, error) {
	d := newDecoder(payload)
	if t := MessageType(d.u8("message type")); d.err == nil && t != TypeForwardRequest {
		return nil, protocolErrorf("decoding FORWARD_REQUEST: got %v", t)
	}
	f := &ForwardRequest{SSLKeySize: -1}
	code := d.u8("method")
	f.Protocol = d.str("protocol")
	f.URI = d.str("req_uri")
	f.RemoteAddr = d.str("remote_addr")
	f.RemoteHost = d.str("remote_host")
	f.ServerName = d.str("server_name")
	f.ServerPort = d.u16("server_port")
	f.IsSSL = d.u8("is_ssl") != 0
	n := d.u16("num_headers")
	if d.err == nil && n > 0 {
		// Each header takes at least 5 bytes, so a lying count cannot make a large allocation.
		f.Headers = make([]Header, 0, min(n, d.rest()/5))
	}
	for i := 0; i < n && d.err == nil; i++ {
		var h Header
		if v, ok := d.peekU16(); ok && v>>8 == 0xA0 {
			d.off += 2
			name, known := RequestHeaderName(uint16(v))
			if !known {
				return nil, protocolErrorf("decoding FORWARD_REQUEST: unknown request header code 0x%04x", v)
			}
			h.Name = name
		} else {
			h.Name = d.str("header name")
		}
		h.Value = d.str("header value")
		f.Headers = append(f.Headers, h)
	}
	if err := f.parseAttributes(&d); err != nil {
		return nil, err
	}
	if d.err != nil {
		return nil, fmt.Errorf("decoding FORWARD_REQUEST: %w", d.err)
	}
	if code == StoredMethod {
		if f.Method == "" {
			return nil, protocolErrorf("decoding FORWARD_REQUEST: stored method without a stored_method attribute")
		}
	} else {
		name, ok := MethodName(code)
		if !ok {
			return nil, protocolErrorf("decoding FORWARD_REQUEST: unknown method code %d", code)
		}
		f.Method = name
	}
	return f, nil
}

// parseAttributes reads the attribute list up to are_done. A code it does not know is an error:
// its length is unknown, so nothing after it can be read.
func (f *ForwardRequest) parseAttributes(d *decoder) error {
	for d.err == nil {
		code := d.u8("attribute code")
		switch code {
		case attrAreDone:
			return nil
		case attrContext, attrServletPath:
			d.str("attribute")
		case attrRemoteUser:
			f.RemoteUser = d.str("remote_user")
		case attrAuthType:
			f.AuthType = d.str("auth_type")
		case attrQueryString:
			f.QueryString = d.str("query_string")
			f.EmptyQuery = f.QueryString == ""
		case attrRoute:
			f.Route = d.str("route")
		case attrSSLCert:
			f.SSLCert = d.str("ssl_cert")
		case attrSSLCipher:
			f.SSLCipher = d.str("ssl_cipher")
		case attrSSLSession:
			f.SSLSession = d.str("ssl_session")
		case attrSSLKeySize:
			f.SSLKeySize = d.u16("ssl_key_size")
		case attrSecret:
			f.Secret = d.str("secret")
		case attrStoredMethod:
			f.Method = d.str("stored_method")
		case attrReqAttribute:
			name := d.str("req_attribute name")
			f.ReqAttributes = append(f.ReqAttributes, Header{Name: name, Value: d.str("req_attribute value")})
		default:
			if d.err == nil {
				return protocolErrorf("decoding FORWARD_REQUEST: unknown attribute code 0x%02x at byte %d", code, d.off-1)
			}
		}
	}
	return nil
}
