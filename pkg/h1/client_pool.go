package h1

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rollcd/roll/pkg/internal/idlecheck"
)

// clientConn is one keep-alive connection to a backend, owned by its pool while idle or by
// one exchange.
type clientConn struct {
	nc        net.Conn
	br        *bufio.Reader // nil while idle with nothing buffered: the buffer goes back to readerPool
	pool      *clientPool
	peeker    idlecheck.Peeker
	idleSince time.Time
	idleTimer *time.Timer
	head      []byte // the answer's head as read, reused
	w         plainWriter
}

// clientPool holds the idle connections to one backend address, most recently used last.
type clientPool struct {
	mu      sync.Mutex
	idle    []*clientConn
	retired bool
}

func (c *Client) pool(addr string) *clientPool {
	if p, ok := c.pools.Load(addr); ok {
		return p.(*clientPool)
	}
	p, _ := c.pools.LoadOrStore(addr, &clientPool{})
	return p.(*clientPool)
}

// quickReuse is how long a connection may have been idle and skip the liveness check for a
// request that can be sent again should it turn out dead (see pkg/ajp).
const quickReuse = time.Millisecond

// getConn returns an idle connection to addr that passes the checks, else a new one; reused
// tells which. resendable skips the check of a connection idle only briefly.
func (c *Client) getConn(ctx context.Context, addr string, fresh, resendable bool) (cc *clientConn, reused bool, err error) {
	p := c.pool(addr)
	for !fresh {
		cc = p.take(c)
		if cc == nil {
			break
		}
		idle := time.Since(cc.idleSince)
		if idle > c.idleTimeout() || !(resendable && idle < quickReuse) && !cc.peeker.Alive(cc.nc) {
			cc.close()
			continue
		}
		if cc.br == nil {
			cc.br = getReader(cc.nc)
		}
		return cc, true, nil
	}
	d := net.Dialer{Timeout: c.dialTimeout(), KeepAlive: DefaultKeepAlive}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, fmt.Errorf("connecting to HTTP backend %s: %w", addr, err)
	}
	return &clientConn{nc: nc, br: getReader(nc), pool: p}, false, nil
}

func (p *clientPool) take(c *Client) *clientConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	cc := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	c.idle.Add(-1)
	return cc
}

// put makes cc idle; when the pool is full, the oldest idle connection is closed instead.
func (p *clientPool) put(c *Client, cc *clientConn) {
	if cc.br.Buffered() == 0 {
		putReader(cc.br)
		cc.br = nil
	}
	var evicted *clientConn
	p.mu.Lock()
	if p.retired || (c.MaxIdleConns > 0 && c.idle.Load() >= int64(c.MaxIdleConns)) {
		p.mu.Unlock()
		cc.close()
		return
	}
	if len(p.idle) >= c.maxIdlePerHost() {
		evicted = p.idle[0]
		copy(p.idle, p.idle[1:])
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
		c.idle.Add(-1)
	}
	cc.idleSince = time.Now()
	p.idle = append(p.idle, cc)
	c.idle.Add(1)
	timeout := c.idleTimeout()
	if cc.idleTimer == nil {
		cc.idleTimer = time.AfterFunc(timeout, func() { p.expire(c, cc, timeout) })
	} else {
		cc.idleTimer.Reset(timeout)
	}
	p.mu.Unlock()
	if evicted != nil {
		evicted.close()
	}
}

// expire closes cc if it is still idle and has been for timeout.
func (p *clientPool) expire(c *Client, cc *clientConn, timeout time.Duration) {
	p.mu.Lock()
	for i, ic := range p.idle {
		if ic == cc && time.Since(cc.idleSince) >= timeout {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			c.idle.Add(-1)
			p.mu.Unlock()
			cc.close()
			return
		}
	}
	p.mu.Unlock()
}

// retire closes the idle connections and makes the pool refuse new ones.
func (p *clientPool) retire(c *Client) {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.retired = nil, true
	c.idle.Add(-int64(len(idle)))
	p.mu.Unlock()
	for _, cc := range idle {
		cc.close()
	}
}

func (cc *clientConn) close() {
	_ = cc.nc.Close()
	if cc.idleTimer != nil {
		cc.idleTimer.Stop()
	}
	if cc.br != nil {
		putReader(cc.br)
		cc.br = nil
	}
}
