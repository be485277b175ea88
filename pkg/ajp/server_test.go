package ajp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
)

// rawClient speaks AJP to a Server packet by packet.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	pr *ajp.PacketReader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second)) // a broken server fails the test instead of hanging it
	return &rawClient{t: t, nc: nc, pr: ajp.NewPacketReader(nc, ajp.MagicFromContainer, ajp.DefaultPacketSize)}
}

func (c *rawClient) send(pkts ...[]byte) {
	c.t.Helper()
	for _, p := range pkts {
		if _, err := c.nc.Write(p); err != nil {
			c.t.Fatalf("writing: %v", err)
		}
	}
}

func (c *rawClient) next() []byte {
	c.t.Helper()
	p, err := c.pr.Next()
	if err != nil {
		c.t.Fatalf("reading a packet: %v", err)
	}
	return append([]byte(nil), p...)
}

func (c *rawClient) request(f ajp.ForwardRequest) {
	c.t.Helper()
	if f.Protocol == "" {
		f.Protocol = "HTTP/1.1"
	}
	pkt, err := f.AppendPacket(nil, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(pkt)
}

// reply is a response as it arrived: packet by packet.
type reply struct {
	headers   *ajp.SendHeaders
	body      []byte
	chunks    []int // data length of every SEND_BODY_CHUNK, 0 for a flush
	getChunks int
	reuse     bool
}

// readReply reads up to END_RESPONSE, answering GET_BODY_CHUNK from body.
func (c *rawClient) readReply(body io.Reader) reply {
	c.t.Helper()
	var r reply
	for {
		p := c.next()
		switch ajp.MessageType(p[0]) {
		case ajp.TypeSendHeaders:
			sh, err := ajp.ParseSendHeaders(p)
			if err != nil || r.headers != nil {
				c.t.Fatalf("SEND_HEADERS: %v (second: %v)", err, r.headers != nil)
			}
			r.headers = sh
		case ajp.TypeSendBodyChunk:
			data, err := ajp.ParseBodyChunk(p)
			if err != nil || r.headers == nil || p[len(p)-1] != 0 {
				c.t.Fatalf("body chunk % x: %v (headers first: %v)", p[:min(len(p), 8)], err, r.headers != nil)
			}
			r.chunks = append(r.chunks, len(data))
			r.body = append(r.body, data...)
		case ajp.TypeGetBodyChunk:
			n, _ := ajp.ParseGetBodyChunk(p)
			r.getChunks++
			buf := make([]byte, n)
			k, _ := io.ReadFull(body, buf)
			c.send(ajp.AppendRequestBody(nil, buf[:k]))
		case ajp.TypeEndResponse:
			r.reuse, _ = ajp.ParseEndResponse(p)
			return r
		default:
			c.t.Fatalf("unexpected packet % x", p)
		}
	}
}

func (r reply) header(name string) string {
	for _, h := range r.headers.Headers {
		if http.CanonicalHeaderKey(h.Name) == http.CanonicalHeaderKey(name) {
			return h.Value
		}
	}
	return ""
}

func TestServerCPingAndKeepAlive(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	c := dialRaw(t, b.addr)
	for range 3 {
		c.send(ajp.AppendCPing(nil))
		if p := c.next(); !bytes.Equal(p, []byte{byte(ajp.TypeCPong)}) {
			t.Fatalf("CPING answered % x", p)
		}
		c.request(ajp.ForwardRequest{Method: "GET", URI: "/", SSLKeySize: -1, Headers: []ajp.Header{{Name: "Content-Length", Value: "0"}}})
		r := c.readReply(nil)
		if r.headers.Status != 200 || string(r.body) != "hi" || !r.reuse || r.header("Content-Length") != "2" {
			t.Fatalf("reply %+v %q reuse=%v", r.headers, r.body, r.reuse)
		}
	}
}

func TestServerClosesOnGarbage(t *testing.T) {
	b := startBackend(t, http.NotFoundHandler())
	for _, tc := range []struct {
		name string
		pkt  []byte
	}{
		{"SHUTDOWN", ajp.AppendPacket(nil, ajp.MagicToContainer, []byte{byte(ajp.TypeShutdown)})},
		{"wrong magic", ajp.AppendCPong(nil)},
		{"body data between requests", ajp.AppendRequestBody(nil, []byte("x"))},
		{"oversize length", []byte{0x12, 0x34, 0xff, 0xff}},
		{"malformed FORWARD_REQUEST", ajp.AppendPacket(nil, ajp.MagicToContainer, []byte{2, 2, 0xff})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, b.addr)
			c.send(tc.pkt)
			for {
				p, err := c.pr.Next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Errorf("want the connection closed, got %v", err)
					}
					return
				}
				if ajp.MessageType(p[0]) == ajp.TypeEndResponse && p[1] != 0 {
					t.Errorf("a malformed request ended with reuse=1")
				}
			}
		})
	}
}

