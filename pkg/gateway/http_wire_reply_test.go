package gateway

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// httpWireCase is a raw backend answer of the HTTP reply table, and the request that gets it.
type httpWireCase struct {
	name  string
	raw   string // the client's request; a GET of /app/x by default
	reply string // sent as it is after the request and its body
	// after says what the backend does then: keep serving the connection (""), "close" it,
	// "hang" until the gateway closes it, or "swallow" the request body it did not read and go
	// on, as Tomcat does (maxSwallowSize): closing with the body unread would reset the
	// connection, and whether the answer is read before the reset is a matter of timing.
	after     string
	halfClose bool // the client half-closes after its request (a body that breaks off)
	// differs says how and why the direct relay's answer differs from what the ReverseProxy
	// path gave, which the golden file first recorded; "" when it is the same.
	differs string
}

const (
	okHead   = "HTTP/1.1 200 OK\r\n"
	bigField = "X-Big: " // followed by 70,000 bytes: a head over 64 KiB
)

var httpWireCases = []httpWireCase{
	{name: "200 with a length", reply: okHead + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"},
	{name: "200 chunked", reply: okHead + "Transfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"},
	{name: "200 chunked with extensions and trailers", reply: okHead + "Transfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"},
	{name: "200 until the backend closes", reply: okHead + "Content-Type: text/plain\r\n\r\nhello", after: "close"},
	{name: "200 with Connection: close", reply: okHead + "Connection: close\r\nContent-Length: 2\r\n\r\nok", after: "close"},
	{name: "HTTP/1.0 answer", reply: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", after: "close"},
	{name: "204", reply: "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"},
	{name: "304 with a length", reply: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n"},
	{name: "HEAD with a length", raw: "HEAD /app/x HTTP/1.1\r\nHost: app.test\r\n\r\n", reply: okHead + "Content-Length: 5\r\n\r\n"},
	{name: "HEAD chunked", raw: "HEAD /app/x HTTP/1.1\r\nHost: app.test\r\n\r\n", reply: okHead + "Transfer-Encoding: chunked\r\n\r\n"},
	{name: "no reason phrase", reply: "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"},
	{name: "status 599", reply: "HTTP/1.1 599 Odd\r\nContent-Length: 1\r\n\r\nx"},
	{name: "100 before the answer", reply: "HTTP/1.1 100 Continue\r\n\r\n" + okHead + "Content-Length: 2\r\n\r\nok"},
	{name: "103 before the answer", reply: "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + okHead + "Content-Length: 2\r\n\r\nok"},
	{name: "102 before the answer", reply: "HTTP/1.1 102 Processing\r\n\r\n" + okHead + "Content-Length: 2\r\n\r\nok"},
	{name: "six 103s", reply: strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 6) + okHead + "Content-Length: 2\r\n\r\nok", after: "close"},
	{name: "101 nobody asked for", reply: "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", after: "close"},
	{name: "Set-Cookie issues a session", reply: okHead + "Set-Cookie: JSESSIONID=NEW1.a; Path=/; HttpOnly\r\nContent-Length: 0\r\n\r\n"},
	{name: "Location with a session of this backend", reply: "HTTP/1.1 302 Found\r\nLocation: http://app.test/app/next;jsessionid=LOC1.a?x=1\r\nContent-Length: 0\r\n\r\n"},
	{name: "repeated fields and two cookies", reply: okHead + "Set-Cookie: a=1\r\nX-Multi: 1\r\nSet-Cookie: JSESSIONID=TWO.a\r\nX-Multi: 2\r\nContent-Length: 0\r\n\r\n"},
	{name: "hop-by-hop fields of the backend", reply: okHead + "Connection: X-Foo\r\nX-Foo: 1\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\n" +
		"Proxy-Authenticate: Basic\r\nTe: x\r\nProxy-Connection: close\r\nX-Kept: 1\r\nContent-Length: 2\r\n\r\nok"},
	{name: "lower-case names", reply: okHead + "content-type: text/html\r\nx-lower: v\r\ncontent-length: 0\r\n\r\n"},
	{name: "two equal Content-Lengths", reply: okHead + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok"},
	{name: "a large body with a length", reply: okHead + "Content-Length: " + strconv.Itoa(len(bigBody)) + "\r\n\r\n" + bigBody},
	{name: "a large body chunked", reply: okHead + "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(bigBody)), 16) + "\r\n" + bigBody + "\r\n0\r\n\r\n"},
	{name: "POST answered without reading the body", raw: "POST /app/unread HTTP/1.1\r\nHost: app.test\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("x", 20000),
		reply: okHead + "Content-Length: 2\r\n\r\nok", after: "swallow"},

	{name: "garbage", reply: "garbage\r\n\r\n", after: "close"},
	{name: "AJP instead of HTTP", reply: "AB\x00\x02\x05\x01", after: "close"},
	{name: "status of two digits", reply: "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", after: "close"},
	{name: "status 1000", reply: "HTTP/1.1 1000 OK\r\nContent-Length: 0\r\n\r\n", after: "close"},
	{name: "HTTP/2.0 status line", reply: "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", after: "close",
		differs: "was 200: net/http reads any HTTP/x.y line; an HTTP/1 connection that says HTTP/2.0 is a backend in doubt, 502"},
	{name: "bare LF line ends", reply: "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", after: "close",
		differs: "was 200: net/http accepts bare LF; the relay is as strict with backends as pkg/h1 with clients, 502"},
	{name: "obs-fold", reply: okHead + "X-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", after: "close",
		differs: "was 200 with the lines unfolded; obs-fold is refused as pkg/h1 refuses it from clients, 502"},
	{name: "space before the colon", reply: okHead + "X-A : 1\r\nContent-Length: 0\r\n\r\n", after: "close",
		differs: "was 200 with the field dropped; whitespace before a colon is a smuggling pattern (RFC 9112 §5.1), 502"},
	{name: "NUL in a value", reply: okHead + "X-A: a\x00b\r\nContent-Length: 0\r\n\r\n", after: "close"},
	{name: "a line without a colon", reply: okHead + "X-A\r\nContent-Length: 0\r\n\r\n", after: "close"},
	{name: "a head over 64 KiB", reply: okHead + bigField + strings.Repeat("b", 70000) + "\r\nContent-Length: 0\r\n\r\n", after: "close",
		differs: "was 200: net/http allows 10 MiB of response head; the relay bounds it as pkg/h1 bounds a request head (64 KiB), 502"},
	{name: "negative Content-Length", reply: okHead + "Content-Length: -1\r\n\r\n", after: "close"},
	{name: "Content-Length not a number", reply: okHead + "Content-Length: 1x\r\n\r\n", after: "close"},
	{name: "two different Content-Lengths", reply: okHead + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nok", after: "close"},
	{name: "Content-Length and Transfer-Encoding", reply: okHead + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", after: "close",
		differs: "was 200, chunked believed; both at once is the smuggling pattern pkg/h1 refuses from clients, 502"},
	{name: "unknown transfer coding", reply: okHead + "Transfer-Encoding: gzip\r\n\r\nok", after: "close"},
	{name: "gzip, chunked", reply: okHead + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", after: "close"},
	{name: "malformed chunk size", reply: okHead + "Transfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", after: "close",
		differs: "was 200 with an empty body that looked complete; now 502 (nothing of the body had reached the client)"},
	{name: "chunk longer than its size", reply: okHead + "Transfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n0\r\n\r\n", after: "close",
		differs: "was a complete-looking \"ok\": the bad chunk ended the body in silence; now the client sees it break off"},
	{name: "body longer than its length", reply: okHead + "Content-Length: 2\r\n\r\nokay", after: "close"},
	{name: "close mid-body with a length", reply: okHead + "Content-Length: 10\r\n\r\nhello", after: "close"},
	{name: "close mid-body chunked", reply: okHead + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", after: "close",
		differs: "was a complete-looking \"hello\": ReverseProxy under pkg/h1 could not abort (no http.ServerContextKey); now the client sees it break off"},
	{name: "close mid-chunk", reply: okHead + "Transfer-Encoding: chunked\r\n\r\na\r\nhello", after: "close",
		differs: "was a complete-looking \"hello\", as above; now the client sees it break off"},
	{name: "close mid-head", reply: okHead + "Content-Le", after: "close"},
	{name: "close before any reply", after: "close"},
	{name: "POST, close before any reply", raw: "POST /app/p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n", after: "close"},
	{name: "POST with a body, close before any reply", raw: "POST /app/p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc", after: "close"},
	{name: "never answers", after: "hang"},
	{name: "the client's body breaks off", raw: "POST /app/p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 10),
		halfClose: true, reply: okHead + "Content-Length: 2\r\n\r\nok"},
}

// TestHTTPWireReplies pins what the client gets for every answer of the table, and what the
// gateway counted: each case on a gateway of its own, with a reply timeout of 300 ms.
func TestHTTPWireReplies(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	var names []string
	for _, wc := range httpWireCases {
		g, backends := httpWireGateway(t, func(c *Config) { c.ReplyTimeout = 300 * time.Millisecond }, func(c net.Conn, br *bufio.Reader, head []string) bool {
			if _, err := io.WriteString(c, wc.reply); err != nil {
				return false
			}
			if wc.after == "swallow" {
				n, _ := field(head, "Content-Length")
				length, _ := strconv.ParseInt(n, 10, 64)
				_, err := io.CopyN(io.Discard, br, length)
				return err == nil
			}
			return keepServing(wc.after, br)
		})
		names = append(names, wc.name)
		got[wc.name] = replyCase(t, g, wc.raw, wc.halfClose, true, backends[0])
		if wc.differs != "" {
			got[wc.name] += "\ndiffers from the ReverseProxy path on purpose: " + wc.differs
		}
	}
	golden(t, "http_replies.golden", names, got)
}
