package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Connection states, for Shutdown: an idle connection may be closed at once.
const (
	stateIdle int32 = iota
	stateActive
	stateHijacked
)

const (
	bufferSize   = 4 << 10
	discardLimit = 256 << 10 // the unread body left by a handler that is read off to keep the connection
	lingerTime   = 500 * time.Millisecond
	lingerBytes  = 256 << 10
)

// conn is one client connection, served request after request on its own goroutine.
type conn struct {
	s          *Server
	nc         net.Conn
	br         *bufio.Reader
	bw         *bufio.Writer
	wmu        sync.Mutex // serialises writes: 100 Continue can come from a body reader's goroutine
	ctx        context.Context
	remoteAddr string
	tls        *tls.ConnectionState // of a *tls.Conn, once its handshake is done: every request's TLS
	state      atomic.Int32

	head    []byte
	lines   []int
	pending []byte      // body bytes written before the commit (response.Write)
	header  http.Header // the header map of the responses (responseHeader)

	broken       bool      // a body failed: the connection cannot carry another request
	hijacked     bool      // the handler took the connection
	readDeadline time.Time // set through http.ResponseController; replaces the body timeout
	wdeadline    time.Time // set through http.ResponseController; replaces the write timeout
}

func (s *Server) newConn(nc net.Conn, base context.Context) *conn {
	c := &conn{s: s, nc: nc, remoteAddr: nc.RemoteAddr().String()}
	c.ctx = context.WithValue(base, http.LocalAddrContextKey, nc.LocalAddr())
	if s.ConnContext != nil {
		c.ctx = s.ConnContext(c.ctx, nc)
	}
	return c
}

var (
	readerPool sync.Pool
	writerPool sync.Pool
)

func (c *conn) serve() {
	defer func() {
		if !c.hijacked {
			c.nc.Close()
			c.wmu.Lock()
			c.releaseBuffers(true)
			c.wmu.Unlock()
		}
		c.s.trackConn(c, false)
	}()
	if tc, ok := c.nc.(*tls.Conn); ok && !c.handshake(tc) {
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(c.s.readHeaderTimeout()))
	for first := true; ; first = false {
		if !first {
			if d := c.s.idleTimeout(); d > 0 {
				_ = c.nc.SetReadDeadline(time.Now().Add(d))
			}
		}
		if c.br == nil {
			c.br = getReader(c.nc)
		}
		if _, err := c.br.Peek(1); err != nil {
			return // closed, or silent: no request began
		}
		c.state.Store(stateActive)
		if !first {
			_ = c.nc.SetReadDeadline(time.Now().Add(c.s.readHeaderTimeout()))
		}
		// The request's context ends when its handler returned (serveRequest is done).
		ctx, cancel := context.WithCancel(c.ctx)
		req, fr, err := c.readRequest(ctx)
		if err != nil {
			cancel()
			c.refuse(err)
			return
		}
		if fr.contentLength == 0 {
			c.releaseBuffers(false) // nothing more to read until the next request
		}
		keep := c.serveRequest(req, fr)
		cancel()
		if !keep || c.s.closing.Load() {
			if !c.hijacked {
				c.linger()
			}
			return
		}
		c.state.Store(stateIdle)
	}
}

// handshake completes the TLS handshake of a connection the listener did not (a no-op when it
// did), bounded by ReadHeaderTimeout like the head that follows, and keeps its state for the
// requests. It reports false when the handshake failed: the connection is of no use.
func (c *conn) handshake(tc *tls.Conn) bool {
	_ = tc.SetDeadline(time.Now().Add(c.s.readHeaderTimeout()))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.s.logger().Debug("TLS handshake failed", "remote", c.remoteAddr, "err", err)
		return false
	}
	_ = tc.SetWriteDeadline(time.Time{}) // each write sets its own (connWriter)
	st := tc.ConnectionState()
	c.tls = &st
	return true
}

// readRequest reads the next request, whose context is ctx.
func (c *conn) readRequest(ctx context.Context) (*http.Request, framing, error) {
	if err := c.readHead(); err != nil {
		return nil, framing{}, err
	}
	return c.parseHead(ctx)
}

// serveRequest runs the handler for one request and reports whether the connection may
// carry another.
func (c *conn) serveRequest(req *http.Request, fr framing) bool {
	w := &response{c: c, req: req, header: c.responseHeader(), closeAfter: fr.close, keepAlive10: fr.keepAlive10, contentLength: -1}
	if fr.contentLength != 0 {
		w.body = &body{c: c, chunked: fr.contentLength < 0, remaining: max(fr.contentLength, 0), expectContinue: fr.expectContinue}
		req.Body = w.body
	} else {
		req.Body = http.NoBody
	}
	if !c.runHandler(w, req) || w.hijacked {
		if w.body != nil {
			w.body.Close()
		}
		return false
	}
	w.finish()
	keep := !w.closeAfter && !c.broken && c.writeErr() == nil
	if w.body != nil {
		if keep && !w.body.discard(discardLimit) {
			keep = false
		}
		w.body.Close()
	}
	c.wmu.Lock()
	c.releaseBuffers(false) // the answer is out
	c.wmu.Unlock()
	return keep
}

