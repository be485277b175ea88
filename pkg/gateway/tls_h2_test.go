package gateway

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// streamingHandler is the backend of the HTTP/2 tests, served over AJP (ajp.Server) and HTTP
// alike: /sum answers the length and SHA-256 of the body it read; /stream sends "first", flushes,
// and sends "second" only once release is closed.
func streamingHandler(release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sum":
			h := sha256.New()
			n, err := io.Copy(h, r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, "%d %s", n, hex.EncodeToString(h.Sum(nil)))
		case "/stream":
			io.WriteString(w, "first")
			http.NewResponseController(w).Flush()
			<-release
			io.WriteString(w, "second")
		default:
			io.WriteString(w, "ok")
		}
	})
}

// HTTP/2 requests take the same path as HTTP/1.1 ones, to AJP and to HTTP backends: request
// bodies of known and unknown length arrive whole, and a streamed answer reaches the client as
// the backend flushes it.
func TestHTTP2ToAJPAndHTTPBackends(t *testing.T) {
	g := shopGateway(t, nil)
	release := make(chan struct{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ajpSrv := &ajp.Server{Secret: ajpSecret, Handler: streamingHandler(release)}
	go ajpSrv.Serve(l)
	t.Cleanup(func() { ajpSrv.Close() })
	httpSrv := httptest.NewServer(streamingHandler(release))
	t.Cleanup(httpSrv.Close)
	t.Cleanup(func() { close(release) }) // before the backends close: they wait for their handlers
	spec := ajpService("ajp")
	spec.PathPrefixes = []string{"/"}
	spec.Hosts = []string{"ajp.shop.test"}
	mustPut(t, g.testGateway, spec)
	mustAdd(t, g.testGateway, "ajp", admin.BackendSpec{Name: "a", Address: l.Addr().String()})
	spec = httpService("http")
	spec.Hosts = []string{"http.shop.test"}
	mustPut(t, g.testGateway, spec)
	mustAdd(t, g.testGateway, "http", admin.BackendSpec{Name: "h", Address: httpSrv.Listener.Addr().String()})

	c := g.client(t, true)
	body := make([]byte, 1<<20+17)
	rand.Read(body)
	sum := sha256.Sum256(body)
	want := fmt.Sprintf("%d %s", len(body), hex.EncodeToString(sum[:]))
	for _, host := range []string{"ajp.shop.test", "http.shop.test"} {
		t.Run(host, func(t *testing.T) {
			for _, known := range []bool{true, false} {
				var rd io.Reader = bytes.NewReader(body)
				if !known {
					rd = io.MultiReader(rd) // no length: the client sends DATA frames without content-length
				}
				req, _ := http.NewRequest("POST", "https://shop.test/sum", rd)
				req.Host = host
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("POST (length known %v): %v", known, err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(got) != want {
					t.Errorf("POST (length known %v): %s %d %q, want HTTP/2 200 %q", known, resp.Proto, resp.StatusCode, got, want)
				}
			}

			req, _ := http.NewRequest("GET", "https://shop.test/stream", nil)
			req.Host = host
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			first := make([]byte, 5)
			if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first" {
				t.Fatalf("streamed answer: %q, %v before the backend sent the rest", first, err)
			}
		})
	}
}

// A stalled HTTP/2 upload is the client's fault, answered 408 after the body read timeout as over
// HTTP/1.1, and never counted against the backend.
func TestHTTP2StalledBodyIs408(t *testing.T) {
	g := shopGateway(t, func(c *Config) { c.BodyReadTimeout = 300 * time.Millisecond })
	backend := httptest.NewServer(streamingHandler(nil))
	t.Cleanup(backend.Close)
	mustPut(t, g.testGateway, httpService("web"))
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "w", Address: backend.Listener.Addr().String()})

	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go pw.Write([]byte("a few bytes, then nothing"))
	req, _ := http.NewRequest("POST", "https://shop.test/sum", pr)
	resp, err := g.client(t, true).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled upload: %d, want 408", resp.StatusCode)
	}
	st, err := g.Service(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if st.ClientErrors != 1 || st.Backends[0].Errors != 0 || !st.Backends[0].Healthy {
		t.Errorf("client errors %d, backend errors %d healthy %v; want 1, 0, true", st.ClientErrors, st.Backends[0].Errors, st.Backends[0].Healthy)
	}
}

