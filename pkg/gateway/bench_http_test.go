package gateway

import (
	"bufio"
	"bytes"
	"net"
	"testing"
)

// cannedHTTPBackend answers every request head with the same small answer in one write,
// allocating nothing, so that a benchmark counts the gateway's own work. It reads heads
// only: the benchmarks' requests have no body.
func cannedHTTPBackend(b *testing.B) string {
	b.Helper()
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=UTF-8\r\nContent-Length: 5\r\n\r\nhello")
	return cannedBackend(b, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimRight(line, "\r\n")) > 0 {
				continue
			}
			if _, err := nc.Write(reply); err != nil {
				return
			}
		}
	})
}

// BenchmarkGatewayHTTP is BenchmarkGatewayAJP towards a canned HTTP backend: the gateway's
// own cost per request of the direct HTTP relay.
func BenchmarkGatewayHTTP(b *testing.B) { benchGateway(b, httpService("app"), cannedHTTPBackend(b)) }

// BenchmarkFrontDoorHTTP is BenchmarkFrontDoorAJP towards a canned HTTP backend: one
// keep-alive request per iteration through pkg/h1 on loopback, routing and the HTTP relay.
func BenchmarkFrontDoorHTTP(b *testing.B) {
	benchFrontDoor(b, httpService("app"), cannedHTTPBackend(b))
}