// The read and write buffers (4 KiB each) are held only while they are used: the reader while a
// request head or body is read, the writer while an answer is written. A connection waiting for
// its backend holds neither, a keep-alive one between requests the reader only.

// writer returns the write buffer, taking one from the pool when the connection has none.
// Caller holds c.wmu.
func (c *conn) writer() *bufio.Writer {
	if c.bw == nil {
		c.bw = getWriter(connWriter{c})
	}
	return c.bw
}

// releaseBuffers gives back the buffers that hold nothing: the writer, when it wrote all it had
// (caller holds c.wmu), and the reader, when the client sent nothing past the request read (or
// when all, at the connection's end).
func (c *conn) releaseBuffers(all bool) {
	if c.bw != nil && (all || c.bw.Buffered() == 0) {
		putWriter(c.bw)
		c.bw = nil
	}
	if c.br != nil && (all || c.br.Buffered() == 0) {
		putReader(c.br)
		c.br = nil
	}
}

// responseHeader returns the empty header map of the next response. The connection keeps one
// map for all its responses (two allocations less per request): a response's header is the
// server's to read until the answer is finished, after its handler returned, so no handler
// may touch it past that, and the next request's handler gets it only then. A map grown by a
// long header is not kept.
func (c *conn) responseHeader() http.Header {
	if h := c.header; h != nil && len(h) <= maxKeptHeaderFields {
		clear(h)
		return h
	}
	c.header = make(http.Header)
	return c.header
}

// maxKeptHeaderFields bounds the header map a connection keeps between its responses.
const maxKeptHeaderFields = 16

// runHandler calls the handler, turning a panic into a closed connection. It reports false
// after a panic. http.ErrAbortHandler is a handler's way to abort; it is not logged.
func (c *conn) runHandler(w *response, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				c.s.logger().Error("handler panicked", "remote", c.remoteAddr, "method", req.Method, "uri", req.RequestURI, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
			ok = false
		}
	}()
	c.s.Handler.ServeHTTP(w, req)
	return true
}

// refuse answers a request the server will not serve and closes the connection.
func (c *conn) refuse(err error) {
	var re *requestError
	if !errors.As(err, &re) {
		return // nothing began, or nobody is there to answer
	}
	c.s.logger().Debug("request refused", "remote", c.remoteAddr, "status", re.status, "reason", re.reason)
	msg := strconv.Itoa(re.status) + " " + http.StatusText(re.status) + ": " + re.reason + "\n"
	c.wmu.Lock()
	bw := c.writer()
	_, _ = bw.WriteString("HTTP/1.1 " + strconv.Itoa(re.status) + " " + http.StatusText(re.status) + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(msg)) + "\r\n\r\n" + msg)
	_ = bw.Flush()
	c.wmu.Unlock()
	c.linger()
}

// linger closes the sending half and reads off what the client still sends for a moment, so
// that closing with unread data does not reset the connection before the client has read
// the answer (Apache's lingering close).
func (c *conn) linger() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, c.nc, lingerBytes)
}

// writeContinue sends the interim 100 Continue a client waits for before its body.
func (c *conn) writeContinue() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	bw := c.writer()
	_, _ = bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return bw.Flush()
}

func (c *conn) writeErr() error {
	if c.bw == nil {
		return nil
	}
	_, err := c.bw.Write(nil)
	return err
}

// connWriter bounds every write to the client by WriteTimeout: a client that stops reading
// cannot hold the connection, and the backend request behind it, for longer.
type connWriter struct{ c *conn }

func (w connWriter) Write(p []byte) (int, error) {
	c := w.c
	switch d := c.s.writeTimeout(); {
	case !c.wdeadline.IsZero():
		_ = c.nc.SetWriteDeadline(c.wdeadline)
	case d > 0:
		_ = c.nc.SetWriteDeadline(time.Now().Add(d))
	}
	return c.nc.Write(p)
}

func getReader(r io.Reader) *bufio.Reader {
	if br, ok := readerPool.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, bufferSize)
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

func getWriter(w io.Writer) *bufio.Writer {
	if bw, ok := writerPool.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, bufferSize)
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writerPool.Put(bw)
}
