// Package reqpath puts a request path into the one form that the gateway routes on and forwards,
// so that a path prefix (a mount, like mod_jk's "JkMount /app|/*") cannot be escaped.
//
// The gateway routes by path prefix, and Tomcat normalises the path it receives before mapping it to
// a context. If the gateway matched the raw path, "/app/..;/other/" or "/app/%2e%2e/other/" would be
// routed to the /app backend and served there as "/other/": a walk out of the mount. This is the class
// of CVE-2018-11759, which mod_jk 1.2.44 fixed by normalising before mapping, as Apache httpd always
// has. [Normalize] does the same: the gateway routes on its result and forwards the result, so the
// backend sees no dot segment left to resolve and the route and the backend agree on the path.
//
// The rules, applied to the path as it came on the wire (still percent-encoded, before '?'):
//
//   - The path starts with '/' ([ErrNotAbsolute]).
//   - Every '%' starts a two-hex-digit escape ([ErrMalformed]). An escape of an unreserved character
//     (ALPHA DIGIT - . _ ~) is decoded, any other escape is written with upper-case hex digits
//     (RFC 3986 §6.2.2.1 and §6.2.2.2), so "%2e" is "." and "%c3%a9" is "%C3%A9".
//   - An encoded slash or backslash ("%2F", "%5C") is refused ([ErrEncodedSlash]), as Apache's
//     AllowEncodedSlashes Off does and Tomcat 10.1 does by default (it rejects "%2F", and "%5C" once
//     decoded to '\'): a backend that decodes it would see a separator the gateway did not. Apache
//     answers 404; the gateway should answer 400, because the request is malformed for us, not
//     missing.
//   - An encoded NUL ("%00") is refused ([ErrNUL]); Tomcat refuses it too.
//   - A byte that RFC 3986 and RFC 9112 allow only percent-encoded, and that could change how a
//     backend splits the path or the request line, is refused when it comes raw ([ErrRawByte]): space
//     and the other control bytes, DEL, bytes from 0x80 up (a client sends UTF-8 as "%C3%A9"; raw it
//     is not a URI, and decoders disagree on malformed or overlong forms), and '\', which Tomcat
//     with allowBackslash, Windows and many path libraries read as '/'. Other printable ASCII
//     passes as it came; the backend's own parser judges it.
//   - A segment may carry parameters after a raw ';' ("/app;jsessionid=A.t1/x.jsp"), which Tomcat
//     strips before decoding. Dot segments are recognised by the name before the ';', after decoding,
//     as Tomcat and mod_jk 1.2.44 do: "..;x" and ".%2e" are "..", ".;x" is ".". A removed dot segment
//     takes its parameters with it; every other segment keeps its parameters byte for byte (Tomcat
//     reads them undecoded, and the session id in ";jsessionid=" must survive). An encoded ';'
//     ("%3B") is part of the name, not a separator. Parameters are held to the same escape and byte
//     rules as names although Tomcat never decodes them: a backend that is not a servlet container
//     reads ';' as an ordinary character and would decode a "%2F" in them.
//   - Runs of '/' become one '/', as Apache's MergeSlashes On and Tomcat do, before dot segments are
//     removed: "/app//../x" is "/x".
//   - Dot segments are removed as RFC 3986 §5.2.4 says, so "/app/x/.." is "/app/" (a trailing dot
//     segment leaves a trailing slash). A segment that is only parameters (";x", as in
//     "/app/;jsessionid=A") has an empty name, which Tomcat merges away like "//": a ".." after it
//     removes it and the named segment before it. A ".." that would climb above the root is refused
//     ([ErrTraversal]), as Apache and Tomcat refuse it with 400.
//
// Every part of the path is checked, even a part that a dot segment removes. The result is
// idempotent (normalising it again returns it unchanged), never longer than the input, and when
// the input is already normal (the common case) it is the input itself, without an allocation.
//
// Give Normalize the path as the client sent it (the origin-form request-target before '?'), not
// [net/url.URL.Path], which is decoded already; route prefixes compare with the result only when
// they are in the same normal form.
//
// Where Tomcat 10.1 reads the same path differently, the difference never moves a path across a
// mount: Tomcat drops the trailing slash that a trailing dot segment leaves ("/app/x/.." is "/app"
// there, a directory it then redirects to "/app/"); Tomcat keeps the parameters of segments that dot
// segments remove, as path parameters of the request; and Tomcat takes raw bytes from 0x80 up and
// never looks inside parameters, where this package refuses what it refuses anywhere else.
package reqpath
