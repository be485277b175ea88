package h1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the Server fields left at zero.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultBodyReadTimeout   = 20 * time.Second // mod_reqtimeout's body=20
	DefaultWriteTimeout      = 60 * time.Second // Apache's Timeout
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxRequestLine    = 8190 // Apache's LimitRequestLine
	DefaultMaxHeaderFields   = 100  // Apache's LimitRequestFields
	DefaultHoldBodyLimit     = 1 << 20
)

// Server serves HTTP/1.1 on listeners. Set its fields before Serve; it must not be copied
// after first use.
type Server struct {
	Handler http.Handler

	ReadHeaderTimeout time.Duration // the whole request head, from its first byte or the connection's start
	IdleTimeout       time.Duration // a keep-alive connection's wait for its next request
	BodyReadTimeout   time.Duration // each read of a request body; < 0: no limit
	WriteTimeout      time.Duration // each write of a response; < 0: no limit
	MaxHeaderBytes    int           // request line and header fields together
	MaxRequestLine    int           // the request line alone
	MaxHeaderFields   int           // number of header fields
	// HoldBodyLimit is the most request body bytes a 2xx answer waits for (see the package
	// doc); a longer rest is not waited for, and the connection closes after the answer.
	HoldBodyLimit int64
	// BaseContext, when set, gives the context of every request on listener l.
	BaseContext func(l net.Listener) context.Context
	// ConnContext, when set, derives the context of every request on connection nc from
	// ctx, as net/http's Server.ConnContext does: what a listener knows about a connection
	// (its TLS session, say) reaches the handler.
	ConnContext func(ctx context.Context, nc net.Conn) context.Context
	Logger      *slog.Logger // nil logs nothing

	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	connsDone chan struct{} // closed when conns empties during shutdown
}

// Serve accepts connections on l and serves each on its own goroutine until Shutdown or
// Close; then it returns http.ErrServerClosed. l is closed on return.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		return errors.New("h1: Server.Handler is nil")
	}
	if !s.track(&l, true) {
		return http.ErrServerClosed
	}
	defer s.track(&l, false)
	defer l.Close()
	base := context.Background()
	if s.BaseContext != nil {
		base = s.BaseContext(l)
	}
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				// Out of file descriptors or a transient failure: wait and try again, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger().Warn("accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accepting on %s: %w", l.Addr(), err)
		}
		backoff = 0
		c := s.newConn(nc, base)
		if !s.trackConn(c, true) {
			nc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops accepting, closes idle connections, lets requests in progress finish and
// then closes their connections. It returns when every connection is closed, or ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for l := range s.listeners {
		(*l).Close()
	}
	if s.connsDone == nil {
		s.connsDone = make(chan struct{})
		if len(s.conns) == 0 {
			close(s.connsDone)
		}
	}
	done := s.connsDone
	s.mu.Unlock()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		(*l).Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	return nil
}

func (s *Server) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.Load() == stateIdle {
			c.nc.Close()
		}
	}
}

func (s *Server) track(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing.Load() {
			return false
		}
		if s.listeners == nil {
			s.listeners = make(map[*net.Listener]struct{})
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) trackConn(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = make(map[*conn]struct{})
		}
		s.conns[c] = struct{}{}
		return true
	}
	delete(s.conns, c)
	if len(s.conns) == 0 && s.connsDone != nil {
		select {
		case <-s.connsDone:
		default:
			close(s.connsDone)
		}
	}
	return true
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return discardLogger
	}
	return s.Logger
}

var discardLogger = slog.New(slog.DiscardHandler)

func (s *Server) readHeaderTimeout() time.Duration {
	return orDefault(s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
}
func (s *Server) idleTimeout() time.Duration { return orDefault(s.IdleTimeout, DefaultIdleTimeout) }
func (s *Server) bodyReadTimeout() time.Duration {
	return orDefault(s.BodyReadTimeout, DefaultBodyReadTimeout)
}
func (s *Server) writeTimeout() time.Duration { return orDefault(s.WriteTimeout, DefaultWriteTimeout) }

func (s *Server) maxHeaderBytes() int  { return positiveOr(s.MaxHeaderBytes, DefaultMaxHeaderBytes) }
func (s *Server) maxRequestLine() int  { return positiveOr(s.MaxRequestLine, DefaultMaxRequestLine) }
func (s *Server) maxHeaderFields() int { return positiveOr(s.MaxHeaderFields, DefaultMaxHeaderFields) }
func (s *Server) holdBodyLimit() int64 { return positiveOr(s.HoldBodyLimit, DefaultHoldBodyLimit) }

// positiveOr is v, or def when v is not positive.
func positiveOr[T int | int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
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
