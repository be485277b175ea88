// Package tomcattest runs real Tomcat 10.1 instances on loopback for tests. Each has its own
// CATALINA_BASE, random free HTTP and AJP ports on 127.0.0.1, an AJP secret, a jvmRoute, and a small
// JSP test webapp at /app (the webapp directory, embedded):
//
//	health.jsp            "ok"; 200 only once the webapp has started (readiness)
//	hello.jsp             route, session id (".<route>" suffix), new, hits: a session counter
//	nosession.jsp         route and "hello", no session: the cheapest page
//	echo.jsp              reads the body: method, content_length_header, transfer_encoding, body_bytes, body_sha256
//	bodyfail.jsp?id=X     POST: reads the body, records "complete bytes=N" or "<IOException class> bytes=N";
//	                      GET ?report=X waits (30 s at most) for that record: outcome=<record> or outcome=none
//	text.jsp              the body decoded as UTF-8 (text=, chars=)
//	sleep.jsp?ms=N        holds the request N ms
//	big.jsp?bytes=N&flush=K  exactly N bytes of a repeated 64-byte line, flushed every K bytes
//	status.jsp?code=N     status N, X-Route header
//	nobody.jsp?code=204|304  no body
//	cookies.jsp           three Set-Cookie headers
//	flush.jsp?id=X        writes "first", flushes, waits for release.jsp?id=X (60 s at most)
//	info.jsp, info/*      everything Tomcat derived from the request, "key=value" per line,
//	                      including headers, parameters and request attributes (JK_LB_ACTIVATION);
//	                      also the 405 error page, so rejected methods still show what Tomcat parsed
//
// Every instance also deploys a second webapp at /other (the other directory): index.jsp, secret.jsp and
// the static secret.txt, each answering OtherMarker. A front door that mounts only /app must never let a
// request reach it; traversal tests look for the marker.
//
// Start ties an instance to one test. Shared lets the tests of a package share instances, stopped by
// Main from TestMain. Require skips a test (or fails it under CI=true) when Tomcat or java is missing.
// Options.BrokenApp and Options.SlowStart (with NoWait) give a webapp that never deploys or deploys
// slowly, for readiness tests.
package tomcattest
