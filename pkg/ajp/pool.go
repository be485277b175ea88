package ajp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// hostPool holds the idle connections to one backend address, most recently used last: taking
// from the end reuses the connection least likely to have been closed by the backend.
type hostPool struct {
	addr    string
	mu      sync.Mutex
	idle    []*clientConn
	retired bool // CloseIdleConnections dropped the pool: connections coming back are closed
}

// pool returns the pool of addr, creating it on first use.
func (t *Transport) pool(addr string) *hostPool {
	if p, ok := t.pools.Load(addr); ok {
		return p.(*hostPool)
	}
	p, _ := t.pools.LoadOrStore(addr, &hostPool{addr: addr})
	return p.(*hostPool)
}

func (p *hostPool) take() *clientConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	c := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return c
}

// put makes c idle. When the pool is full, the oldest idle connection is closed instead.
func (p *hostPool) put(c *clientConn, maxIdle int, idleTimeout time.Duration) {
	var evicted *clientConn
	p.mu.Lock()
	if p.retired {
		p.mu.Unlock()
		c.close()
		return
	}
	if len(p.idle) >= maxIdle {
		evicted = p.idle[0]
		copy(p.idle, p.idle[1:])
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
	}
	c.idleSince = time.Now()
	p.idle = append(p.idle, c)
	if idleTimeout > 0 {
		if c.idleTimer == nil {
			c.idleTimer = time.AfterFunc(idleTimeout, func() { p.expire(c, idleTimeout) })
		} else {
			c.idleTimer.Reset(idleTimeout)
		}
	}
	p.mu.Unlock()
	if evicted != nil {
		evicted.close()
	}
}

// expire closes c if it is still idle and has been for idleTimeout; its timer fires once per put.
func (p *hostPool) expire(c *clientConn, idleTimeout time.Duration) {
	p.mu.Lock()
	i := p.index(c)
	if i < 0 || time.Since(c.idleSince) < idleTimeout {
		p.mu.Unlock()
		return
	}
	p.idle = append(p.idle[:i], p.idle[i+1:]...)
	p.mu.Unlock()
	_ = c.nc.Close()
}

func (p *hostPool) index(c *clientConn) int {
	for i, ic := range p.idle {
		if ic == c {
			return i
		}
	}
	return -1
}

// retire closes the idle connections and makes the pool refuse new ones, so that it can be
// forgotten: backend addresses come and go with every deploy.
func (p *hostPool) retire() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.retired = true
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// connUse says what getConn takes a connection for.
type connUse struct {
	fresh bool // a new connection, not a pooled one: a resend after a pooled one failed
	ping  bool // for Ping: CPing even a pooled connection that was idle only briefly
	// resendable: the request can go again on a new connection if a pooled one turns out dead
	// (mayResend), so a connection idle only briefly may skip the idle check.
	resendable bool
}

// quickReuse is how long a pooled connection may have been idle and still skip the idle check
// (a MSG_PEEK syscall, a tenth of the gateway's CPU per request on a busy machine) for a request
// that can be resent: under load a connection is taken again within microseconds, and should the
// backend have closed it meanwhile, the request costs a resend, not an error. Other requests are
// always checked.
const quickReuse = time.Millisecond

// getConn returns a connection to addr: a pooled one that passes the idle checks (and a CPing
// when it was idle long enough, or always with PingEveryRequest or use.ping), else a new one,
// CPinged once connected. reused tells which it was. Errors are retryable and unsent, except
// when the context ended.
func (t *Transport) getConn(ctx context.Context, addr string, use connUse) (c *clientConn, reused bool, err error) {
	p := t.pool(addr)
	if !use.fresh {
		idleTimeout, pingAfter := t.idleTimeout(), t.pingAfterIdle()
		for c = p.take(); c != nil; c = p.take() {
			c.pr.attach(c.nc)
			idle := time.Since(c.idleSince)
			if idleTimeout > 0 && idle > idleTimeout {
				c.close()
				continue
			}
			c.clearDeadline()
			if !(use.resendable && idle < quickReuse) && !c.idleOK() {
				c.close()
				continue
			}
			if use.ping || t.PingEveryRequest || (pingAfter > 0 && idle > pingAfter) {
				if err := c.ping(t.pingTimeout(ctx)); err != nil {
					slog.Debug("ajp pooled connection failed CPing", "addr", addr, "idle", idle, "err", err)
					c.close()
					continue
				}
			}
			return c, true, nil
		}
	}
	c, err = t.dial(ctx, addr, p)
	return c, false, err
}

// dial connects to addr and proves the peer speaks AJP with a CPing (mod_jk's ping_mode C).
func (t *Transport) dial(ctx context.Context, addr string, p *hostPool) (*clientConn, error) {
	dctx := ctx
	if d := t.dialTimeout(); d > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var nc net.Conn
	var err error
	if t.DialContext != nil {
		nc, err = t.DialContext(dctx, "tcp", addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		err = fmt.Errorf("connecting to AJP backend %s: %w", addr, err)
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &retryableError{err: err, unsent: true}
	}
	c := newClientConn(nc, t.packetSizeOrDefault(), p)
	if err := c.ping(t.pingTimeout(ctx)); err != nil {
		c.close()
		return nil, &retryableError{err: fmt.Errorf("checking new connection to AJP backend %s: %w", addr, err), unsent: true}
	}
	return c, nil
}
