package frontdoor

import (
	"fmt"
	"strings"
)

// Request headers, cookies and stickiness, Host forms: what Tomcat sees of the head.

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// manyHeaders is n header lines "X-Pad-i: " + size bytes.
func manyHeaders(n, size int) []string {
	hs := make([]string, n)
	for i := range hs {
		hs[i] = fmt.Sprintf("X-Pad-%d: %s", i, repeat("p", size))
	}
	return hs
}

// stripped: roll forwards none of what the client sent in the header name (value marker). Over AJP roll,
// like mod_jk, sends the client's address in the request itself (remote_addr), not in X-Forwarded-For.
func stripped(name string) expectation {
	return better(fmt.Sprintf("mod_jk forwards a client's %s verbatim, so the app believes what any client claims; roll drops it", name),
		noLine("header."+strings.ToLower(name)+"=spoofed"), line("remote_addr", "127.0.0.1"))
}

// hopByHop: roll forwards none of the named fields, which belong to the client's connection only.
func hopByHop(names ...string) expectation {
	checks := make([]check, len(names))
	for i, n := range names {
		checks[i] = noLine("header." + strings.ToLower(n) + "=")
	}
	return better("mod_jk forwards the client's hop-by-hop "+strings.Join(names, ", ")+" to Tomcat; a proxy must remove them (RFC 9110 section 7.6.1), and roll does", checks...)
}

