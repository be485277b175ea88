// Package idlecheck tells whether an idle pooled backend connection can still carry a request,
// without blocking and without reading from it: the check the AJP and HTTP clients make before
// they reuse a connection. Gone tells, the same way, whether the client of a request that waits
// at the gateway (a paused service) has closed its connection.
package idlecheck
