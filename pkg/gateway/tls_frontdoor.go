package gateway

import (
	"container/list"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// tlsFrontDoor accepts the TLS listener's connections, runs their handshakes, bounded in number
// (MaxHandshakes, see pendingHandshakes) and in time (HandshakeTimeout), and hands each finished
// one to the server of the protocol it chose in ALPN: "h2" to the standard library's HTTP/2
// server, anything else to pkg/h1, the strict server of the plain listener. So a client that
// stalls or sends garbage costs one of a bounded number of goroutines for a bounded time, and
// the servers only ever see connections whose handshake is done.
type tlsFrontDoor struct {
	l        net.Listener
	conf     *tls.Config
	timeout  time.Duration
	pending  pendingHandshakes
	h1, h2   *connQueue
	log      *slog.Logger
	failures *atomic.Uint64 // handshakes that failed

	ctx    context.Context // ends with close: handshakes in progress stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // handshakes in progress
}

func newTLSFrontDoor(l net.Listener, conf *tls.Config, cfg *TLSConfig, log *slog.Logger, failures *atomic.Uint64) *tlsFrontDoor {
	d := &tlsFrontDoor{
		l: l, conf: conf, timeout: cfg.HandshakeTimeout, pending: pendingHandshakes{max: cfg.MaxHandshakes},
		h1: newConnQueue(l.Addr()), h2: newConnQueue(l.Addr()), log: log, failures: failures,
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

// serve accepts until close.
func (d *tlsFrontDoor) serve() error {
	var backoff time.Duration
	for {
		nc, err := d.l.Accept()
		if err != nil {
			if d.ctx.Err() != nil {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				d.log.Warn("TLS accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accepting on %s: %w", d.l.Addr(), err)
		}
		backoff = 0
		d.wg.Add(1)
		go d.handshake(nc, d.pending.add(nc))
	}
}

// handshake runs one connection's handshake and hands the connection on, or closes it.
func (d *tlsFrontDoor) handshake(nc net.Conn, slot *list.Element) {
	defer d.wg.Done()
	defer d.pending.done(slot)
	deadline := time.Now().Add(d.timeout)
	_ = nc.SetDeadline(deadline)
	ctx, cancel := context.WithDeadline(d.ctx, deadline)
	defer cancel()
	tc := tls.Server(nc, d.conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		d.failures.Add(1)
		d.log.Debug("TLS handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && rh.Conn != nil && looksLikeHTTP(rh.RecordHeader) {
			// Plain HTTP on the TLS port: say so, as net/http does, rather than leave the client guessing.
			_, _ = io.WriteString(rh.Conn, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"+
				"400 bad request: this port speaks TLS; use https://\n")
		}
		nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{}) // the server sets its own
	q := d.h1
	switch tc.ConnectionState().NegotiatedProtocol {
	case "h2":
		q = d.h2
	case acmeALPN: // an ACME server's tls-alpn-01 validation: the handshake was all of it
		tc.Close()
		return
	}
	if !q.push(d.ctx, tc) {
		tc.Close()
	}
}

// close stops accepting, ends the handshakes in progress and waits for them.
func (d *tlsFrontDoor) close() {
	d.cancel()
	d.l.Close()
	d.wg.Wait()
}

// pendingHandshakes bounds the handshakes in progress: when one more would pass max, the one
// that has waited longest is cut. A client's handshake takes a round trip or two, so the oldest
// in progress is the likeliest to be one that stalls on purpose: a flood of them holds at most
// max goroutines and never keeps a newcomer waiting, as a queue before Accept would.
type pendingHandshakes struct {
	mu   sync.Mutex
	max  int
	list list.List // of net.Conn, oldest first
}

// add counts nc in, cutting the oldest handshakes when there are max already.
func (p *pendingHandshakes) add(nc net.Conn) *list.Element {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.list.Len() >= p.max {
		p.list.Remove(p.list.Front()).(net.Conn).Close() // its handshake fails at once
	}
	return p.list.PushBack(nc)
}

// done counts a handshake out (a no-op when add cut it).
func (p *pendingHandshakes) done(e *list.Element) {
	p.mu.Lock()
	p.list.Remove(e)
	p.mu.Unlock()
}

// looksLikeHTTP reports whether the first five bytes of a "TLS record" are a plain HTTP
// request's (the same test as net/http's).
func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO":
		return true
	}
	return false
}

// connQueue is the net.Listener a server takes the front door's finished connections from.
type connQueue struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next connection, or net.ErrClosed once the queue is closed.
func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept return; connections pushed afterwards are refused.
func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

// Addr is the TLS listener's address.
func (q *connQueue) Addr() net.Addr { return q.addr }

// push hands c to the server; false when the server or the front door is closed.
func (q *connQueue) push(ctx context.Context, c net.Conn) bool {
	select {
	case q.ch <- c:
		return true
	case <-q.done:
		return false
	case <-ctx.Done():
		return false
	}
}
