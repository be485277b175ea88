// Package h1 is the strict HTTP/1.1 server of roll's public listener, the gateway's front door,
// and the client side of its HTTP relay (Client), which forwards a request the server took to an
// HTTP/1.1 backend and checks the backend's answer as strictly as the server checks a client's.
//
// It serves an http.Handler, as net/http does, but it decides the framing questions a proxy in
// front of Tomcat must not leave to chance, the way Apache httpd does or more strictly:
//
//   - A request line is exactly "method SP request-target SP HTTP/1.x CRLF"; HTTP/0.9 and bare
//     LF line ends are refused (400), other HTTP versions get 505, a line over MaxRequestLine 414.
//   - Header fields are "name: value CRLF" with a token name, no space before the colon, no
//     obs-fold and no control bytes in the value; a head over MaxHeaderBytes or with more than
//     MaxHeaderFields fields gets 431.
//   - HTTP/1.1 needs exactly one valid Host; an absolute-form target's authority wins over it.
//   - A body is framed by one Content-Length of digits or by "Transfer-Encoding: chunked"
//     alone. Both at once (request smuggling), repeated or signed lengths, chunked framing on
//     HTTP/1.0 and malformed chunks are refused with 400 and the connection is closed.
//   - Every wait is bounded: the request head (ReadHeaderTimeout), the next request on a
//     keep-alive connection (IdleTimeout), each read of a body (BodyReadTimeout) and each write
//     of a response (WriteTimeout), like Apache's mod_reqtimeout and Timeout.
//   - A 2xx answer to a request whose body has not fully arrived waits for the rest of it (up
//     to HoldBodyLimit bytes, kept for the handler to read), Content-Length or chunked: a client
//     whose upload breaks off gets 400 or 408, never a success for an upload that did not happen.
//
// Body read failures are reported to the handler as errors wrapping ErrBodyTruncated,
// ErrBodyMalformed or ErrBodyTimeout, so a proxy can tell a client's fault from a backend's.
// The response writer supports Flush, Hijack (for protocol upgrades) and the deadlines of
// http.ResponseController.
//
// A *tls.Conn from the listener is served as HTTPS: its handshake is finished first (a no-op when
// the listener did it), bounded by ReadHeaderTimeout, and its state is every request's TLS.
package h1
