package ajp

import (
	"bufio"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// States of a server connection, for Shutdown: only an idle one may be closed under its feet.
const (
	connIdle int32 = iota
	connActive
	connClosed
)

// serverConn is one connection accepted by a Server; its goroutine runs serve.
type serverConn struct {
	s          *Server
	nc         net.Conn
	pr         *PacketReader
	packetSize int
	state      atomic.Int32

	wmu     sync.Mutex // the response writer and the request body (GET_BODY_CHUNK) share bw
	bw      *bufio.Writer
	scratch []byte
	baseCtx context.Context // of every request on this connection
}

func newServerConn(s *Server, nc net.Conn) *serverConn {
	ps := s.packetSize()
	return &serverConn{
		s: s, nc: nc, packetSize: ps,
		pr:      NewPacketReader(nc, MagicToContainer, ps),
		bw:      bufio.NewWriterSize(nc, ps),
		baseCtx: context.WithValue(context.Background(), http.LocalAddrContextKey, nc.LocalAddr()),
	}
}

func (c *serverConn) closeIfIdle() {
	if c.state.CompareAndSwap(connIdle, connClosed) {
		_ = c.nc.Close()
	}
}

// serve runs the keep-alive loop: CPING, FORWARD_REQUEST and nothing else, until the client closes,
// a request ends with reuse=0, or the server shuts down.
func (c *serverConn) serve() {
	defer func() {
		c.state.Store(connClosed)
		_ = c.nc.Close()
		c.s.trackConn(c, false)
	}()
	for {
		if d := c.s.IdleTimeout; d > 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(d))
		}
		p, err := c.pr.Next()
		if err != nil {
			return
		}
		if !c.state.CompareAndSwap(connIdle, connActive) {
			return // Shutdown closed it while the packet arrived
		}
		if c.s.IdleTimeout > 0 {
			_ = c.nc.SetReadDeadline(time.Time{})
		}
		if len(p) == 0 {
			return
		}
		switch MessageType(p[0]) {
		case TypeCPing:
			c.scratch = AppendCPong(c.scratch[:0])
			if _, err := c.nc.Write(c.scratch); err != nil {
				return
			}
		case TypeForwardRequest:
			if !c.serveRequest(p) {
				return
			}
		default:
			// SHUTDOWN, stray body data, garbage: Tomcat closes without a word, and so do we.
			c.s.logger().Debug("ajp unexpected packet between requests", "remote", c.nc.RemoteAddr(), "type", MessageType(p[0]))
			return
		}
		c.state.Store(connIdle)
		if c.s.inShutdown.Load() {
			return
		}
	}
}

// serveRequest answers one FORWARD_REQUEST and reports whether the connection may carry another.
func (c *serverConn) serveRequest(p []byte) (reuse bool) {
	f, err := ParseForwardRequest(p)
	if err != nil {
		c.s.logger().Warn("ajp malformed request", "remote", c.nc.RemoteAddr(), "err", err)
		c.answerError(http.StatusBadRequest)
		return false
	}
	if c.s.Secret != "" && subtle.ConstantTimeCompare([]byte(f.Secret), []byte(c.s.Secret)) != 1 {
		c.s.logger().Warn("ajp request with a wrong or missing secret", "remote", c.nc.RemoteAddr(), "uri", f.URI)
		c.answerError(http.StatusForbidden)
		return false
	}
	f.Secret = ""
	ctx, cancel := context.WithCancel(withForwardRequest(c.baseCtx, f))
	defer cancel()
	req, err := c.newRequest(ctx, f)
	if err != nil {
		c.s.logger().Warn("ajp unusable request", "remote", c.nc.RemoteAddr(), "err", err)
		c.answerError(http.StatusBadRequest)
		return false
	}
	body, _ := req.Body.(*requestBody)
	w := newResponseWriter(c, req)
	ok := c.runHandler(w, req)
	if body != nil && !body.finish() {
		ok = false
	}
	reuse = ok && !c.s.inShutdown.Load()
	return w.finish(reuse) && reuse
}

