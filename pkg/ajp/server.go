package ajp

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

// Server answers AJP13 on the backend side, as Tomcat's AJP connector does, with an http.Handler:
// CPing gets CPong, every FORWARD_REQUEST becomes an *http.Request (its AJP attributes in the
// context, see ForwardRequestOf), the request body is pulled with GET_BODY_CHUNK as the handler
// reads it, and the response streams as SEND_HEADERS and body chunks. Connections are kept alive.
//
// Like Tomcat, the Server notices that the web server went away only when a write fails: the
// request context is cancelled when the handler returns, not when the connection closes.
type Server struct {
	// Handler answers the requests.
	Handler http.Handler
	// Secret, when set, must arrive with every request (attribute 0x0C); otherwise the answer is
	// 403 and the connection is closed.
	Secret string
	// PacketSize is the largest packet, header included (default and minimum 8192, at most 65536).
	PacketSize int
	// IdleTimeout closes a connection idle this long between requests (0: never, as Tomcat's AJP
	// connector by default).
	IdleTimeout time.Duration
	// Logger receives failed requests and handler panics (default slog.Default()).
	Logger *slog.Logger

	inShutdown atomic.Bool
	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[*serverConn]struct{}
	drained    chan struct{} // closed when Shutdown saw the last connection end
}

// Serve answers AJP on every connection l accepts, with h, until l fails.
func Serve(l net.Listener, h http.Handler) error {
	return (&Server{Handler: h}).Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine. It returns
// http.ErrServerClosed after Shutdown or Close, and the accept error otherwise. l is closed.
func (s *Server) Serve(l net.Listener) error {
	if err := s.checkPacketSize(); err != nil {
		return err
	}
	if !s.track(&l, true) {
		_ = l.Close()
		return http.ErrServerClosed
	}
	defer s.track(&l, false)
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: wait a little instead of spinning.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger().Warn("ajp accept failed", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accepting AJP connections: %w", err)
		}
		backoff = 0
		c := newServerConn(s, nc)
		if !s.trackConn(c, true) {
			_ = nc.Close()
			continue
		}
		go c.serve()
	}
}

// Shutdown stops accepting connections, closes idle ones, and waits until every request in
// flight has been answered and its connection closed, or ctx ends (then it returns ctx's error).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.inShutdown.Store(true)
	for l := range s.listeners {
		_ = (*l).Close()
	}
	for c := range s.conns {
		c.closeIfIdle()
	}
	if s.drained == nil {
		s.drained = make(chan struct{})
		if len(s.conns) == 0 {
			close(s.drained)
		}
	}
	drained := s.drained
	s.mu.Unlock()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting and closes every connection at once, requests in flight included.
func (s *Server) Close() error {
	s.mu.Lock()
	s.inShutdown.Store(true)
	for l := range s.listeners {
		_ = (*l).Close()
	}
	for c := range s.conns {
		_ = c.nc.Close()
	}
	s.mu.Unlock()
	return nil
}

func (s *Server) track(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.listeners == nil {
			s.listeners = make(map[*net.Listener]struct{})
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
		_ = (*l).Close()
	}
	return true
}

func (s *Server) trackConn(c *serverConn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = make(map[*serverConn]struct{})
		}
		s.conns[c] = struct{}{}
		return true
	}
	delete(s.conns, c)
	if s.drained != nil && len(s.conns) == 0 {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
	return true
}

func (s *Server) checkPacketSize() error {
	if s.PacketSize != 0 && (s.PacketSize < DefaultPacketSize || s.PacketSize > MaxPacketSize) {
		return fmt.Errorf("configuring the AJP server: PacketSize %d is outside %d..%d", s.PacketSize, DefaultPacketSize, MaxPacketSize)
	}
	return nil
}

func (s *Server) packetSize() int {
	if s.PacketSize == 0 {
		return DefaultPacketSize
	}
	return s.PacketSize
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
