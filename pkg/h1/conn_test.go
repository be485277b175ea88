package h1

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestKeepAliveAndPipelining(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(echo), nil)
	c := dial(t, addr)
	c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\n\r\n")
	for _, want := range []string{"GET /1 raw= q= host=h body=", "POST /2 raw= q= host=h body=abc", "GET /3 raw= q= host=h body="} {
		resp, body := c.answer(http.MethodGet)
		if resp.StatusCode != 200 || body != want || resp.Close {
			t.Fatalf("got %d %q close=%v, want 200 %q on a kept connection", resp.StatusCode, body, resp.Close, want)
		}
	}
	c.send("GET /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp, _ := c.answer(http.MethodGet); !resp.Close {
		t.Fatal("Connection: close was not honoured")
	}
	if !c.closed() {
		t.Fatal("the connection stayed open after Connection: close")
	}
}

func TestHTTP10(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.(http.Flusher).Flush() // no length known: the close delimits the body
		}
		io.WriteString(w, "ten")
	}), nil)
	c := dial(t, addr)
	c.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	resp, body := c.answer(http.MethodGet)
	if body != "ten" || !resp.Close || resp.TransferEncoding != nil {
		t.Fatalf("HTTP/1.0 stream: body %q close=%v te=%v, want a close-delimited body", body, resp.Close, resp.TransferEncoding)
	}
	c = dial(t, addr)
	c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n")
	resp, body = c.answer(http.MethodGet)
	if body != "ten" || resp.Close || resp.Header.Get("Connection") != "keep-alive" {
		t.Fatalf("HTTP/1.0 keep-alive: body %q close=%v Connection=%q", body, resp.Close, resp.Header.Get("Connection"))
	}
	resp, _ = c.answer(http.MethodGet)
	if !resp.Close || !c.closed() {
		t.Fatal("HTTP/1.0 without keep-alive must close")
	}
}

func TestResponseFraming(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello world") // past its length: cut
		case "/chunked":
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b")
		case "/204":
			w.Header().Set("Content-Length", "3")
			w.WriteHeader(204)
			if _, err := io.WriteString(w, "abc"); err != http.ErrBodyNotAllowed {
				t.Errorf("write to a 204: %v, want ErrBodyNotAllowed", err)
			}
		case "/nothing":
		case "/bad-header":
			w.Header()["X-Bad"] = []string{"a\r\nInjected: yes"}
			w.Header()["Bad Name"] = []string{"x"}
			io.WriteString(w, "ok")
		case "/early-hints":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(103)
			io.WriteString(w, "ok")
		}
	}), nil)
	c := dial(t, addr)
	c.send("GET /length HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, body := c.answer(http.MethodGet); body != "hello" || resp.ContentLength != 5 {
		t.Fatalf("/length: %q", body)
	}
	c.send("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, body := c.answer(http.MethodGet); body != "ab" || len(resp.TransferEncoding) != 1 {
		t.Fatalf("/chunked: %q %v", body, resp.TransferEncoding)
	}
	c.send("HEAD /chunked HTTP/1.1\r\nHost: h\r\n\r\n")
	if _, body := c.answer(http.MethodHead); body != "" {
		t.Fatalf("HEAD sent a body %q", body)
	}
	c.send("GET /204 HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := c.answer(http.MethodGet); resp.StatusCode != 204 || resp.Header.Get("Content-Length") != "" {
		t.Fatalf("/204: %d %v", resp.StatusCode, resp.Header)
	}
	c.send("GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := c.answer(http.MethodGet); resp.StatusCode != 200 || resp.ContentLength != 0 || resp.Header.Get("Date") == "" {
		t.Fatalf("/nothing: %d length %d date %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("Date"))
	}
	c.send("GET /bad-header HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := c.answer(http.MethodGet); resp.Header.Get("Injected") != "" || resp.Header.Get("X-Bad") != "" {
		t.Fatalf("a header that ends its line reached the client: %v", resp.Header)
	}
	c.send("GET /early-hints HTTP/1.1\r\nHost: h\r\n\r\n")
	line, _ := c.br.ReadString('\n')
	if line != "HTTP/1.1 103 Early Hints\r\n" {
		t.Fatalf("first line %q, want the 103", line)
	}
	for line != "\r\n" {
		line, _ = c.br.ReadString('\n')
	}
	if resp, body := c.answer(http.MethodGet); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("after 103: %d %q", resp.StatusCode, body)
	}
}