// runHandler calls the handler and turns a panic into a 500 (when still possible) and a closed
// connection, as net/http does. It reports whether the handler returned normally.
func (c *serverConn) runHandler(w *responseWriter, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.s.logger().Error("ajp handler panic", "uri", req.RequestURI, "panic", v, "stack", string(debug.Stack()))
			}
			w.abort()
			ok = false
		}
	}()
	h := c.s.Handler
	if h == nil {
		h = http.NotFoundHandler()
	}
	h.ServeHTTP(w, req)
	return true
}

// answerError sends a short error response with reuse=0, as Tomcat does for a bad secret.
func (c *serverConn) answerError(status int) {
	text := http.StatusText(status)
	h := SendHeaders{Status: status, Reason: text, Headers: []Header{
		{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Length", strconv.Itoa(len(text))},
	}}
	b, _ := h.AppendPacket(nil, c.packetSize)
	b = AppendBodyChunk(b, []byte(text))
	b = AppendEndResponse(b, false)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _ = c.bw.Write(b)
	_ = c.bw.Flush()
}

// newRequest builds the *http.Request a handler sees from the decoded packet.
func (c *serverConn) newRequest(ctx context.Context, f *ForwardRequest) (*http.Request, error) {
	requestURI := f.URI
	if f.QueryString != "" {
		requestURI += "?" + f.QueryString
	}
	u, err := url.ParseRequestURI(requestURI)
	if err != nil {
		return nil, fmt.Errorf("parsing request URI %q: %w", requestURI, err)
	}
	proto := f.Protocol
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		proto, major, minor = "HTTP/1.1", 1, 1
	}
	req := &http.Request{
		Method: f.Method, URL: u, RequestURI: requestURI,
		Proto: proto, ProtoMajor: major, ProtoMinor: minor,
		Header:     make(http.Header, len(f.Headers)),
		RemoteAddr: net.JoinHostPort(f.RemoteAddr, "0"),
		Body:       http.NoBody,
	}
	var contentLength []string
	for _, h := range f.Headers {
		key := h.Name
		if code, ok := RequestHeaderCode(h.Name); ok && requestHeaderNames[code-headerCodeBase] == h.Name {
			key = requestHeaderKeys[code-headerCodeBase]
		} else {
			key = textproto.CanonicalMIMEHeaderKey(key)
		}
		switch key {
		case "Host":
			if req.Host == "" {
				req.Host = h.Value
			}
			continue
		case "Content-Length":
			contentLength = append(contentLength, h.Value)
		case "Transfer-Encoding":
			if strings.EqualFold(strings.TrimSpace(h.Value), "chunked") {
				req.TransferEncoding = []string{"chunked"}
				continue
			}
		}
		req.Header[key] = append(req.Header[key], h.Value)
	}
	if req.Host == "" {
		req.Host = joinHostPort(f.ServerName, f.ServerPort, f.IsSSL)
	}
	for _, a := range f.ReqAttributes {
		if a.Name == AttrRemotePort {
			req.RemoteAddr = net.JoinHostPort(f.RemoteAddr, a.Value)
		}
	}
	if f.IsSSL {
		req.TLS = &tls.ConnectionState{HandshakeComplete: true}
	}
	req.ContentLength = -1
	switch {
	case len(contentLength) > 1:
		return nil, fmt.Errorf("%d Content-Length headers", len(contentLength))
	case len(contentLength) == 1:
		n, err := strconv.ParseInt(strings.TrimSpace(contentLength[0]), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("Content-Length %q", contentLength[0])
		}
		req.ContentLength = n
	}
	if req.ContentLength != 0 {
		req.Body = &requestBody{c: c, left: req.ContentLength, firstPending: req.ContentLength > 0}
	}
	return req.WithContext(ctx), nil
}
