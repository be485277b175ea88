package gateway

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// wireRequest is a client request of the request table, sent as raw bytes.
type wireRequest struct {
	name    string
	raw     string
	trusted bool // sent by a trusted proxy (the gateway trusts 127.0.0.1)
}

const wireHost = "Host: app.test\r\n"

func rawGet(target, fields string) string {
	return "GET " + target + " HTTP/1.1\r\n" + wireHost + fields + "\r\n"
}

var wireRequests = []wireRequest{
	{name: "GET with a session cookie", raw: rawGet("/app/x", "User-Agent: curl/8.5\r\nAccept: */*\r\nCookie: JSESSIONID=ABC.a\r\n")},
	{name: "no User-Agent", raw: rawGet("/app/x", "")},
	{name: "empty User-Agent", raw: rawGet("/app/x", "User-Agent: \r\n")},
	{name: "two User-Agents, one empty", raw: rawGet("/app/x", "User-Agent: \r\nUser-Agent: b\r\n")},
	{name: "query as sent", raw: rawGet("/app/x?a=1&b=%20;c&d&e=%zz", "")},
	{name: "bare question mark", raw: rawGet("/app/x?", "")},
	{name: "normalised path", raw: rawGet("/app/./y/../%7euser/%3B/x%2a/%c3%a9", "")},
	{name: "path parameter session", raw: rawGet("/app;jsessionid=ZZZ.a/x", "")},
	{name: "absolute form wins over Host", raw: "GET http://Other.Test:8080/app/x?q HTTP/1.1\r\n" + wireHost + "\r\n"},
	{name: "HTTP/1.0 without Host", raw: "GET /app/x HTTP/1.0\r\n\r\n"},
	{name: "HTTP/1.0 keep-alive", raw: "GET /app/x HTTP/1.0\r\n" + wireHost + "Connection: keep-alive\r\n\r\n"},
	{name: "Host with a port", raw: "GET /app/x HTTP/1.1\r\nHost: app.test:8443\r\n\r\n"},
	{name: "IPv6 Host", raw: "GET /app/x HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n"},
	{name: "hop-by-hop fields", raw: rawGet("/app/x", "Connection: keep-alive, X-Hop, Upgrade\r\nX-Hop: 1\r\nKeep-Alive: 300\r\n"+
		"TE: trailers, deflate\r\nTrailer: X-T\r\nUpgrade: websocket\r\nProxy-Authorization: Basic eA==\r\n"+
		"Proxy-Connection: keep-alive\r\nProxy-Foo: 1\r\nX-Kept: yes\r\n")},
	{name: "Connection names Cookie", raw: rawGet("/app/x", "Connection: Cookie\r\nCookie: a=1\r\n")},
	{name: "an upgrade request", raw: rawGet("/app/x", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")},
	{name: "an upgrade to a non-ASCII protocol", raw: rawGet("/app/x", "Connection: upgrade\r\nUpgrade: w\xe9b\r\n")},
	{name: "forwarding fields of an untrusted client", raw: rawGet("/app/x", "X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Host: evil\r\n"+
		"X-Forwarded-Proto: https\r\nForwarded: for=1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\nX-Forwarded-Port: 443\r\n"+
		"X-Forwarded-Prefix: /p\r\nX-Forwarded-Ssl: on\r\nX-Forwarded-Server: s\r\nX-Forwarded-Scheme: https\r\n"+
		"X-Forwarded-Uri: /u\r\nX-Original-URL: /o\r\nX-Rewrite-URL: /r\r\nFront-End-Https: on\r\n"+
		"X-Roll-Activation: ACT\r\nx-roll-anything: 1\r\nX-Rolled: kept\r\n")},
	{name: "status cookies", raw: rawGet("/app/x", "Cookie: a=1; roll_status=abc; b=2\r\nCookie: roll_admin_token=t\r\nCookie: c=3\r\n")},
	{name: "only a status cookie", raw: rawGet("/app/x", "Cookie: roll_status=abc\r\n")},
	{name: "POST with a form", raw: "POST /app/p HTTP/1.1\r\n" + wireHost + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2"},
	{name: "POST over several packets", raw: "POST /app/p HTTP/1.1\r\n" + wireHost + "Content-Length: 20000\r\n\r\n" + strings.Repeat("x", 20000)},
	{name: "chunked POST", raw: "POST /app/p HTTP/1.1\r\n" + wireHost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
	{name: "POST without a body", raw: "POST /app/p HTTP/1.1\r\n" + wireHost + "Content-Length: 0\r\n\r\n"},
	{name: "Content-Length with leading zeros", raw: "POST /app/p HTTP/1.1\r\n" + wireHost + "Content-Length: 0005\r\n\r\nhello"},
	{name: "PATCH", raw: "PATCH /app/p HTTP/1.1\r\n" + wireHost + "Content-Length: 2\r\n\r\n{}"},
	{name: "Expect 100-continue", raw: "PUT /app/p HTTP/1.1\r\n" + wireHost + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"},
	{name: "HEAD", raw: "HEAD /app/x HTTP/1.1\r\n" + wireHost + "\r\n"},
	{name: "OPTIONS", raw: "OPTIONS /app/x HTTP/1.1\r\n" + wireHost + "\r\n"},
	{name: "DELETE", raw: "DELETE /app/x HTTP/1.1\r\n" + wireHost + "\r\n"},
	{name: "repeated and odd-case fields", raw: rawGet("/app/x", "accept: a\r\nACCEPT: b\r\nx-custom-HEADER: v\r\nAuthorization: Basic dTpw\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n")},
	{name: "sticky to a draining backend", raw: "GET /drain/x HTTP/1.1\r\n" + wireHost + "Cookie: JSESSIONID=S.d\r\n\r\n"},
	{name: "not sticky while one drains", raw: "GET /drain/x HTTP/1.1\r\n" + wireHost + "\r\n"},
	{name: "headers over the packet size", raw: rawGet("/app/x", "Cookie: "+strings.Repeat("c", 9000)+"\r\n")},
	{name: "URI over the packet size", raw: "GET /app/" + strings.Repeat("u", 8160) + " HTTP/1.1\r\n" + wireHost + "\r\n"},
	{name: "trusted proxy, https", trusted: true, raw: rawGet("/app/x", "X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop\r\nForwarded: for=x\r\n")},
	{name: "trusted proxy, https on a port", trusted: true, raw: "GET /app/x HTTP/1.1\r\nHost: app.test:8443\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n"},
	{name: "trusted proxy, last X-Forwarded-Proto", trusted: true, raw: rawGet("/app/x", "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Proto: https\r\n")},
	{name: "trusted proxy, garbage chain", trusted: true, raw: rawGet("/app/x", "X-Forwarded-For: nonsense\r\nX-Forwarded-Proto: https\r\n")},
	{name: "trusted proxy, no chain", trusted: true, raw: rawGet("/app/x", "X-Forwarded-Proto: https\r\n")},
	{name: "trusted proxy, IPv6 client", trusted: true, raw: rawGet("/app/x", "X-Forwarded-For: [::ffff:10.0.0.1]\r\nX-Forwarded-For: 2001:db8::1\r\n")},
}

// TestWireRequests pins the FORWARD_REQUEST of every request of the table.
func TestWireRequests(t *testing.T) {
	ok := func(c *ajptest.Conn, f *ajp.ForwardRequest) bool { return c.Respond(200, "ok", true) == nil }
	plain, plainBackends := wireGateway(t, nil, ok)
	trusted, trustedBackends := wireGateway(t, trustLoopback, ok)
	wireRequestGoldens(t, "ajp_requests.golden", [2]*testGateway{plain, trusted}, [2][]wireRecorder{wireRecorders(plainBackends), wireRecorders(trustedBackends)})
}

func trustLoopback(c *Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// wireRecorder is a scripted backend: what reached it, rendered.
type wireRecorder interface{ requests() []string }

func wireRecorders[B wireRecorder](bs []B) []wireRecorder {
	out := make([]wireRecorder, len(bs))
	for i, b := range bs {
		out[i] = b
	}
	return out
}

// wireRequestGoldens sends every request of the table to gateways[0], or gateways[1] when it
// comes from a trusted proxy, and pins what their backends saw and what the client got.
func wireRequestGoldens(t *testing.T, file string, gateways [2]*testGateway, backendsOf [2][]wireRecorder) {
	t.Helper()
	got := map[string]string{}
	var names []string
	for _, rq := range wireRequests {
		i := 0
		if rq.trusted {
			i = 1
		}
		g, backends := gateways[i], backendsOf[i]
		before := map[wireRecorder]int{}
		for _, wb := range backends {
			before[wb] = len(wb.requests())
		}
		method, _, _ := strings.Cut(rq.raw, " ")
		answer := wireExchangeInterim(t, g, method, rq.raw, false, strings.HasPrefix(file, "http"))
		var b strings.Builder
		for _, wb := range backends {
			for _, r := range wb.requests()[before[wb]:] {
				b.WriteString(r + "\n")
			}
		}
		if b.Len() == 0 {
			b.WriteString("no request reached a backend\n")
		}
		b.WriteString(answer)
		port := strings.TrimPrefix(g.URL, "http://127.0.0.1:")
		names = append(names, rq.name)
		got[rq.name] = strings.ReplaceAll(strings.ReplaceAll(b.String(), "server_port "+port, "server_port <gateway port>"), port, "<gateway port>")
	}
	golden(t, file, names, got)
}
