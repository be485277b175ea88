//go:build linux || darwin || freebsd || netbsd || openbsd

package idlecheck

import (
	"errors"
	"net"
	"syscall"
)

// Peeker checks an idle pooled connection without blocking, as mod_jk's jk_is_socket_connected does:
// end of stream (the backend closed an idle connection), an error, or unexpected bytes all mean the
// connection must not carry a request. It is built once per connection, so a check allocates nothing.
type Peeker struct {
	rc   syscall.RawConn // nil when the connection is not a socket: it then always passes
	fn   func(fd uintptr) bool
	buf  [1]byte
	ok   bool
	init bool
}

// Alive reports whether nc, idle, can carry a request: it is open, without an error and without
// bytes nobody asked for.
func (p *Peeker) Alive(nc net.Conn) bool {
	if !p.init {
		p.init = true
		if sc, ok := nc.(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				p.rc, p.fn = rc, p.peek
			}
		}
	}
	if p.rc == nil {
		return true
	}
	if err := p.rc.Read(p.fn); err != nil {
		return false
	}
	return p.ok
}

// peek is called once by RawConn.Read; returning true stops it from waiting for readability.
func (p *Peeker) peek(fd uintptr) bool {
	// Only "would block" means alive and quiet; n > 0 is a stray byte and n == 0 the end.
	_, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	p.ok = errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
	return true
}
