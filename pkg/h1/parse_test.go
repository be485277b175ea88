package h1

import (
	"net/http"
	"strings"
	"testing"
)

// Every request the server must refuse, with its status. After a refusal the connection is
// closed: nothing sent after the bad request is ever answered.
func TestRefusedRequests(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(echo), nil)
	long := strings.Repeat("a", DefaultMaxRequestLine)
	cases := []struct {
		name, req string
		status    int
	}{
		{"smuggling CL+TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"smuggling TE+CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400},
		{"duplicate CL equal", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
		{"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx", 400},
		{"signed CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", 400},
		{"negative CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
		{"hex CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x1\r\n\r\nx", 400},
		{"TE gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"TE chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
		{"TE two headers", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"bare LF request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
		{"bare LF header", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},
		{"bare LF end", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
		{"CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 400},
		{"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400},
		{"HTTP/0.9", "GET /\r\n\r\n", 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
		{"lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
		{"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"control in target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"bad escape", "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"no Host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
		{"empty Host on 1.1", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"bad Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
		{"Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"Host bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
		{"userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"ftp URL", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"star not OPTIONS", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405},
		{"method not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"Expect other", "GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417},
		{"request line too long", "GET /" + long + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
		{"head too large", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", DefaultMaxHeaderBytes) + "\r\n\r\n", 431},
		{"too many fields", "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", DefaultMaxHeaderFields+1) + "\r\n", 431},
		{"empty lines only", "\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			// A second request follows the bad one: it must never be answered.
			c.send(tc.req + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
			resp, body := c.answer(http.MethodGet)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(body), tc.status)
			}
			if !resp.Close {
				t.Errorf("the refusal does not say Connection: close")
			}
			if !c.closed() {
				t.Errorf("the connection stayed open after a refusal")
			}
		})
	}
}

func TestAcceptedForms(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(echo), nil)
	cases := []struct{ name, req, want string }{
		{"origin", "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a/b raw= q=x=1 host=h body="},
		{"escaped path keeps raw", "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a b raw=/a%20b q= host=h body="},
		{"absolute form wins over Host", "GET http://abs.example:81/p?q HTTP/1.1\r\nHost: h\r\n\r\n", "GET /p raw= q=q host=abs.example:81 body="},
		{"absolute form without path", "GET http://abs HTTP/1.1\r\nHost: h\r\n\r\n", "GET / raw= q= host=abs body="},
		{"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", "GET / raw= q= host= body="},
		{"IPv6 Host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET / raw= q= host=[::1]:8080 body="},
		{"leading CRLF", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / raw= q= host=h body="},
		{"OWS around value", "GET / HTTP/1.1\r\nHost: \t h \t\r\n\r\n", "GET / raw= q= host=h body="},
		{"lower-case names", "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\nab", "POST / raw= q= host=h body=ab"},
		{"unknown method", "PURGE / HTTP/1.1\r\nHost: h\r\n\r\n", "PURGE / raw= q= host=h body="},
		{"star OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "OPTIONS * raw= q= host=h body="},
		{"chunked with extension and trailer", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n1\r\nd\r\n0\r\nX-T: 1\r\n\r\n", "POST / raw= q= host=h body=abcd"},
		{"chunked upper-case", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "POST / raw= q= host=h body=0123456789"},
		{"raw UTF-8 target, as Apache accepts", "GET /\xc3\xa9?q=\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", "GET /\xc3\xa9 raw= q=q=\xc3\xa9 host=h body="},
		{"obs-text value", "GET / HTTP/1.1\r\nHost: h\r\nX: caf\xe9\r\n\r\n", "GET / raw= q= host=h body="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			c.send(tc.req)
			resp, body := c.answer(http.MethodGet)
			if resp.StatusCode != 200 || body != tc.want {
				t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, tc.want)
			}
		})
	}
}

func TestEmptyQueryIsKept(t *testing.T) {
	var got *http.Request
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r }), nil)
	c := dial(t, addr)
	c.send("GET /x? HTTP/1.1\r\nHost: h\r\n\r\n")
	c.answer(http.MethodGet)
	if !got.URL.ForceQuery || got.URL.RawQuery != "" || got.URL.String() != "/x?" {
		t.Fatalf("URL %q (ForceQuery %v): the empty query is lost", got.URL.String(), got.URL.ForceQuery)
	}
}