func TestServerSecret(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := ajp.ForwardRequestOf(r); f == nil || f.Secret != "" {
			t.Error("the handler can see the secret")
		}
		io.WriteString(w, "secret ok")
	}), func(s *ajp.Server) { s.Secret = "s3cret" })
	for _, secret := range []string{"", "wrong", "s3cret"} {
		c := dialRaw(t, b.addr)
		c.request(ajp.ForwardRequest{Method: "GET", URI: "/", Secret: secret, SSLKeySize: -1})
		r := c.readReply(nil)
		want, wantReuse := http.StatusForbidden, false
		if secret == "s3cret" {
			want, wantReuse = http.StatusOK, true
		}
		if r.headers.Status != want || r.reuse != wantReuse {
			t.Errorf("secret %q: status %d reuse %v, want %d %v", secret, r.headers.Status, r.reuse, want, wantReuse)
		}
		if !wantReuse {
			if _, err := c.pr.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("secret %q: connection not closed after reuse=0: %v", secret, err)
			}
		}
	}
}

// The handler pulls the body: the first packet is unprompted, the rest comes on GET_BODY_CHUNK.
func TestServerRequestBody(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ignore" {
			io.WriteString(w, "ignored")
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		io.WriteString(w, strconv.FormatInt(n, 10)+" "+hex.EncodeToString(h.Sum(nil)))
	}))
	data := payload(20000)
	c := dialRaw(t, b.addr)
	cl := ajp.ForwardRequest{Method: "POST", URI: "/echo", SSLKeySize: -1, Headers: []ajp.Header{{Name: "content-length", Value: "20000"}}}
	c.request(cl)
	c.send(ajp.AppendRequestBody(nil, data[:8186]))
	rest := bytes.NewReader(data[8186:])
	r := c.readReply(rest)
	if want := "20000 " + sha(data); string(r.body) != want || r.getChunks != 2 {
		t.Errorf("Content-Length body: %q after %d GET_BODY_CHUNKs, want %q after 2", r.body, r.getChunks, want)
	}

	// Unknown length: nothing unprompted, GET_BODY_CHUNK until the empty packet.
	c.request(ajp.ForwardRequest{Method: "POST", URI: "/echo", SSLKeySize: -1, Headers: []ajp.Header{{Name: "Transfer-Encoding", Value: "chunked"}}})
	r = c.readReply(bytes.NewReader(data))
	if want := "20000 " + sha(data); string(r.body) != want || r.getChunks != 4 {
		t.Errorf("chunked body: %q after %d GET_BODY_CHUNKs, want %q after 4", r.body, r.getChunks, want)
	}

	// A handler that does not read: the unprompted packet is swallowed, the connection stays in step.
	cl.URI = "/ignore"
	c.request(cl)
	c.send(ajp.AppendRequestBody(nil, data[:8186]))
	r = c.readReply(nil)
	if string(r.body) != "ignored" || r.getChunks != 0 || !r.reuse {
		t.Errorf("unread body: %q, %d GET_BODY_CHUNKs, reuse %v", r.body, r.getChunks, r.reuse)
	}
	c.send(ajp.AppendCPing(nil))
	if p := c.next(); p[0] != byte(ajp.TypeCPong) {
		t.Errorf("after an unread body the connection is out of step: % x", p)
	}

	// A body that ends early (the web server's client went away) is an error for the handler.
	c.request(ajp.ForwardRequest{Method: "POST", URI: "/echo", SSLKeySize: -1, Headers: []ajp.Header{{Name: "content-length", Value: "5"}}})
	c.send(ajp.AppendRequestBody(nil, nil))
	if r = c.readReply(nil); r.headers.Status != 400 {
		t.Errorf("short body: status %d, want 400", r.headers.Status)
	}
}

func TestServerResponseChunksAndFlush(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flush":
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b")
			http.NewResponseController(w).Flush()
			io.WriteString(w, "c")
		case "/big":
			w.Write(payload(20000))
		case "/head":
			io.WriteString(w, "twenty bytes of body")
		case "/panic":
			panic("handler bug")
		case "/panic-late":
			io.WriteString(w, "x")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		case "/overlong":
			w.Header().Set("Content-Length", "5")
			if _, err := io.WriteString(w, "12345"); err != nil {
				t.Errorf("writing the declared length: %v", err)
			}
			if _, err := io.WriteString(w, "6"); !errors.Is(err, http.ErrContentLength) {
				t.Errorf("writing past Content-Length: %v, want http.ErrContentLength", err)
			}
		case "/204":
			w.WriteHeader(204)
			if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
				t.Errorf("Write after 204: %v", err)
			}
		}
	}))
	c := dialRaw(t, b.addr)
	get := func(method, uri string) reply {
		c.request(ajp.ForwardRequest{Method: method, URI: uri, SSLKeySize: -1})
		return c.readReply(nil)
	}
	if r := get("GET", "/flush"); string(r.body) != "abc" || !intsEqual(r.chunks, []int{1, 0, 1, 0, 1}) || r.header("Content-Length") != "" {
		t.Errorf("flush: body %q chunks %v length %q, want abc [1 0 1 0 1] none", r.body, r.chunks, r.header("Content-Length"))
	}
	if r := get("GET", "/big"); !bytes.Equal(r.body, payload(20000)) || !intsEqual(r.chunks, []int{8184, 8184, 3632}) || r.header("Content-Type") != "application/octet-stream" {
		t.Errorf("big: %d bytes chunks %v type %q", len(r.body), r.chunks, r.header("Content-Type"))
	}
	if r := get("HEAD", "/head"); len(r.chunks) != 0 || r.header("Content-Length") != "20" || !r.reuse {
		t.Errorf("HEAD: chunks %v length %q", r.chunks, r.header("Content-Length"))
	}
	if r := get("GET", "/overlong"); string(r.body) != "12345" || !r.reuse {
		t.Errorf("overlong: %q reuse %v", r.body, r.reuse)
	}
	if r := get("GET", "/204"); r.headers.Status != 204 || len(r.chunks) != 0 || !r.reuse {
		t.Errorf("204: %+v chunks %v", r.headers, r.chunks)
	}
	if r := get("GET", "/panic"); r.headers.Status != 500 || r.reuse {
		t.Errorf("panic: status %d reuse %v, want 500 and close", r.headers.Status, r.reuse)
	}
	c = dialRaw(t, b.addr)
	if r := get("GET", "/panic-late"); r.headers.Status != 200 || r.reuse {
		t.Errorf("late panic: status %d reuse %v, want the cut 200 and close", r.headers.Status, r.reuse)
	}
}

