package frontdoor

import (
	"strconv"
	"time"
)

// Request bodies, responses, connections and protocol versions.

// expectContinue sends the head with Expect: 100-continue, waits, then sends body.
func expectContinue(target, body string) []step {
	h := head("POST", target, "Content-Length: "+strconv.Itoa(len(body)), "Expect: 100-continue")
	return then(raw(h), 300*time.Millisecond, body)
}

// smuggled is a request whose framing a front door must refuse, followed by a second request that
// must never be answered.
func smuggled(front string) []step {
	return raw(front + head("GET", "/app/info.jsp?smuggled=1"))
}

// refusedFraming: roll answers 400 and closes the connection, so whatever follows is never read as a request.
func refusedFraming(what string) expectation {
	return rollDoes("400 and the connection closed: "+what, refused(400), closed())
}

var bodyCases = []dcase{
	{"body Content-Length", post("/app/echo.jsp", "0123456789"), same},
	{"body Content-Length zero", post("/app/echo.jsp", ""), same},
	{"body Content-Length with leading zeros", raw(head("POST", "/app/echo.jsp", "Content-Length: 0005") + "abcde"),
		better("roll tells Tomcat the length it framed the body by, in canonical form; mod_jk passes the client's spelling on for another parser to read", line("content_length_header", "5"), line("body_bytes", "5"))},
	{"body 64 KiB, several AJP packets", post("/app/echo.jsp", repeat("0123456789abcdef", 4096)), same},
	{"body 1 MiB", post("/app/echo.jsp", repeat("x", 1<<20)), same},
	{"body binary bytes", post("/app/echo.jsp", "\x00\x01\xfe\xff\r\n\r\n"), same},
	{"body UTF-8 text", post("/app/text.jsp", "grüße, 東京", "Content-Type: text/plain; charset=UTF-8"), same},
	{"body form parameters", post("/app/info.jsp", "a=1&b=%C3%A9", "Content-Type: application/x-www-form-urlencoded"), same},
	{"body on a GET", raw(head("GET", "/app/echo.jsp", "Content-Length: 5") + "hello"), same},
	{"body chunked", chunked("/app/echo.jsp", []string{"hello ", "world"}), same},
	{"body chunked, one 64 KiB chunk", chunked("/app/echo.jsp", []string{repeat("c", 65536)}), same},
	{"body chunked, many small chunks", chunked("/app/echo.jsp", []string{"a", "b", "c", "d", "e", "f", "g", "h"}), same},
	{"body chunked, only the last chunk", chunked("/app/echo.jsp", nil), same},
	{"body chunked with an extension", raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "5;name=value\r\nhello\r\n0\r\n\r\n"), same},
	{"body chunked with a trailer", raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"), same},
	{"body chunked, upper-case hex size", raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "A\r\n0123456789\r\n0\r\n\r\n"), same},
	{"body chunked, bad size", raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "zz\r\nhello\r\n0\r\n\r\n"), rollDoes("400", refused(400))},
	{"body chunked, chunk longer than its size", raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "3\r\nhello\r\n0\r\n\r\n"), rollDoes("400", refused(400))},
	{"body 100-continue, body after a pause", expectContinue("/app/echo.jsp", "continued"), same},
	{"body 100-continue, body at once", raw(head("POST", "/app/echo.jsp", "Content-Length: 4", "Expect: 100-continue") + "at-1"), same},
	{"body 100-continue on HTTP/1.0", raw("POST /app/echo.jsp HTTP/1.0\r\nHost: frontdoor.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nhttp"), same},
	{"body 100-continue without a body", raw(head("GET", "/app/info.jsp", "Expect: 100-continue")),
		better("Apache closes the connection after a request that expected 100-continue but has no body to wait for; roll knows there is none and keeps the connection",
			status(200), check{"the connection stays open", func(ex exchange) bool { return !ex.Closed }})},
	{"body chunked 100-continue", then(raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked", "Expect: 100-continue")), 300*time.Millisecond, "4\r\nbody\r\n0\r\n\r\n"), same},
	{"body POST without length or chunking", raw(head("POST", "/app/echo.jsp")), same},
	{"framing Content-Length and Transfer-Encoding", smuggled(head("POST", "/app/echo.jsp", "Content-Length: 4", "Transfer-Encoding: chunked") + "0\r\n\r\n"),
		better("Apache serves a request framed both ways (trusting chunked), which another server on the path may frame the other way; roll refuses it and closes", refused(400), closed())},
	{"framing Transfer-Encoding and Content-Length", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked", "Content-Length: 4") + "0\r\n\r\n"),
		better("Apache serves a request framed both ways (trusting chunked), which another server on the path may frame the other way; roll refuses it and closes", refused(400), closed())},
	{"framing duplicate equal Content-Length", raw(head("POST", "/app/echo.jsp", "Content-Length: 4", "Content-Length: 4") + "abcd"), refusedFraming("duplicate Content-Length")},
	{"framing duplicate different Content-Length", raw(head("POST", "/app/echo.jsp", "Content-Length: 4", "Content-Length: 5") + "abcde"), refusedFraming("duplicate Content-Length")},
	{"framing Content-Length list", raw(head("POST", "/app/echo.jsp", "Content-Length: 4, 4") + "abcd"), refusedFraming("Content-Length is not a number")},
	{"framing Content-Length with a plus", raw(head("POST", "/app/echo.jsp", "Content-Length: +4") + "abcd"), refusedFraming("a signed Content-Length")},
	{"framing Content-Length negative", raw(head("POST", "/app/echo.jsp", "Content-Length: -1") + "abcd"), refusedFraming("a signed Content-Length")},
	{"framing Content-Length not a number", raw(head("POST", "/app/echo.jsp", "Content-Length: four") + "abcd"), refusedFraming("Content-Length is not a number")},
	{"framing Content-Length hex", raw(head("POST", "/app/echo.jsp", "Content-Length: 0x4") + "abcd"), refusedFraming("Content-Length is not a number")},
	{"framing Transfer-Encoding unknown", raw(head("POST", "/app/echo.jsp", "Transfer-Encoding: gzip") + "abcd"), rollDoes("refused: a coding it cannot decode", refused(400, 501), closed())},
	{"framing Transfer-Encoding chunked twice", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked, chunked") + "0\r\n\r\n"), rollDoes("refused and closed", refused(400, 501), closed())},
	{"framing Transfer-Encoding chunked not last", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked, identity") + "0\r\n\r\n"), rollDoes("refused and closed", refused(400, 501), closed())},
	{"framing Transfer-Encoding in odd case", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding: ChUnKeD") + "0\r\n\r\n"),
		better("roll tells Tomcat how it frames the body it forwards, in canonical form; mod_jk passes the client's spelling on for another parser to read", line("transfer_encoding", "chunked"), answers(2))},
	{"framing Transfer-Encoding with a leading tab", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding:\tchunked") + "0\r\n\r\n"), same},
	{"framing Transfer-Encoding xchunked", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding: xchunked", "Content-Length: 4") + "0\r\n\r\n"), rollDoes("refused and closed", refused(400, 501), closed())},
	{"framing Transfer-Encoding on HTTP/1.0", smuggled("POST /app/echo.jsp HTTP/1.0\r\nHost: frontdoor.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"), rollDoes("refused and closed", refused(400), closed())},
	{"framing Transfer-Encoding folded", smuggled(head("POST", "/app/echo.jsp", "Transfer-Encoding: identity", " chunked", "Content-Length: 4") + "0\r\n\r\n"), rollDoes("400: obsolete line folding", refused(400), closed())},
}

// keepsConnection: the app's error status does not end the client connection.
func keepsConnection(code int) expectation {
	return better("Apache closes the client connection after an app's "+strconv.Itoa(code)+" as if the request's framing were in doubt; the app framed its answer over AJP, so roll keeps the connection",
		status(code), check{"the connection stays open", func(ex exchange) bool { return !ex.Closed }})
}

var responseCases = []dcase{
	{"response empty body", get("/app/big.jsp?bytes=0"), same},
	{"response one byte", get("/app/big.jsp?bytes=1"), same},
	{"response one AJP packet", get("/app/big.jsp?bytes=8184"), same},
	{"response just over one AJP packet", get("/app/big.jsp?bytes=8193"), same},
	{"response 64 KiB", get("/app/big.jsp?bytes=65536"), same},
	{"response 1 MiB", get("/app/big.jsp?bytes=1048576"), same},
	{"response flushed every 1000 bytes", get("/app/big.jsp?bytes=20000&flush=1000"), same},
	{"response flushed after every byte", get("/app/big.jsp?bytes=50&flush=1"), same},
	{"response HEAD of a large page", req("HEAD", "/app/big.jsp?bytes=100000"), same},
	{"response HEAD of a small page", req("HEAD", "/app/nosession.jsp"), same},
	{"response status 200 by the page", get("/app/status.jsp?code=200"), same},
	{"response status 201", get("/app/status.jsp?code=201"), same},
	{"response status 202", get("/app/status.jsp?code=202"), same},
	{"response status 203", get("/app/status.jsp?code=203"), same},
	{"response status 204", get("/app/nobody.jsp?code=204"), same},
	{"response status 205", get("/app/status.jsp?code=205"), same},
	{"response status 206", get("/app/status.jsp?code=206"), same},
	{"response status 300", get("/app/status.jsp?code=300"), same},
	{"response status 301", get("/app/status.jsp?code=301"), same},
	{"response status 302", get("/app/status.jsp?code=302"), same},
	{"response status 304", get("/app/nobody.jsp?code=304"), same},
	{"response status 307", get("/app/status.jsp?code=307"), same},
	{"response status 308", get("/app/status.jsp?code=308"), same},
	{"response status 400", get("/app/status.jsp?code=400"), keepsConnection(400)},
	{"response status 401", get("/app/status.jsp?code=401"), same},
	{"response status 403", get("/app/status.jsp?code=403"), same},
	{"response status 404", get("/app/status.jsp?code=404"), same},
	{"response status 405", get("/app/status.jsp?code=405"), same},
	{"response status 409", get("/app/status.jsp?code=409"), same},
	{"response status 410", get("/app/status.jsp?code=410"), same},
	{"response status 413", get("/app/status.jsp?code=413"), keepsConnection(413)},
	{"response status 418", get("/app/status.jsp?code=418"), same},
	{"response status 429", get("/app/status.jsp?code=429"), same},
	{"response status 500", get("/app/status.jsp?code=500"), keepsConnection(500)},
	{"response status 501", get("/app/status.jsp?code=501"), keepsConnection(501)},
	{"response status 502", get("/app/status.jsp?code=502"), same},
	{"response status 503", get("/app/status.jsp?code=503"), keepsConnection(503)},
	{"response status 504", get("/app/status.jsp?code=504"), same},
	{"response status 599, unregistered", get("/app/status.jsp?code=599"), same},
	{"response Tomcat's own 404", get("/app/missing.jsp"), same},
	{"response Tomcat's 405 for a method", req("DELETE", "/app/nosession.jsp"), same},
	{"response Set-Cookie three times", get("/app/cookies.jsp"), same},
	{"response Set-Cookie of a new session", get("/app/hello.jsp"), same},
	{"response Location of the mount root", get("/app"), same},
	{"response Location with the front door's port", lines("GET /app HTTP/1.1", "Host: 127.0.0.1:{{port}}"), same},
	{"response Location of an HTTP/1.0 request without Host", lines("GET /app HTTP/1.0"), rollDoes("the redirect names no backend address", status(302))},
}

var connectionCases = []dcase{
	{"connection close asked", get("/app/nosession.jsp", "Connection: close"), same},
	{"connection HTTP/1.0", lines("GET /app/info.jsp HTTP/1.0", "Host: frontdoor.test"), same},
	{"connection HTTP/1.0 keep-alive", lines("GET /app/nosession.jsp HTTP/1.0", "Host: frontdoor.test", "Connection: keep-alive"), same},
	{"connection pipelined two", concat(get("/app/nosession.jsp"), get("/app/info.jsp?second=1")), same},
	{"connection pipelined three with HEAD", concat(get("/app/info.jsp?n=1"), req("HEAD", "/app/info.jsp?n=2"), get("/app/info.jsp?n=3")), same},
	{"connection pipelined body then GET", concat(post("/app/echo.jsp", "abc"), get("/app/info.jsp")), same},
	{"connection pipelined chunked then GET", concat(chunked("/app/echo.jsp", []string{"abc"}), get("/app/info.jsp")), same},
	{"connection pipelined after a body the page does not read", concat(post("/app/info.jsp?n=1", "abc"), get("/app/info.jsp?n=2")), same},
	{"connection pipelined after a chunked body the page does not read", concat(chunked("/app/info.jsp?n=1", []string{"de"}), get("/app/info.jsp?n=2")), same},
	{"connection pipelined after a 404", concat(get("/nothing"), get("/app/nosession.jsp")), same},
	{"connection pipelined then close", concat(get("/app/nosession.jsp"), get("/app/nosession.jsp", "Connection: close"), get("/app/nosession.jsp")), same},
	{"version HTTP/0.9", raw("GET /app/info.jsp\r\n"),
		better("Apache answers an HTTP/0.9 request with a bare body; roll speaks HTTP/1.x only and never forwards it", refused(400))},
	{"version HTTP/0.9 outside the mount", raw("GET /other/\r\n"), better("Apache answers an HTTP/0.9 request with a bare body; roll refuses it", refused(400))},
	{"version HTTP/2.0 over plain HTTP/1 framing", lines("GET /app/info.jsp HTTP/2.0", "Host: frontdoor.test"),
		better("Apache serves a request line that claims HTTP/2.0 as if it were HTTP/1.1; roll answers 505, as RFC 9110 section 15.6.6 asks of a version it does not speak in that framing", refused(505))},
	{"version HTTP/1.2", lines("GET /app/info.jsp HTTP/1.2", "Host: frontdoor.test"), rollDoes("505 or an HTTP/1.1 answer", status(505, 200))},
	{"version HTTP/3.0", lines("GET /app/info.jsp HTTP/3.0", "Host: frontdoor.test"),
		better("Apache serves a request line that claims HTTP/3.0 as if it were HTTP/1.1; roll answers 505", refused(505))},
	{"version in lower case", lines("GET /app/info.jsp http/1.1", "Host: frontdoor.test"), rollDoes("400", refused(400))},
	{"version with two digits", lines("GET /app/info.jsp HTTP/1.10", "Host: frontdoor.test"), rollDoes("400", refused(400, 505))},
	{"version the HTTP/2 preface", raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), rollDoes("refused", refused(400, 505))},
	{"request line with two spaces", lines("GET  /app/info.jsp HTTP/1.1", "Host: frontdoor.test"), rollDoes("400", refused(400))},
	{"request line with tabs", lines("GET\t/app/info.jsp\tHTTP/1.1", "Host: frontdoor.test"), rollDoes("400", refused(400))},
	{"request line with a trailing space", lines("GET /app/info.jsp HTTP/1.1 ", "Host: frontdoor.test"), rollDoes("400", refused(400))},
	{"request line 8 KiB + 1", get("/app/info.jsp?q=" + repeat("l", 8200)), rollDoes("414", refused(414))},
	{"request line 64 KiB", get("/app/info.jsp?q=" + repeat("l", 65536)), rollDoes("414", refused(414))},
	{"request line empty lines before it", raw("\r\n\r\nGET /app/nosession.jsp HTTP/1.1\r\nHost: frontdoor.test\r\n\r\n"), same},
}