// The HTTP/2 limits: at most HTTP2MaxStreams requests of one connection at once (a stream past
// them is refused, the others served), and a request head pkg/h1 would refuse is refused.
func TestHTTP2Limits(t *testing.T) {
	g := shopGateway(t, func(c *Config) { c.TLS.HTTP2MaxStreams = 3 })
	var inFlight, most atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" { // not the health checks
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(backend.Close)
	t.Cleanup(open) // before backend.Close, which waits for its handlers
	mustPut(t, g.testGateway, httpService("web"))
	mustAdd(t, g.testGateway, "web", admin.BackendSpec{Name: "w", Address: backend.Listener.Addr().String()})

	// By hand, not with net/http's client, whose queueing for a stream slot is its own: four
	// requests on one connection, the fourth past the limit.
	h := dialH2(t, g)
	if got := h.serverSettings[http2.SettingMaxConcurrentStreams]; got != 3 {
		t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS %d, want 3", got)
	}
	for id := uint32(1); id <= 7; id += 2 {
		h.get(id, "/wait")
	}
	if code := h.waitReset(7); code != http2.ErrCodeRefusedStream {
		t.Fatalf("the fourth stream: reset with %v, want REFUSED_STREAM", code)
	}
	eventually(t, 10*time.Second, "3 requests at the backend", func() bool { return inFlight.Load() == 3 })
	time.Sleep(200 * time.Millisecond) // room for a fourth, which must not come
	open()
	for _, id := range []uint32{1, 3, 5} {
		if status := h.waitStatus(id); status != "200" {
			t.Errorf("stream %d: status %q, want 200", id, status)
		}
	}
	if m := most.Load(); m != 3 {
		t.Errorf("at most %d requests of one connection at the backend, want 3", m)
	}

	c := g.client(t, true)
	for _, tc := range []struct {
		name string
		mod  func(*http.Request)
		want int
	}{
		{"101 header fields", func(r *http.Request) {
			for i := range 101 {
				r.Header.Set(fmt.Sprintf("X-F%d", i), "v")
			}
		}, http.StatusRequestHeaderFieldsTooLarge},
		{"a path over 8190 bytes", func(r *http.Request) { r.URL.Path = "/" + strings.Repeat("a", 8200) }, http.StatusRequestURITooLong},
	} {
		req, _ := http.NewRequest("GET", "https://shop.test/", nil)
		tc.mod(req)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	// The header list limit is advertised: a client that respects it does not even send 70 KiB.
	req, _ := http.NewRequest("GET", "https://shop.test/", nil)
	req.Header.Set("X-Big", strings.Repeat("b", 70<<10))
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("a 70 KiB header: %d", resp.StatusCode)
		}
	}
}

// h2Conn is an HTTP/2 connection to the gateway's TLS listener driven frame by frame.
type h2Conn struct {
	t              testing.TB
	fr             *http2.Framer
	enc            *hpack.Encoder
	buf            bytes.Buffer
	serverSettings map[http2.SettingID]uint32
	statuses       map[uint32]string // :status of the answers read so far
	resets         map[uint32]http2.ErrCode
}

// dialH2 connects, sends the preface and its settings, and reads the server's SETTINGS; it
// does not acknowledge them, so a stream past the server's limit is refused rather than a
// protocol error that ends the connection.
func dialH2(t testing.TB, g *tlsGateway) *h2Conn {
	t.Helper()
	conn, err := tls.Dial("tcp", g.TLSAddr, &tls.Config{RootCAs: g.CA.Pool(), ServerName: "shop.test", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q, want h2", p)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	h := &h2Conn{t: t, fr: http2.NewFramer(conn, conn), serverSettings: map[http2.SettingID]uint32{},
		statuses: map[uint32]string{}, resets: map[uint32]http2.ErrCode{}}
	h.enc = hpack.NewEncoder(&h.buf)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the server's SETTINGS: %v", err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			_ = sf.ForeachSetting(func(s http2.Setting) error { h.serverSettings[s.ID] = s.Val; return nil })
			return h
		}
	}
}

// get opens stream id with a GET of path, its head the whole request.
func (h *h2Conn) get(id uint32, path string) {
	h.t.Helper()
	h.buf.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "shop.test"}, {":path", path}} {
		_ = h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.buf.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		h.t.Fatalf("HEADERS on stream %d: %v", id, err)
	}
}

// read reads frames until done says it has what it waits for.
func (h *h2Conn) read(done func() bool) {
	h.t.Helper()
	for !done() {
		f, err := h.fr.ReadFrame()
		if err != nil {
			h.t.Fatalf("reading frames: %v", err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			h.statuses[f.StreamID] = f.PseudoValue("status")
		case *http2.RSTStreamFrame:
			h.resets[f.StreamID] = f.ErrCode
		case *http2.GoAwayFrame:
			h.t.Fatalf("the server ended the connection: GOAWAY %v", f.ErrCode)
		}
	}
}

// waitReset returns the code stream id was reset with.
func (h *h2Conn) waitReset(id uint32) http2.ErrCode {
	h.read(func() bool { _, ok := h.resets[id]; return ok })
	return h.resets[id]
}

// waitStatus returns the :status of stream id's answer.
func (h *h2Conn) waitStatus(id uint32) string {
	h.read(func() bool { _, ok := h.statuses[id]; return ok || h.resets[id] != 0 })
	return h.statuses[id]
}
