//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package ajp

import "net"

// idlePeeker cannot peek without blocking on this platform; the CPing after idle and the retry of
// a request on a reused connection cover dead connections instead.
type idlePeeker struct{}

func (*idlePeeker) check(net.Conn) bool { return true }
