package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// rawHTTPBackend serves each connection with answer (after reading one request head) and
// counts the connections it accepted.
func rawHTTPBackend(t *testing.T, answer func(c net.Conn, br *bufio.Reader)) (addr string, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				answer(c, bufio.NewReader(c))
			}()
		}
	}()
	return l.Addr().String(), conns
}

func httpGateway(t *testing.T, addr string) *testGateway {
	t.Helper()
	g := newTestGateway(t, func(c *Config) { c.ReplyTimeout = 2 * time.Second })
	spec := httpService("app")
	// No health checks during the test: their connections would count as the relay's.
	spec.Health.Interval = admin.Duration(time.Hour)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: addr})
	return g
}

// A chunked answer whose backend goes away before its last chunk must reach the client as
// broken. Behind ReverseProxy under pkg/h1 it looked complete: ReverseProxy aborts a broken
// answer only when the server put http.ServerContextKey in the context, which pkg/h1 does not.
func TestHTTPChunkedAnswerThatBreaksOffIsBroken(t *testing.T) {
	addr, _ := rawHTTPBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := readHTTPHead(br); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
		}
	})
	g := httpGateway(t, addr)
	resp, err := http.Get(g.URL + "/app/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("the client read %q as a whole answer; want the body to break off", body)
	}
	if string(body) != "hello" {
		t.Errorf("the client got %q before the break, want what the backend sent, %q", body, "hello")
	}
}

// A streamed answer reaches the client as it is written: the backend sends its second chunk
// only once the client has the first.
func TestHTTPStreamedAnswerIsNotHeldBack(t *testing.T) {
	first := make(chan struct{})
	addr, _ := rawHTTPBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := readHTTPHead(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n")
		select {
		case <-first:
		case <-time.After(10 * time.Second):
			return // the test fails below: the client never saw the first chunk
		}
		_, _ = io.WriteString(c, "7\r\nsecond\n\r\n0\r\n\r\n")
	})
	g := httpGateway(t, addr)
	resp, err := http.Get(g.URL + "/app/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(first)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// Keep-alive connections to a backend are reused, and one the backend closes with
// Connection: close is not.
func TestHTTPBackendConnectionsAreReused(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		wantConns    int32
	}{
		{"keep-alive", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1},
		{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, conns := rawHTTPBackend(t, func(c net.Conn, br *bufio.Reader) {
				for {
					if _, err := readHTTPHead(br); err != nil {
						return
					}
					if _, err := io.WriteString(c, tc.answer); err != nil || strings.Contains(tc.answer, "close") {
						return
					}
				}
			})
			g := httpGateway(t, addr)
			for range 3 {
				resp, err := http.Get(g.URL + "/app/x")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(body) != "ok" {
					t.Fatalf("answer %q, %v", body, err)
				}
			}
			if n := conns.Load(); n != tc.wantConns {
				t.Errorf("the backend accepted %d connections for 3 requests, want %d", n, tc.wantConns)
			}
		})
	}
}

// twoHTTPBackends serves app over backends a (first choice: the requests carry its route) and
// b, answering with their own scripts.
func twoHTTPBackends(t *testing.T, a, b func(c net.Conn, br *bufio.Reader)) (g *testGateway, aConns, bConns *atomic.Int32) {
	t.Helper()
	aAddr, aConns := rawHTTPBackend(t, a)
	bAddr, bConns := rawHTTPBackend(t, b)
	g = newTestGateway(t, func(c *Config) { c.ReplyTimeout = 2 * time.Second })
	spec := httpService("app")
	spec.Health.Check = admin.CheckTCP
	spec.Health.Interval = admin.Duration(time.Hour)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Route: "a", Address: aAddr})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Route: "b", Address: bAddr})
	return g, aConns, bConns
}

func answerOK(c net.Conn, br *bufio.Reader) {
	for {
		if _, err := readHTTPHead(br); err != nil {
			return
		}
		if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
			return
		}
	}
}

func getWithRoute(t *testing.T, g *testGateway, method string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, g.URL+"/app/x", nil)
	req.Header.Set("Cookie", "JSESSIONID=S.a")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", method, err)
	}
	return resp.StatusCode, string(body)
}

// An answer that breaks off before any of it reached the client is as good as none: a GET
// goes to the other backend, and the client gets that one's whole answer.
func TestHTTPAnswerBrokenBeforeTheClientGotAnyIsRetried(t *testing.T) {
	g, _, _ := twoHTTPBackends(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := readHTTPHead(br); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") // and nothing more
		}
	}, answerOK)
	if status, body := getWithRoute(t, g, http.MethodGet); status != 200 || body != "ok" {
		t.Fatalf("GET: %d %q, want b's 200 \"ok\"", status, body)
	}
	if st := backendOf(t, g, "app", "a"); st.Errors != 1 {
		t.Errorf("a has %d errors, want 1", st.Errors)
	}
}

// A POST that reached a backend is never sent again: the backend may have acted on it.
func TestHTTPPostThatReachedABackendIsNotRepeated(t *testing.T) {
	g, _, bConns := twoHTTPBackends(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = readHTTPHead(br) // then close without an answer
	}, answerOK)
	if status, _ := getWithRoute(t, g, http.MethodPost); status != http.StatusBadGateway {
		t.Fatalf("POST: %d, want 502", status)
	}
	if n := bConns.Load(); n != 0 {
		t.Errorf("b got %d connections, want none: the POST must not be repeated", n)
	}
}
