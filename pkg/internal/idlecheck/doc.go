// Package idlecheck tells whether an idle pooled backend connection can still carry a request,
// without blocking and without reading from it: the check the AJP and HTTP clients make before
// they reuse a connection.
package idlecheck
