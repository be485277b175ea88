package ajp

import (
	"fmt"
	"net"
	"time"

	"github.com/rollcd/roll/pkg/internal/idlecheck"
)

// clientConn is one connection to a backend. It is owned either by the pool (idle) or by exactly
// one exchange; it is never shared.
type clientConn struct {
	nc   net.Conn
	pr   *PacketReader
	pool *hostPool

	idleSince time.Time   // when it went back to the pool
	idleTimer *time.Timer // closes it after IdleTimeout in the pool
	deadline  bool        // a read deadline may be set: clear it before the next idle check
	peeker    idlecheck.Peeker
	sh        SendHeaders // parse target, reused so its header slice is allocated once
}

func newClientConn(nc net.Conn, packetSize int, pool *hostPool) *clientConn {
	return &clientConn{nc: nc, pr: NewPacketReader(nc, MagicFromContainer, packetSize), pool: pool}
}

func (c *clientConn) close() {
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	_ = c.nc.Close()
}

// clearDeadline removes a deadline left by the previous exchange or ping.
func (c *clientConn) clearDeadline() {
	if c.deadline {
		_ = c.nc.SetDeadline(time.Time{})
		c.deadline = false
	}
}

// idleOK reports whether an idle connection still looks usable without blocking: nothing
// buffered, and the socket neither closed by the backend nor holding unexpected bytes.
func (c *clientConn) idleOK() bool {
	if c.pr.Buffered() > 0 {
		return false
	}
	return c.peeker.Alive(c.nc)
}

// ping sends CPING and waits up to timeout for CPONG. Only an idle connection may be pinged.
func (c *clientConn) ping(timeout time.Duration) error {
	var cping [5]byte
	if timeout > 0 {
		c.deadline = true
		if err := c.nc.SetDeadline(time.Now().Add(timeout)); err != nil {
			return fmt.Errorf("sending CPING: %w", err)
		}
	}
	if _, err := c.nc.Write(AppendCPing(cping[:0])); err != nil {
		return fmt.Errorf("sending CPING: %w", err)
	}
	p, err := c.pr.Next()
	if err != nil {
		return fmt.Errorf("waiting for CPONG: %w", err)
	}
	if len(p) != 1 || MessageType(p[0]) != TypeCPong {
		t := "data"
		if len(p) > 0 {
			t = MessageType(p[0]).String()
		}
		return protocolErrorf("waiting for CPONG: got a %d-byte %s packet", len(p), t)
	}
	c.clearDeadline()
	return nil
}