var headerCases = []dcase{
	{"header no User-Agent", raw("GET /app/info.jsp HTTP/1.1\r\nHost: frontdoor.test\r\n\r\n"), same},
	{"header User-Agent", raw("GET /app/info.jsp HTTP/1.1\r\nHost: frontdoor.test\r\nUser-Agent: raw-client/1.0\r\n\r\n"), same},
	{"header custom", get("/app/info.jsp", "X-Custom: one"), same},
	{"header name in odd case", get("/app/info.jsp", "x-CUSTOM-header: one"), same},
	{"header repeated", get("/app/info.jsp", "X-Multi: one", "X-Multi: two"), same},
	{"header comma list", get("/app/info.jsp", "Accept: text/plain, text/html;q=0.5"), same},
	{"header empty value", get("/app/info.jsp", "X-Empty:"), same},
	{"header value with inner and trailing spaces", get("/app/info.jsp", "X-Spaced:   a  b   "), same},
	{"header value UTF-8", get("/app/info.jsp", "X-Text: grüße"), same},
	{"header value Latin-1 byte", get("/app/info.jsp", "X-Text: gr\xfc\xdfe"), same},
	{"header value with a tab", get("/app/info.jsp", "X-Tab: a\tb"), same},
	{"header Authorization", get("/app/info.jsp", "Authorization: Basic dXNlcjpwYXNz"), same},
	{"header Accept-Encoding", get("/app/big.jsp?bytes=3000", "Accept-Encoding: gzip, br"), same},
	{"header Range on a JSP", get("/app/big.jsp?bytes=3000", "Range: bytes=0-9"),
		better("roll leaves Range to the app, as RFC 9110 section 14.2 allows: Apache cuts a range out of a page the app generated whole, and its range handling was a denial-of-service vector (CVE-2011-3192)", status(200))},
	{"header several ranges on a JSP", get("/app/big.jsp?bytes=3000", "Range: bytes=0-0,5-5,10-10"),
		better("roll leaves Range to the app, as RFC 9110 section 14.2 allows: Apache answers multipart/byteranges cut from a page the app generated whole", status(200))},
	{"header If-None-Match", get("/app/nobody.jsp?code=304", "If-None-Match: \"tomcattest\""), same},
	{"header Via and Max-Forwards", get("/app/info.jsp", "Via: 1.1 elsewhere", "Max-Forwards: 3"), same},
	{"header 4000 bytes", get("/app/info.jsp", "X-Big: "+repeat("b", 4000)), same},
	{"header 7000 bytes, near the AJP packet", get("/app/info.jsp", "X-Big: "+repeat("b", 7000)), same},
	{"header 8100 bytes, over the AJP packet", get("/app/info.jsp", "X-Big: "+repeat("b", 8100)),
		rollDoes("431 without reaching Tomcat: the head does not fit the 8 KiB AJP packet", refused(431))},
	{"header 9000 bytes, over Apache's field limit", get("/app/info.jsp", "X-Big: "+repeat("b", 9000)),
		rollDoes("431: the head does not fit the AJP packet", refused(431))},
	{"headers 95 short ones", get("/app/info.jsp", manyHeaders(95, 10)...), same},
	{"headers 101, over Apache's count", get("/app/info.jsp", manyHeaders(101, 10)...),
		rollDoes("refused: more fields than Tomcat accepts (100)", refused(400, 431))},
	{"headers 70 KiB in all, over roll's MaxHeaderBytes", get("/app/info.jsp", manyHeaders(60, 1200)...),
		rollDoes("431: the head is larger than MaxHeaderBytes", refused(431))},
	{"header obs-fold", get("/app/info.jsp", "X-Folded: one", " two"), rollDoes("400: obsolete line folding", refused(400))},
	{"header whitespace before the colon", get("/app/info.jsp", "X-Space : one"), rollDoes("400: whitespace before the colon", refused(400))},
	{"header without a colon", get("/app/info.jsp", "X-No-Colon"), rollDoes("400", refused(400))},
	{"header empty name", get("/app/info.jsp", ": value"), rollDoes("400", refused(400))},
	{"header NUL in a value", get("/app/info.jsp", "X-Nul: a\x00b"), rollDoes("400: NUL in a field value", refused(400))},
	{"header CR in a value", get("/app/info.jsp", "X-Cr: a\rb"), rollDoes("400: CR in a field value", refused(400))},
	{"header control byte in a value", get("/app/info.jsp", "X-Ctl: a\x01b"), rollDoes("400: a control byte in a field value", refused(400))},
	{"header bare LF line ends", raw("GET /app/info.jsp HTTP/1.1\nHost: frontdoor.test\nX-Lf: 1\n\n"), rollDoes("400: bare LF", refused(400))},
	{"header one bare LF", raw("GET /app/info.jsp HTTP/1.1\r\nHost: frontdoor.test\nX-Lf: 1\r\n\r\n"), rollDoes("400: bare LF", refused(400))},
	{"header X-Forwarded-For", get("/app/info.jsp", "X-Forwarded-For: spoofed"), stripped("X-Forwarded-For")},
	{"header X-Forwarded-Host", get("/app/info.jsp", "X-Forwarded-Host: spoofed"), stripped("X-Forwarded-Host")},
	{"header X-Forwarded-Proto", get("/app/info.jsp", "X-Forwarded-Proto: spoofed"), stripped("X-Forwarded-Proto")},
	{"header X-Forwarded-Port", get("/app/info.jsp", "X-Forwarded-Port: spoofed"), stripped("X-Forwarded-Port")},
	{"header X-Forwarded-Prefix", get("/app/info.jsp", "X-Forwarded-Prefix: spoofed"), stripped("X-Forwarded-Prefix")},
	{"header X-Forwarded-Ssl", get("/app/info.jsp", "X-Forwarded-Ssl: spoofed"), stripped("X-Forwarded-Ssl")},
	{"header X-Real-IP", get("/app/info.jsp", "X-Real-IP: spoofed"), stripped("X-Real-IP")},
	{"header Forwarded", get("/app/info.jsp", "Forwarded: spoofed"), stripped("Forwarded")},
	{"header X-Roll-Activation from the client", get("/app/info.jsp", "X-Roll-Activation: spoofed"),
		better("X-Roll-* headers are the gateway's to set; mod_jk has none and forwards any", noLine("header.x-roll-activation="))},
	{"header X-Roll-anything from the client", get("/app/info.jsp", "X-Roll-Backend: spoofed"),
		better("X-Roll-* headers are the gateway's to set; mod_jk has none and forwards any", noLine("header.x-roll-backend="))},
	{"header named in Connection", get("/app/info.jsp", "Connection: X-Hop", "X-Hop: one"),
		better("a field the client names in Connection is hop-by-hop (RFC 9110 section 7.6.1); mod_jk forwards it", noLine("header.x-hop="))},
	{"header Keep-Alive", get("/app/info.jsp", "Connection: keep-alive", "Keep-Alive: timeout=5"), hopByHop("Connection", "Keep-Alive")},
	{"header TE trailers", get("/app/info.jsp", "Connection: TE", "TE: trailers"), hopByHop("Connection", "TE")},
	{"header Upgrade h2c", get("/app/info.jsp", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"),
		hopByHop("Connection", "Upgrade", "HTTP2-Settings")},
	{"header Upgrade websocket to an AJP app", get("/app/info.jsp", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
		hopByHop("Connection", "Upgrade")},
	{"header Proxy-Authorization", get("/app/info.jsp", "Proxy-Authorization: Basic eDp5"),
		better("credentials for a proxy are not the app's to see (RFC 9110 section 11.7.2); mod_jk forwards them to Tomcat", noLine("header.proxy-authorization="))},
	{"header Expect unknown", get("/app/info.jsp", "Expect: something-else"), same},
}

var cookieCases = []dcase{
	{"cookie none, new session", get("/app/hello.jsp"), same},
	{"cookie forged session pinned to tomcat1", get("/app/info.jsp", "Cookie: JSESSIONID=forged.tomcat1"), same},
	{"cookie forged session pinned to tomcat2", get("/app/info.jsp", "Cookie: JSESSIONID=forged.tomcat2"), same},
	{"cookie forged session of an unknown route", get("/app/info.jsp", "Cookie: JSESSIONID=forged.tomcat9"), same},
	{"cookie forged session without a route", get("/app/info.jsp", "Cookie: JSESSIONID=forged"), same},
	{"cookie real session on tomcat1", get("/app/hello.jsp", "Cookie: JSESSIONID={{sid:tomcat1}}"), same},
	{"cookie real session on tomcat2", get("/app/hello.jsp", "Cookie: JSESSIONID={{sid:tomcat2}}"), same},
	{"cookie real session with other cookies", get("/app/hello.jsp", "Cookie: a=1; JSESSIONID={{sid:tomcat2}}; b=2"), same},
	{"cookie real session in a second Cookie header", get("/app/hello.jsp", "Cookie: a=1", "Cookie: JSESSIONID={{sid:tomcat1}}"),
		better("Apache joins repeated Cookie headers with a comma, which Tomcat's cookie parser does not split, so the session in the second one is lost; roll forwards each as sent", line("hits", "2"))},
	{"cookie two Cookie headers as Tomcat sees them", get("/app/info.jsp", "Cookie: a=1", "Cookie: b=2"),
		better("Apache joins repeated Cookie headers with a comma, which Tomcat's cookie parser does not split; roll forwards each as sent", line("header.cookie", "a=1"), line("header.cookie", "b=2"))},
	{"cookie real session in a path parameter", get("/app/hello.jsp;jsessionid={{sid:tomcat2}}"), same},
	{"cookie path parameter wins over the cookie", get("/app/hello.jsp;jsessionid={{sid:tomcat1}}", "Cookie: JSESSIONID={{sid:tomcat2}}"), same},
	{"cookie the first of two JSESSIONID", get("/app/info.jsp", "Cookie: JSESSIONID=a.tomcat2; JSESSIONID=b.tomcat1"), same},
	{"cookie empty JSESSIONID then a real one", get("/app/info.jsp", "Cookie: JSESSIONID=; JSESSIONID=b.tomcat1"), same},
	{"cookie quoted value", get("/app/info.jsp", "Cookie: JSESSIONID=\"q.tomcat2\""), same},
	{"cookie name in other case is not the session", get("/app/info.jsp", "Cookie: jsessionid=x.tomcat1"), same},
	{"cookie jsessionid in the query is not sticky", get("/app/info.jsp?jsessionid=x.tomcat1"), same},
	{"cookie long (4000 bytes)", get("/app/info.jsp", "Cookie: big="+repeat("c", 4000)+"; JSESSIONID=x.tomcat2"), same},
	{"cookie the gateway's admin token", get("/app/info.jsp", "Cookie: a=1; roll_admin_token=frontdoor-admin-token; b=2"),
		better("roll never forwards its admin cookie to an app; mod_jk has no such cookie to protect", noLine("header.cookie=a=1; roll_admin_token"), line("header.cookie", "a=1; b=2"))},
	{"cookie the gateway's admin token alone", get("/app/info.jsp", "Cookie: roll_admin_token=frontdoor-admin-token"),
		better("roll never forwards its admin cookie to an app; mod_jk has no such cookie to protect", noLine("header.cookie="))},
}

var hostCases = []dcase{
	{"host plain name", get("/app/info.jsp"), same},
	{"host with a port", lines("GET /app/info.jsp HTTP/1.1", "Host: frontdoor.test:8080"), same},
	{"host in upper case", lines("GET /app/info.jsp HTTP/1.1", "Host: FrontDoor.TEST"), same},
	{"host the front door's own address", lines("GET /app/info.jsp HTTP/1.1", "Host: 127.0.0.1:{{port}}"), same},
	{"host IPv6 literal with a port", lines("GET /app/info.jsp HTTP/1.1", "Host: [::1]:8080"), same},
	{"host IPv6 literal", lines("GET /app/info.jsp HTTP/1.1", "Host: [::1]"), same},
	{"host trailing dot", lines("GET /app/info.jsp HTTP/1.1", "Host: frontdoor.test."), same},
	{"host missing on HTTP/1.1", lines("GET /app/info.jsp HTTP/1.1"), same},
	{"host missing on HTTP/1.0", lines("GET /app/info.jsp HTTP/1.0"),
		rollDoes("no Host forwarded, and the gateway's own name as server_name", noLine("header.host="), line("server_name", "127.0.0.1"))},
	{"host empty on HTTP/1.1", lines("GET /app/info.jsp HTTP/1.1", "Host:"), same},
	{"host twice", lines("GET /app/info.jsp HTTP/1.1", "Host: a.test", "Host: b.test"), same},
	{"host with a path", lines("GET /app/info.jsp HTTP/1.1", "Host: a.test/x"), same},
	{"host with userinfo", lines("GET /app/info.jsp HTTP/1.1", "Host: user@a.test"), same},
	{"host with a space", lines("GET /app/info.jsp HTTP/1.1", "Host: a test"), same},
	{"host port not a number", lines("GET /app/info.jsp HTTP/1.1", "Host: a.test:http"), same},
	{"host absolute-form wins over the Host header", lines("GET http://one.test/app/info.jsp HTTP/1.1", "Host: two.test"), same},
	{"host redirect of the mount root builds Location", lines("GET /app HTTP/1.1", "Host: frontdoor.test:8443"), same},
}
