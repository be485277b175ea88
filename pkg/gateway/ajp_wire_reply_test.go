package gateway

import (
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// wireCase is a backend reply of the reply table, and the request that gets it.
type wireCase struct {
	name  string
	raw   string   // the client's request; a GET of /app/x by default
	reply [][]byte // sent as they are after the request and its body
	// after says what the backend does then: keep serving the connection (""), "close" it,
	// or "hang" until the gateway closes it.
	after     string
	halfClose bool // the client half-closes after its request (a body that breaks off)
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// headers encodes SEND_HEADERS with name/value pairs.
func headers(status int, pairs ...string) []byte {
	h := ajp.SendHeaders{Status: status, Reason: strconv.Itoa(status)}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Headers = append(h.Headers, ajp.Header{Name: pairs[i], Value: pairs[i+1]})
	}
	b, err := h.AppendPacket(nil, ajp.DefaultPacketSize)
	if err != nil {
		panic(err)
	}
	return b
}

func chunk(s string) []byte { return ajp.AppendBodyChunk(nil, []byte(s)) }

// chunks splits body into SEND_BODY_CHUNK packets as Tomcat fills them.
func chunks(body string) []byte {
	var out []byte
	for body != "" {
		n := min(len(body), ajp.MaxBodyChunk(ajp.DefaultPacketSize))
		out = ajp.AppendBodyChunk(out, []byte(body[:n]))
		body = body[n:]
	}
	return out
}

var (
	flush    = chunk("")
	endReuse = ajp.AppendEndResponse(nil, true)
	endClose = ajp.AppendEndResponse(nil, false)
	bigBody  = strings.Repeat("0123456789abcdef", 6250) // 100,000 bytes
)

var wireCases = []wireCase{
	{name: "200 with a length", reply: [][]byte{headers(200, "Content-Type", "text/plain", "Content-Length", "5"), chunk("hello"), endReuse}},
	{name: "200 without a length, flushed between chunks", reply: [][]byte{headers(200, "Content-Type", "text/plain"), chunk("hel"), flush, chunk("lo"), endReuse}},
	{name: "200 and the backend closes after", reply: [][]byte{headers(200, "Content-Length", "2"), chunk("ok"), endClose}, after: "close"},
	{name: "204", reply: [][]byte{headers(204, "X-A", "1"), endReuse}},
	{name: "304 with a length", reply: [][]byte{headers(304, "Content-Length", "5", "ETag", `"x"`), endReuse}},
	{name: "HEAD with a length", raw: "HEAD /app/x HTTP/1.1\r\nHost: app.test\r\n\r\n", reply: [][]byte{headers(200, "Content-Length", "5"), endReuse}},
	{name: "a body on a 204 is dropped", reply: [][]byte{headers(204), chunk("junk"), endReuse}},
	{name: "a body on a 205 is dropped", reply: [][]byte{headers(205, "Content-Type", "text/plain"), chunk("junk"), endReuse}},
	{name: "205 with a length and no body, as Tomcat sends it", reply: [][]byte{headers(205, "Content-Length", "24"), endReuse}},
	{name: "Set-Cookie issues a session", reply: [][]byte{headers(200, "Set-Cookie", "JSESSIONID=NEW1.a; Path=/; HttpOnly", "Content-Length", "0"), endReuse}},
	{name: "Set-Cookie with Max-Age=0", raw: rawGet("/app/x", "Cookie: JSESSIONID=OLD.a\r\n"), reply: [][]byte{headers(200, "Set-Cookie", "JSESSIONID=OLD.a; Max-Age=0", "Content-Length", "0"), endReuse}},
	{name: "Location with a session of this backend", reply: [][]byte{headers(302, "Location", "http://app.test/app/next;jsessionid=LOC1.a?x=1", "Content-Length", "0"), endReuse}},
	{name: "Location with a session of another route", reply: [][]byte{headers(302, "Location", "/app/next;jsessionid=LOC1.zz", "Content-Length", "0"), endReuse}},
	{name: "repeated fields and two cookies", reply: [][]byte{headers(200, "Set-Cookie", "a=1", "X-Multi", "1", "Set-Cookie", "JSESSIONID=TWO.a", "X-Multi", "2", "Content-Length", "0"), endReuse}},
	{name: "hop-by-hop fields of the backend", reply: [][]byte{headers(200, "Connection", "X-Foo, close", "X-Foo", "1", "Keep-Alive", "timeout=5",
		"Upgrade", "h2c", "Trailer", "X-T", "Proxy-Authenticate", "Basic", "Te", "x", "Proxy-Connection", "close", "X-Kept", "1", "Content-Length", "2"), chunk("ok"), endReuse}},
	{name: "Transfer-Encoding without a length", reply: [][]byte{headers(200, "Transfer-Encoding", "chunked"), chunk("ok"), endReuse}},
	{name: "lower-case and coded names", reply: [][]byte{headers(200, "content-type", "text/html", "x-lower", "v", "WWW-Authenticate", "Basic", "Content-Length", "0"), endReuse}},
	{name: "101 nobody asked for", reply: [][]byte{headers(101, "Connection", "upgrade", "Upgrade", "websocket"), endReuse}},
	{name: "101 to the upgrade asked for", raw: rawGet("/app/x", "Connection: Upgrade\r\nUpgrade: websocket\r\n"),
		reply: [][]byte{headers(101, "Connection", "Upgrade", "Upgrade", "websocket"), endReuse}},
	{name: "103 as the final status", reply: [][]byte{headers(103, "Link", "</s.css>; rel=preload"), endReuse}},
	{name: "status 599", reply: [][]byte{headers(599, "Content-Length", "1"), chunk("x"), endReuse}},
	{name: "many fields", reply: [][]byte{manyFields(90), endReuse}},
	{name: "a large body with a length", reply: [][]byte{headers(200, "Content-Length", strconv.Itoa(len(bigBody))), chunks(bigBody), endReuse}},
	{name: "a large body without a length", reply: [][]byte{headers(200), chunks(bigBody), endReuse}},
	{name: "GET_BODY_CHUNK before the headers of a GET", reply: [][]byte{ajp.AppendGetBodyChunk(nil, 8186), headers(200, "Content-Length", "2"), chunk("ok"), endReuse}},
	{name: "POST answered without reading the body", raw: "POST /app/unread HTTP/1.1\r\nHost: app.test\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("x", 20000),
		reply: [][]byte{headers(200, "Content-Length", "2"), chunk("ok"), endReuse}},

	{name: "garbage", reply: [][]byte{[]byte("XY\x00\x02garbage")}, after: "close"},
	{name: "wrong magic", reply: [][]byte{hexBytes("1234 0001 09")}, after: "close"},
	{name: "HTTP instead of AJP", reply: [][]byte{[]byte("HTTP/1.1 200 OK\r\n\r\n")}, after: "close"},
	{name: "oversize length", reply: [][]byte{hexBytes("4142 ffff 04")}, after: "close"},
	{name: "unknown message type", reply: [][]byte{hexBytes("4142 0001 0b")}, after: "close"},
	{name: "empty packet", reply: [][]byte{hexBytes("4142 0000")}, after: "close"},
	{name: "lying header count", reply: [][]byte{hexBytes("4142 000b 04 00c8 0003 323030 00 ffff")}, after: "close"},
	{name: "unknown header code", reply: [][]byte{hexBytes("4142 000d 04 00c8 0000 00 0001 a00c 0000 00")}, after: "close"},
	{name: "line break in a header name", reply: [][]byte{hexBytes("4142 0014 04 00c8 0000 00 0001 0005 410d0a4201 00 0001 76 00")}, after: "close"},
	{name: "line break in a header value", reply: [][]byte{hexBytes("4142 0011 04 00c8 0000 00 0001 a001 0004 610a6263 00")}, after: "close"},
	{name: "negative Content-Length", reply: [][]byte{headers(200, "Content-Length", "-1")}, after: "close"},
	{name: "two Content-Lengths", reply: [][]byte{headers(200, "Content-Length", "1", "Content-Length", "1")}, after: "close"},
	{name: "Content-Length and Transfer-Encoding", reply: [][]byte{headers(200, "Content-Length", "1", "Transfer-Encoding", "chunked")}, after: "close"},
	{name: "status 0", reply: [][]byte{hexBytes("4142 0008 04 0000 0000 00 0000")}, after: "close"},
	{name: "END_RESPONSE before the headers", reply: [][]byte{endReuse}, after: "close"},
	{name: "body before the headers", reply: [][]byte{chunk("hello")}, after: "close"},
	{name: "second SEND_HEADERS mid-body", reply: [][]byte{headers(200), chunk("hello"), headers(200)}, after: "close"},
	{name: "chunk longer than its packet", reply: [][]byte{headers(200), hexBytes("4142 0005 03 0010 41 00")}, after: "close"},
	{name: "body longer than its length", reply: [][]byte{headers(200, "Content-Length", "10"), chunk("hello"), chunk("hello"), chunk("hello")}, after: "close"},
	{name: "body shorter than its length", reply: [][]byte{headers(200, "Content-Length", "10"), chunk("hello"), endReuse}, after: "close"},
	{name: "malformed END_RESPONSE after a whole body", reply: [][]byte{headers(200, "Content-Length", "5"), chunk("hello"), hexBytes("4142 0001 05")}, after: "close"},
	{name: "malformed END_RESPONSE without a length", reply: [][]byte{headers(200), chunk("hello"), hexBytes("4142 0001 05")}, after: "close"},
	{name: "packet cut short mid-body", reply: [][]byte{headers(200), hexBytes("4142 0009 03 0005 6865")}, after: "close"},
	{name: "close mid-body with a length", reply: [][]byte{headers(200, "Content-Length", "10"), chunk("hello")}, after: "close"},
	{name: "close mid-body without a length", reply: [][]byte{headers(200), chunk("hello")}, after: "close"},
	{name: "close before any reply", after: "close"},
	{name: "POST, close before any reply", raw: "POST /app/p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n", after: "close"},
	{name: "POST with a body, close before any reply", raw: "POST /app/p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc", after: "close"},
	{name: "never answers", after: "hang"},
	{name: "stalls mid-body", reply: [][]byte{headers(200), chunk("hello")}, after: "hang"},
	{name: "stalls mid-body with a length", reply: [][]byte{headers(200, "Content-Length", "10"), chunk("hello")}, after: "hang"},
	{name: "the client's body breaks off", raw: "POST /app/p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 10),
		halfClose: true, reply: [][]byte{headers(200, "Content-Length", "2"), chunk("ok"), endReuse}},
}

// keepServing does what a scripted backend does after its reply (after): keep serving the
// connection (""), "close" it, or "hang" reading conn until the gateway closes it.
func keepServing(after string, conn io.Reader) bool {
	switch after {
	case "close":
		return false
	case "hang":
		_, _ = io.Copy(io.Discard, conn)
		return false
	}
	return true
}

// replyCase sends raw (a GET of /app/x when "") and renders the answer (with its 1xx answers
// when showInterim) and what the gateway and backend a counted.
func replyCase(t *testing.T, g *testGateway, raw string, halfClose, showInterim bool, a wireRecorder) string {
	t.Helper()
	if raw == "" {
		raw = rawGet("/app/x", "")
	}
	method, _, _ := strings.Cut(raw, " ")
	answer := wireExchangeInterim(t, g, method, raw, halfClose, showInterim)
	counters := settled(t, g, "app", "a")
	return answer + "\n" + counters + " client_errors " + strconv.FormatUint(clientErrorsOf(t, g, "app"), 10) +
		" backend_requests " + strconv.Itoa(len(a.requests()))
}

func manyFields(n int) []byte {
	var pairs []string
	for i := range n {
		pairs = append(pairs, "X-F"+strconv.Itoa(i), strconv.Itoa(i))
	}
	return headers(200, append(pairs, "Content-Length", "0")...)
}

// TestWireReplies pins what the client gets for every reply of the table, and what the
// gateway counted: each case on a gateway of its own, with a reply timeout of 300 ms.
func TestWireReplies(t *testing.T) {
	got := map[string]string{}
	var names []string
	for _, wc := range wireCases {
		g, backends := wireGateway(t, func(c *Config) { c.ReplyTimeout = 300 * time.Millisecond }, func(c *ajptest.Conn, f *ajp.ForwardRequest) bool {
			if c.Send(wc.reply...) != nil {
				return false
			}
			return keepServing(wc.after, c)
		})
		names = append(names, wc.name)
		got[wc.name] = replyCase(t, g, wc.raw, wc.halfClose, false, backends[0])
	}
	golden(t, "ajp_replies.golden", names, got)
}
