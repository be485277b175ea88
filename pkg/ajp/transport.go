package ajp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Defaults of the Transport settings left at zero.
const (
	DefaultPort                = "8009"
	DefaultDialTimeout         = 5 * time.Second
	DefaultPingTimeout         = 5 * time.Second
	DefaultIdleTimeout         = 60 * time.Second
	DefaultPingAfterIdle       = 5 * time.Second
	DefaultMaxIdleConnsPerHost = 64
)

// Transport is an http.RoundTripper that forwards requests for "ajp://host:port/path?query" URLs to
// an AJP13 backend (Tomcat), like mod_jk does. Its zero value is ready to use; a Transport must not
// be copied after first use. It is safe for concurrent use.
//
// Connections are kept alive and pooled per backend address. A new connection is proved with a
// CPing (mod_jk ping_mode C); a pooled one is checked without blocking for a close by the backend
// before reuse (unless it is taken back within a millisecond for a request that would be resent
// anyway, see IsRetryable), and CPinged when it was idle longer than PingAfterIdle.
//
// What the backend must know about the client travels in the request context (WithRequestInfo).
// Request and response bodies are streamed. Errors wrap ErrRequestTooLarge, ErrClientBody,
// ErrProtocol or ErrReplyTimeout where they apply; IsRetryable tells whether a failed request may
// be sent again, IsUnsent whether that is safe whatever its method, and IsClientError whether the
// client, not the backend, is at fault.
type Transport struct {
	// Secret is sent with every request (attribute 0x0C); it must equal the connector's secret.
	Secret string
	// PacketSize is the largest packet, header included, in both directions: 8192 (the default)
	// up to 65536. It must equal the connector's packetSize.
	PacketSize int
	// DialTimeout bounds connecting (default DefaultDialTimeout; < 0: no limit but the context).
	DialTimeout time.Duration
	// PingTimeout bounds the wait for CPONG (default DefaultPingTimeout; < 0: no limit).
	PingTimeout time.Duration
	// ReplyTimeout bounds the gap between two packets from the backend, the first reply included
	// (mod_jk's reply_timeout). Zero means no limit: a slow page may take as long as it needs, and
	// only the request context ends the wait.
	ReplyTimeout time.Duration
	// IdleTimeout closes pooled connections idle longer than this (default DefaultIdleTimeout;
	// < 0: never). Keep it below the connector's keepAliveTimeout.
	IdleTimeout time.Duration
	// PingAfterIdle CPings a pooled connection idle longer than this before reusing it (default
	// DefaultPingAfterIdle; < 0: never).
	PingAfterIdle time.Duration
	// PingEveryRequest CPings before every request, like mod_jk ping_mode P. It costs a round trip
	// per request, so it is off by default.
	PingEveryRequest bool
	// MaxIdleConnsPerHost bounds the idle connections kept per backend (default 64).
	MaxIdleConnsPerHost int
	// DialContext, when set, opens connections instead of a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	pools sync.Map // backend address → *hostPool
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip sends req to the backend named by its ajp:// URL and returns the response as soon as
// its headers arrive; the body streams from the connection. It always closes req.Body.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	addr, err := backendAddr(req.URL)
	if err == nil {
		err = t.checkPacketSize()
	}
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeRequestBody(req)
		return nil, fmt.Errorf("forwarding to AJP backend %s: %w", addr, context.Cause(ctx))
	}
	bodyLen := requestBodyLen(req)
	buf, err := t.encode(req, requestInfo(ctx), addr, bodyLen)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	var resp *http.Response
	err = t.onConn(ctx, addr, req.Method, bodyLen, func(c *clientConn) (bool, error) {
		ex := &exchange{}
		ex.init(t, c, req, ctx, addr, buf, bodyLen)
		r, err := ex.start()
		resp = r
		return err == nil, err
	})
	if err != nil {
		putBuffer(buf)
		closeRequestBody(req)
		return nil, err
	}
	return resp, nil
}

// onConn runs an exchange (run) on a connection to addr. run reports whether the exchange got as
// far as the reply's headers. When a pooled connection failed the request before that, in a way
// that cannot run it twice (mayResend), it runs once more on a new connection: a pooled connection
// the backend closed while we picked it cannot be told from a live one until it fails, as net/http
// knows.
func (t *Transport) onConn(ctx context.Context, addr, method string, bodyLen int64, run func(*clientConn) (started bool, err error)) error {
	for attempt := 0; ; attempt++ {
		c, reused, err := t.getConn(ctx, addr, connUse{fresh: attempt > 0, resendable: resendable(method, bodyLen)})
		if err != nil {
			return err
		}
		started, err := run(c)
		if err == nil || started || attempt > 0 || !reused || !mayResend(ctx, method, bodyLen, err) {
			return err
		}
	}
}