func TestExpectContinue(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(echo), nil)
	c := dial(t, addr)
	c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	line, err := c.br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("got %q %v, want 100 Continue before the body is sent", line, err)
	}
	c.br.ReadString('\n')
	c.send("data")
	if _, body := c.answer(http.MethodPost); !strings.HasSuffix(body, "body=data") {
		t.Fatalf("body %q", body)
	}
	// A handler that answers without reading: no 100 is sent, and the connection closes
	// because the client may or may not send the body now.
	_, addr = startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }), nil)
	c = dial(t, addr)
	c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	if resp, _ := c.answer(http.MethodPost); resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("got %d close=%v, want 401 and close", resp.StatusCode, resp.Close)
	}
}

// A client whose upload breaks off never gets a success: the handler's read fails with
// ErrBodyTruncated, and a 2xx the handler writes without reading is replaced by 400.
func TestTruncatedBodyNeverSucceeds(t *testing.T) {
	var readErr atomic.Value
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/read" {
			_, err := io.ReadAll(r.Body)
			readErr.Store(err)
			if err != nil {
				w.WriteHeader(BodyStatus(err))
				return
			}
		}
		io.WriteString(w, "stored") // /noread answers 200 without reading
	}), nil)
	for _, path := range []string{"/read", "/noread"} {
		c := dial(t, addr)
		c.send("POST " + path + " HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 1000))
		c.nc.(interface{ CloseWrite() error }).CloseWrite()
		resp, body := c.answer(http.MethodPost)
		if resp.StatusCode != 400 || !resp.Close {
			t.Fatalf("%s: got %d %q, want 400 and close", path, resp.StatusCode, body)
		}
	}
	if err, _ := readErr.Load().(error); !errors.Is(err, ErrBodyTruncated) {
		t.Fatalf("the handler read %v, want ErrBodyTruncated", err)
	}
}

func TestMalformedChunkedBody(t *testing.T) {
	var readErr atomic.Value
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr.Store(err)
		if err != nil {
			w.WriteHeader(BodyStatus(err))
		}
	}), nil)
	for _, chunks := range []string{
		"zz\r\nab\r\n0\r\n\r\n",     // not hex
		"2\nab\r\n0\r\n\r\n",        // bare LF
		"2\r\nabc\r\n0\r\n\r\n",     // data longer than its size
		"2 \r\nab\r\n0\r\n\r\n",     // space after size
		"1000000000000000\r\n",      // 16 hex digits
		"2;\x01\r\nab\r\n0\r\n\r\n", // control byte in extension
		"0\r\nbad trailer\r\n\r\n",  // trailer without colon
		"-1\r\n",                    // signed
		"2\r\nab\r\n0\r\n" + strings.Repeat("X: y\r\n", 2000), // trailers too large
	} {
		c := dial(t, addr)
		c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, _ := c.answer(http.MethodPost)
		if resp.StatusCode != 400 || !resp.Close {
			t.Fatalf("%q: got %d close=%v, want 400 and close", chunks, resp.StatusCode, resp.Close)
		}
		if err, _ := readErr.Load().(error); !errors.Is(err, ErrBodyMalformed) {
			t.Fatalf("%q: the handler read %v, want ErrBodyMalformed", chunks, err)
		}
		if !c.closed() {
			t.Fatalf("%q: the connection stayed open", chunks)
		}
	}
}

