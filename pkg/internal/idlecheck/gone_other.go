//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package idlecheck

import "net"

// Gone reports false: nothing can be checked here without reading. A request held for a
// client that left waits out its bound.
func Gone(net.Conn) bool { return false }