// encode describes req (with info, if not nil) as FORWARD_REQUEST in a pooled write buffer.
func (t *Transport) encode(req *http.Request, info *RequestInfo, addr string, bodyLen int64) (*[]byte, error) {
	buf := getBuffer(bodyLen != 0)
	f := forwardPool.Get().(*ForwardRequest)
	f.fill(req, info, t.Secret, bodyLen)
	var err error
	*buf, err = f.AppendPacket((*buf)[:0], t.packetSizeOrDefault())
	f.release()
	if err != nil {
		putBuffer(buf)
		return nil, fmt.Errorf("forwarding %s %s to AJP backend %s: %w", req.Method, req.URL.Path, addr, err)
	}
	return buf, nil
}

// Ping checks the backend at addr ("host:port") with a CPing/CPong on a pooled connection (or a
// new one), bounded by PingTimeout and ctx. A CPong proves the AJP connector answers, not that the
// web application is deployed.
func (t *Transport) Ping(ctx context.Context, addr string) error {
	if err := t.checkPacketSize(); err != nil {
		return err
	}
	addr = withDefaultPort(addr)
	c, _, err := t.getConn(ctx, addr, connUse{ping: true})
	if err != nil {
		return err
	}
	t.putConn(c)
	return nil
}

// CloseIdleConnections closes every pooled connection that no request uses. Connections in use
// are closed when their exchange ends instead of going back to the pool.
func (t *Transport) CloseIdleConnections() {
	t.pools.Range(func(addr, p any) bool {
		t.pools.Delete(addr)
		p.(*hostPool).retire()
		return true
	})
}

func (t *Transport) putConn(c *clientConn) {
	c.clearDeadline()
	c.pr.detach() // an idle connection holds no read buffer
	c.pool.put(c, t.maxIdle(), t.idleTimeout())
}

// backendAddr returns host:port of an ajp:// URL, with the default port 8009.
func backendAddr(u *url.URL) (string, error) {
	if u == nil || u.Scheme != "ajp" || u.Host == "" {
		return "", errors.New("forwarding over AJP: the URL must look like ajp://host:port/path")
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), DefaultPort), nil
	}
	return u.Host, nil
}

// withDefaultPort adds port 8009 to an address without one.
func withDefaultPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return net.JoinHostPort(addr, DefaultPort)
	}
	return addr
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

func (t *Transport) checkPacketSize() error {
	if t.PacketSize != 0 && (t.PacketSize < DefaultPacketSize || t.PacketSize > MaxPacketSize) {
		return fmt.Errorf("configuring the AJP transport: PacketSize %d is outside %d..%d", t.PacketSize, DefaultPacketSize, MaxPacketSize)
	}
	return nil
}

func (t *Transport) packetSizeOrDefault() int {
	if t.PacketSize == 0 {
		return DefaultPacketSize
	}
	return t.PacketSize
}

func (t *Transport) dialTimeout() time.Duration { return orDefault(t.DialTimeout, DefaultDialTimeout) }
func (t *Transport) idleTimeout() time.Duration { return orDefault(t.IdleTimeout, DefaultIdleTimeout) }
func (t *Transport) pingAfterIdle() time.Duration {
	return orDefault(t.PingAfterIdle, DefaultPingAfterIdle)
}

func (t *Transport) maxIdle() int {
	if t.MaxIdleConnsPerHost <= 0 {
		return DefaultMaxIdleConnsPerHost
	}
	return t.MaxIdleConnsPerHost
}

// pingTimeout is PingTimeout, shortened to the context's deadline.
func (t *Transport) pingTimeout(ctx context.Context) time.Duration {
	d := orDefault(t.PingTimeout, DefaultPingTimeout)
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); d <= 0 || left < d {
			d = max(left, time.Nanosecond)
		}
	}
	return d
}

// orDefault maps 0 to the default and a negative value to "no limit" (0).
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Write buffers: one per exchange, holding FORWARD_REQUEST and then each request body packet,
// kept until the exchange ends (a request may be resent). A request without a body takes a small
// one, which grows if its FORWARD_REQUEST does not fit: it waits as long as its reply, and a
// thousand requests waiting for Tomcat should not hold a packet-sized buffer each.
var (
	smallBuffers  = sync.Pool{New: func() any { b := make([]byte, 0, smallBufferSize); return &b }}
	packetBuffers = sync.Pool{New: func() any { b := make([]byte, 0, DefaultPacketSize); return &b }}
)

const smallBufferSize = 1 << 10

// getBuffer returns a write buffer for a request with a body, or without.
func getBuffer(body bool) *[]byte {
	if body {
		return packetBuffers.Get().(*[]byte)
	}
	return smallBuffers.Get().(*[]byte)
}

func putBuffer(b *[]byte) {
	*b = (*b)[:0]
	switch c := cap(*b); {
	case c < DefaultPacketSize:
		smallBuffers.Put(b)
	case c <= MaxPacketSize+HeaderSize:
		packetBuffers.Put(b)
	}
}