func intsEqual(a, b []int) bool { return len(a) == len(b) && string(toBytes(a)) == string(toBytes(b)) }

func toBytes(a []int) []byte {
	var b []byte
	for _, v := range a {
		b = strconv.AppendInt(append(b, ','), int64(v), 10)
	}
	return b
}

func TestServerRequestFields(t *testing.T) {
	got := make(chan *http.Request, 1)
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r }))
	c := dialRaw(t, b.addr)
	c.request(ajp.ForwardRequest{
		Method: "PATCH", Protocol: "HTTP/1.0", URI: "/p%20q", QueryString: "a=1", RemoteAddr: "198.51.100.7",
		ServerName: "example.org", ServerPort: 8443, IsSSL: true, SSLKeySize: 256, Route: "r1",
		Headers:       []ajp.Header{{Name: "content-length", Value: "0"}, {Name: "x-lower", Value: "v"}, {Name: "cookie", Value: "a=b"}},
		ReqAttributes: []ajp.Header{{Name: ajp.AttrRemotePort, Value: "4711"}, {Name: ajp.AttrActivation, Value: "DIS"}},
	})
	c.readReply(nil)
	r := <-got
	if r.Method != "PATCH" || r.RequestURI != "/p%20q?a=1" || r.URL.Path != "/p q" || r.Proto != "HTTP/1.0" ||
		r.Host != "example.org:8443" || r.RemoteAddr != "198.51.100.7:4711" || r.TLS == nil || r.ContentLength != 0 {
		t.Errorf("request %s %q path %q %s host %q remote %q tls %v cl %d",
			r.Method, r.RequestURI, r.URL.Path, r.Proto, r.Host, r.RemoteAddr, r.TLS != nil, r.ContentLength)
	}
	if r.Header.Get("X-Lower") != "v" || r.Header.Get("Cookie") != "a=b" {
		t.Errorf("headers %v", r.Header)
	}
	if v, ok := ajp.RequestAttribute(r, ajp.AttrActivation); !ok || v != "DIS" {
		t.Errorf("JK_LB_ACTIVATION %q %v", v, ok)
	}
	if f := ajp.ForwardRequestOf(r); f.Route != "r1" || f.SSLKeySize != 256 {
		t.Errorf("forward request %+v", f)
	}
	if _, ok := ajp.RequestAttribute(httptestRequest(), ajp.AttrActivation); ok {
		t.Error("attributes on a request that did not come over AJP")
	}

	c.request(ajp.ForwardRequest{Method: "POST", URI: "/", SSLKeySize: -1,
		Headers: []ajp.Header{{Name: "content-length", Value: "1"}, {Name: "content-length", Value: "2"}}})
	if r := c.readReply(nil); r.headers.Status != 400 || r.reuse {
		t.Errorf("two Content-Length headers: %d reuse %v, want 400 and close", r.headers.Status, r.reuse)
	}
}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest("GET", "http://x/", nil)
	return r
}

// Shutdown lets the request in flight finish, closes idle connections and refuses new ones.
func TestServerShutdown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &ajp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "done")
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	idle := dialRaw(t, l.Addr().String())
	idle.send(ajp.AppendCPing(nil))
	idle.next()
	busy := dialRaw(t, l.Addr().String())
	busy.request(ajp.ForwardRequest{Method: "GET", URI: "/slow", SSLKeySize: -1})
	<-entered

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
	if _, err := idle.pr.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("the idle connection was not closed: %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	if r := busy.readReply(nil); string(r.body) != "done" || r.reuse {
		t.Errorf("in-flight request: %q reuse %v, want done and reuse=0", r.body, r.reuse)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("a new connection was accepted after Shutdown")
	}
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}
