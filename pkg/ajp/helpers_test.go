package ajp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
)

// backend is an ajp.Server on a random loopback port.
type backend struct {
	addr string
	srv  *ajp.Server
	// closed receives once per server-side connection close, to wait for it without sleeping.
	closed chan struct{}
}

func startBackend(t testing.TB, h http.Handler, configure ...func(*ajp.Server)) *backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil)) // expected warnings (bad secret) stay out of the output
	b := &backend{addr: l.Addr().String(), srv: &ajp.Server{Handler: h, Logger: quiet}, closed: make(chan struct{}, 1024)}
	for _, c := range configure {
		c(b.srv)
	}
	done := make(chan error, 1)
	go func() { done <- b.srv.Serve(&notifyListener{Listener: l, closed: b.closed}) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutting the backend down: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return b
}

func (b *backend) url(path string) string { return "ajp://" + b.addr + path }

// waitClosed waits for n server-side connection closes, failing the test after a generous bound.
func (b *backend) waitClosed(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for range n {
		select {
		case <-b.closed:
		case <-deadline:
			t.Fatal("the backend did not close its connection")
		}
	}
}

type notifyListener struct {
	net.Listener
	closed chan struct{}
}

func (l *notifyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &notifyConn{Conn: c, closed: l.closed}, nil
}

type notifyConn struct {
	net.Conn
	once   atomic.Bool
	closed chan struct{}
}

func (c *notifyConn) Close() error {
	err := c.Conn.Close()
	if c.once.CompareAndSwap(false, true) {
		c.closed <- struct{}{}
	}
	return err
}

// countingTransport returns a Transport that counts its dials.
func countingTransport(dials *atomic.Int32) *ajp.Transport {
	return &ajp.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// failingBody is a request body that yields the bytes of r and then fails with err instead of
// ending: a client that went away, or sent less than its Content-Length.
type failingBody struct {
	r   io.Reader
	err error
}

func (b *failingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = b.err
	}
	return n, err
}

func (b *failingBody) Close() error { return nil }