func TestSlowClients(t *testing.T) {
	const d = 200 * time.Millisecond
	released := make(chan struct{})
	var writeErr atomic.Value
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			chunk := make([]byte, 64<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					writeErr.Store(err)
					close(released)
					return
				}
			}
		}
		_, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(BodyStatus(err))
		}
	}), func(s *Server) {
		s.ReadHeaderTimeout, s.BodyReadTimeout, s.WriteTimeout, s.IdleTimeout = d, d, d, d
	})

	// Slowloris: a head that never ends gets 408.
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: h\r\n")
	if resp, _ := c.answer(http.MethodGet); resp.StatusCode != 408 {
		t.Fatalf("stalled head: %d, want 408", resp.StatusCode)
	}
	// A stalled body gets 408.
	c = dial(t, addr)
	c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab")
	if resp, _ := c.answer(http.MethodPost); resp.StatusCode != 408 || !resp.Close {
		t.Fatalf("stalled body: %d, want 408 and close", resp.StatusCode)
	}
	// An idle keep-alive connection is closed.
	c = dial(t, addr)
	if !c.closed() {
		t.Fatal("an idle connection was not closed")
	}
	// A client that never reads: the handler's write fails within a few timeouts.
	c = dial(t, addr)
	c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n")
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("a client that does not read held the handler")
	}
	t.Logf("write error: %v", writeErr.Load())
}

func TestHijackKeepsBufferedBytes(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer nc.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		b := make([]byte, 5)
		if _, err := io.ReadFull(nc, b); err != nil {
			t.Error(err)
		}
		nc.Write(append([]byte("echo:"), b...))
	}), nil)
	c := dial(t, addr)
	c.send("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\nearly")
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	got, _ := io.ReadAll(bufio.NewReader(c.br))
	if string(got) != "echo:early" {
		t.Fatalf("got %q: bytes sent with the upgrade request were lost", got)
	}
}

func TestPanicsCloseTheConnection(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		panic("boom")
	}), nil)
	for _, p := range []string{"/abort", "/panic"} {
		c := dial(t, addr)
		c.send("GET " + p + " HTTP/1.1\r\nHost: h\r\n\r\n")
		if !c.closed() {
			t.Fatalf("%s: the connection stayed open", p)
		}
	}
	c := dial(t, addr) // the server still serves
	c.send("GET / HTTP/1.1\r\nHost: h\r\n")
	c.nc.Close()
}

func TestShutdownLetsRequestsFinish(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, "done")
	}), nil)
	idle := dial(t, addr)
	idle.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	idle.answer(http.MethodGet)
	busy := dial(t, addr)
	busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctxTimeout(t, 10*time.Second)) }()
	if !idle.closed() {
		t.Fatal("Shutdown left an idle connection open")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	resp, body := busy.answer(http.MethodGet)
	if body != "done" || !resp.Close {
		t.Fatalf("in-flight request: %q close=%v", body, resp.Close)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// A chunked upload that breaks off gets no success either, and a chunked body the handler
// never read is read off so that a pipelined request behind it is answered.
func TestChunkedBodiesLikeLengthOnes(t *testing.T) {
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "page "+r.URL.Path) // never reads the body
	}), nil)
	c := dial(t, addr)
	c.send("POST /cut HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc")
	c.nc.(interface{ CloseWrite() error }).CloseWrite()
	if resp, body := c.answer(http.MethodPost); resp.StatusCode != 400 {
		t.Fatalf("a cut chunked upload got %d %q, want 400", resp.StatusCode, body)
	}
	c = dial(t, addr)
	c.send("POST /one HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n")
	for _, want := range []string{"page /one", "page /two"} {
		if resp, body := c.answer(http.MethodGet); resp.StatusCode != 200 || body != want {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, want)
		}
	}
}

// While its handler waits (for a backend), a connection holds no write buffer, and no read
// buffer either when the request has no body and nothing was pipelined after it.
func TestBuffersHeldOnlyWhileUsed(t *testing.T) {
	type held struct{ reader, writer bool }
	seen := make(chan held, 1)
	var s *Server
	s, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		for c := range s.conns {
			seen <- held{c.br != nil, c.bw != nil}
		}
		s.mu.Unlock()
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}), nil)
	c := dial(t, addr)
	for _, tc := range []struct {
		req  string
		want held
	}{
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", held{}},
		{"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", held{reader: true}},
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", held{}},
	} {
		c.send(tc.req)
		if got := <-seen; got != tc.want {
			t.Errorf("%q: the handler saw buffers %+v, want %+v", tc.req, got, tc.want)
		}
		if resp, body := c.answer(http.MethodGet); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("%q: %d %q", tc.req, resp.StatusCode, body)
		}
	}
}
