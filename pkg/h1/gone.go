package h1

import "github.com/rollcd/roll/pkg/internal/idlecheck"

// ClientGone reports whether the client closed (or reset) its connection while its request
// is being answered, without reading from it: a handler that makes a request wait (a paused
// service at the gateway) asks it now and then, and gives up on a client that left. Bytes
// the client sent that nobody read yet (a body, a next request) mean it is not known to be
// gone. It costs one system call and nothing to the requests that never ask.
func (w *response) ClientGone() bool {
	if w.hijacked {
		return false
	}
	return idlecheck.Gone(w.c.nc)
}
