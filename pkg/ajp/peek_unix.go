//go:build linux || darwin || freebsd || netbsd || openbsd

package ajp

import (
	"errors"
	"net"
	"syscall"
)

// socketIdleOK peeks at the socket without blocking, as mod_jk's jk_is_socket_connected does:
// end of stream (the backend closed an idle connection), an error, or unexpected bytes all mean
// the connection must not carry a request. A connection that is not a socket passes.
func socketIdleOK(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var p peeker
	if err := rc.Read(p.peek); err != nil {
		return false
	}
	return p.ok
}

type peeker struct {
	buf [1]byte
	ok  bool
}

// peek is called once by RawConn.Read; returning true stops it from waiting for readability.
func (p *peeker) peek(fd uintptr) bool {
	// Only "would block" means alive and quiet; n > 0 is a stray byte and n == 0 the end.
	_, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	p.ok = errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
	return true
}
