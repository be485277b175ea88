package gateway

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
)

// TestHTTPWireRequests pins what an HTTP backend receives for every request of the table
// (wireRequests, shared with the AJP wire test) and what the client gets.
func TestHTTPWireRequests(t *testing.T) {
	ok := func(c net.Conn, _ *bufio.Reader, head []string) bool {
		answer := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		if strings.HasPrefix(head[0], "HEAD ") {
			answer = strings.TrimSuffix(answer, "ok")
		}
		_, err := io.WriteString(c, answer)
		return err == nil
	}
	plain, plainBackends := httpWireGateway(t, nil, ok)
	trusted, trustedBackends := httpWireGateway(t, trustLoopback, ok)
	wireRequestGoldens(t, "http_requests.golden", [2]*testGateway{plain, trusted}, [2][]wireRecorder{wireRecorders(plainBackends), wireRecorders(trustedBackends)})
}
