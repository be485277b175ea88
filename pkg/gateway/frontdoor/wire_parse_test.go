package frontdoor

import (
	"bufio"
	"strings"
	"testing"
)

// The suite's own parser decides what every case saw; it must read each framing exactly.
func TestReadResponseFramings(t *testing.T) {
	cases := []struct {
		name, wire, method string
		status             int
		body, framing      string
		interim            []int
		bareLF, broken     bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcNEXT", "GET", 200, "abc", "length", nil, false, false},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n1\r\nd\r\n0\r\nT: 1\r\n\r\nNEXT", "GET", 200, "abcd", "chunked", nil, false, false},
		{"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nNEXT", "HEAD", 200, "", "none", nil, false, false},
		{"204 has no body", "HTTP/1.1 204 No Content\r\n\r\nNEXT", "GET", 204, "", "none", nil, false, false},
		{"interim 100 first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", "POST", 201, "", "length", []int{100}, false, false},
		{"until close", "HTTP/1.1 200 OK\r\n\r\nall of it", "GET", 200, "all of it", "close", nil, false, false},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", "GET", 200, "x", "length", nil, true, false},
		{"HTTP/0.9 body", "<html>hi</html>", "GET", 0, "<html>hi</html>", "close", nil, false, false},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "GET", 200, "abc", "length", nil, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(c.wire))
			r, err := readResponse(br, c.method)
			if err != nil {
				t.Fatalf("readResponse: %v", err)
			}
			if r.Status != c.status || string(r.Body) != c.body || r.Framing != c.framing || r.BareLF != c.bareLF || (r.Err != nil) != c.broken || len(r.Interim) != len(c.interim) {
				t.Fatalf("got status %d body %q framing %s interim %v bareLF %v err %v", r.Status, r.Body, r.Framing, r.Interim, r.BareLF, r.Err)
			}
			if rest, _ := br.Peek(4); !c.broken && c.framing != "close" && len(rest) > 0 && string(rest) != "NEXT" {
				t.Fatalf("left %q unread, want the next response's bytes", rest)
			}
		})
	}
}

func TestMethodsOfFollowsTheTestsFraming(t *testing.T) {
	steps := concat(
		raw("\r\n"),
		post("/a", "GET /not-a-request HTTP/1.1\r\n\r\n"),
		chunked("/b", []string{"HEAD /x HTTP/1.1\r\n\r\n"}),
		req("HEAD", "/c"),
		raw("POST /d HTTP/1.1\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n"),
		get("/e"),
	)
	got := strings.Join(methodsOf(steps), " ")
	if got != "POST POST HEAD POST GET" {
		t.Fatalf("methodsOf = %s", got)
	}
}
