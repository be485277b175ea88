package h1

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the Client fields left at zero: those of the net/http.Transport the gateway
// used before.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultExpectContinueTimeout = time.Second
	DefaultClientIdleTimeout     = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 2
	DefaultKeepAlive             = 30 * time.Second
	// MaxResponseHead bounds a backend answer's status line and header fields, CRLFs included.
	MaxResponseHead = 64 << 10
	// maxInterim bounds the 1xx answers before the final one.
	maxInterim = 8
)

// Client is the HTTP/1.1 client side of a reverse proxy: it forwards a request the Server
// took to a backend over a pooled keep-alive connection and relays the answer to a
// ReplyWriter as it arrives, without goroutines of its own. Every byte from the backend is
// checked as strictly as the Server checks a client's: an answer it cannot frame without
// doubt is an error wrapping ErrBadResponse. Set its fields before first use.
type Client struct {
	DialTimeout time.Duration // connecting; DefaultDialTimeout when zero
	// ReplyTimeout bounds the wait for the answer's head once the request was written (net/http's
	// ResponseHeaderTimeout); zero waits forever.
	ReplyTimeout          time.Duration
	ExpectContinueTimeout time.Duration // how long a body waits for 100 Continue; DefaultExpectContinueTimeout when zero
	IdleTimeout           time.Duration // an idle connection is closed after it; DefaultClientIdleTimeout when zero
	MaxIdleConnsPerHost   int           // DefaultMaxIdleConnsPerHost when zero
	MaxIdleConns          int           // idle connections to all backends; no bound when zero

	pools sync.Map // address → *clientPool
	idle  atomic.Int64
}

// ErrBadResponse means a backend answered something that is not a valid HTTP/1.1 answer, or
// that cannot be framed without doubt. Nothing of it reached the client when the error comes
// before ReplyWriter.WriteStatus.
var ErrBadResponse = errors.New("the backend's answer is not valid HTTP/1.1")

// Field is a header field a proxy adds to a forwarded request.
type Field struct{ Name, Value string }

// Outgoing is a request to forward: the client's, as the Server parsed it (method, URL path and
// raw query, header fields, body and its length), which the proxy has cleaned of what must not
// reach the backend, plus the Host and the fields the proxy adds. The request line and
// framing are the Client's: Req.Header's Host, Content-Length and Transfer-Encoding are not sent.
type Outgoing struct {
	Req    *http.Request
	Body   interface{ Read([]byte) (int, error) } // Req's body, or what wraps it; nil when none
	Host   string
	Fields []Field
}

// ReplyWriter receives a backend's answer. Its header fields go into Header() before each
// call of Interim and WriteStatus.
type ReplyWriter interface {
	Header() http.Header
	// Interim takes a 1xx answer other than 100 Continue and 101; the fields are cleared after.
	Interim(status int)
	// WriteStatus takes the final status and the body's length (-1 when not known). An error
	// refuses the answer: the connection is closed and the error returned.
	WriteStatus(status int, length int64) error
	Write(p []byte) (int, error)
	// Flush is called when the backend's data pauses: what arrived must reach the client now.
	Flush() error
}

func (c *Client) dialTimeout() time.Duration { return orDefault(c.DialTimeout, DefaultDialTimeout) }
func (c *Client) expectContinueTimeout() time.Duration {
	return orDefault(c.ExpectContinueTimeout, DefaultExpectContinueTimeout)
}
func (c *Client) idleTimeout() time.Duration {
	return orDefault(c.IdleTimeout, DefaultClientIdleTimeout)
}
func (c *Client) maxIdlePerHost() int {
	return positiveOr(c.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
}

// CloseIdleConnections closes the idle connections to every backend.
func (c *Client) CloseIdleConnections() {
	c.pools.Range(func(k, v any) bool {
		c.pools.Delete(k)
		v.(*clientPool).retire(c)
		return true
	})
}
