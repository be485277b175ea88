//go:build linux || darwin || freebsd || netbsd || openbsd

package idlecheck

import (
	"errors"
	"net"
	"syscall"
)

// Gone reports whether the peer of nc closed its end or reset it: a peek that does not block
// finds the end of the stream or an error. Bytes waiting to be read (a request body, a next
// request) mean nothing is known, and so does a connection that is not a socket. It goes
// through RawConn.Control, not Read, so that a read deadline that passed while the request
// waited does not hide the answer.
func Gone(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	err = rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			gone = n == 0
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
		default:
			gone = true
		}
	})
	return gone || err != nil
}
