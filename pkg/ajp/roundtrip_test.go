package ajp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
)

// seen is what the echo handler reports about the request it received.
type seen struct {
	Method, RequestURI, Path, RawPath, RawQuery, Host, RemoteAddr, Proto string
	Header                                                               http.Header
	ContentLength                                                        int64
	TransferEncoding                                                     []string
	BodyLen                                                              int64
	BodySHA                                                              string
	TLS                                                                  bool
	ServerName                                                           string
	ServerPort                                                           int
	Route                                                                string
	Attributes                                                           []ajp.Header
}

// echo answers with a JSON description of the request, after reading its whole body.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	s := seen{
		Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery,
		Host: r.Host, RemoteAddr: r.RemoteAddr, Proto: r.Proto, Header: r.Header, ContentLength: r.ContentLength,
		TransferEncoding: r.TransferEncoding, BodyLen: n, BodySHA: hex.EncodeToString(h.Sum(nil)), TLS: r.TLS != nil,
		Attributes: ajp.RequestAttributes(r),
	}
	if f := ajp.ForwardRequestOf(r); f != nil {
		s.ServerName, s.ServerPort, s.Route = f.ServerName, f.ServerPort, f.Route
	}
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
})

func doEcho(t *testing.T, c *http.Client, req *http.Request) seen {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %s", resp.Status, body)
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return s
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestRoundTripMethods(t *testing.T) {
	b := startBackend(t, echo)
	var dials atomic.Int32
	c := &http.Client{Transport: countingTransport(&dials)}
	methods := []string{"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "PROPFIND", "PROPPATCH",
		"MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "ACL", "REPORT", "VERSION-CONTROL", "CHECKIN", "CHECKOUT",
		"UNCHECKOUT", "SEARCH", "MKWORKSPACE", "UPDATE", "LABEL", "MERGE", "BASELINE-CONTROL", "MKACTIVITY",
		"PATCH", "PURGE"}
	for _, m := range methods {
		resp, err := c.Do(newRequest(t, m, b.url("/m"), nil))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("X-Method"); got != m || resp.StatusCode != 200 {
			t.Errorf("%s: the handler saw %q (status %d)", m, got, resp.StatusCode)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d requests took %d connections, want 1", len(methods), n)
	}
}

func TestRoundTripURIs(t *testing.T) {
	b := startBackend(t, echo)
	c := &http.Client{Transport: &ajp.Transport{}}
	for _, tc := range []struct {
		name, path                            string
		wantURI, wantPath, wantRaw, wantQuery string
	}{
		{"plain", "/app/info.jsp", "/app/info.jsp", "/app/info.jsp", "", ""},
		{"query", "/q?x=1&y=%20z", "/q?x=1&y=%20z", "/q", "", "x=1&y=%20z"},
		{"encoded", "/app/a%20b%25c.jsp", "/app/a%20b%25c.jsp", "/app/a b%c.jsp", "", ""},
		{"encoded slash kept", "/x%2Fy", "/x%2Fy", "/x/y", "/x%2Fy", ""},
		{"jsessionid path parameter", "/app/info.jsp;jsessionid=ABC.tomcat1?q=%41b", "/app/info.jsp;jsessionid=ABC.tomcat1?q=%41b", "/app/info.jsp;jsessionid=ABC.tomcat1", "", "q=%41b"},
		{"non-ASCII", "/é/ü?name=é", "/%C3%A9/%C3%BC?name=é", "/é/ü", "", "name=é"},
		{"empty query mark", "/e?", "/e", "/e", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := doEcho(t, c, newRequest(t, "GET", b.url(tc.path), nil))
			if s.RequestURI != tc.wantURI || s.Path != tc.wantPath || s.RawPath != tc.wantRaw || s.RawQuery != tc.wantQuery {
				t.Errorf("handler saw URI %q path %q raw %q query %q; want %q %q %q %q",
					s.RequestURI, s.Path, s.RawPath, s.RawQuery, tc.wantURI, tc.wantPath, tc.wantRaw, tc.wantQuery)
			}
		})
	}
}

func TestRoundTripHeaders(t *testing.T) {
	b := startBackend(t, echo)
	c := &http.Client{Transport: &ajp.Transport{}}
	req := newRequest(t, "GET", b.url("/h"), nil)
	for i := range 100 {
		req.Header.Set(fmt.Sprintf("X-H-%d", i), strconv.Itoa(i))
	}
	req.Header["X-Multi"] = []string{"a", "b", "c"}
	req.Header["Cookie"] = []string{"a=1", "JSESSIONID=X.tomcat1"}
	req.Header.Set("X-Name", "Jürgen ☃")
	req.Header.Set("User-Agent", "roll-test")
	// Hop-by-hop headers stay on the client's connection.
	req.Header.Set("Connection", "keep-alive, X-Hop")
	req.Header.Set("X-Hop", "must not pass")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("TE", "trailers")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Proxy-Authorization", "Basic eA==")
	req.Header.Set("Proxy-Connection", "keep-alive")
	req.Host = "shop.example:8443"

	s := doEcho(t, c, req)
	for i := range 100 {
		if got := s.Header.Get(fmt.Sprintf("X-H-%d", i)); got != strconv.Itoa(i) {
			t.Fatalf("X-H-%d = %q", i, got)
		}
	}
	for name, want := range map[string][]string{
		"X-Multi": {"a", "b", "c"}, "Cookie": {"a=1", "JSESSIONID=X.tomcat1"}, "X-Name": {"Jürgen ☃"},
		"User-Agent": {"roll-test"}, "Content-Length": {"0"},
	} {
		if got := s.Header[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"Connection", "X-Hop", "Keep-Alive", "Te", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Transfer-Encoding"} {
		if v, ok := s.Header[name]; ok {
			t.Errorf("hop-by-hop %s reached the backend: %q", name, v)
		}
	}
	if s.Host != "shop.example:8443" || s.ServerName != "shop.example" || s.ServerPort != 8443 {
		t.Errorf("host %q server %s:%d, want shop.example:8443 from the Host header", s.Host, s.ServerName, s.ServerPort)
	}
	if len(s.Attributes) != 0 {
		t.Errorf("attributes %v sent without a RequestInfo", s.Attributes)
	}
}

func TestRoundTripRequestInfo(t *testing.T) {
	b := startBackend(t, echo)
	c := &http.Client{Transport: &ajp.Transport{}}
	info := ajp.RequestInfo{RemoteAddr: "203.0.113.9", RemotePort: 54321, LocalAddr: "10.0.0.1",
		ServerName: "shop.example", ServerPort: 443, IsSSL: true, Route: "tomcat2", Activation: "DIS"}
	req := newRequest(t, "GET", b.url("/info"), nil)
	req = req.WithContext(ajp.WithRequestInfo(req.Context(), info))
	if got, ok := ajp.RequestInfoFrom(req.Context()); !ok || got != info {
		t.Fatalf("RequestInfoFrom = %+v, %v", got, ok)
	}
	s := doEcho(t, c, req)
	if s.RemoteAddr != "203.0.113.9:54321" || !s.TLS || s.ServerName != "shop.example" || s.ServerPort != 443 || s.Route != "tomcat2" {
		t.Errorf("handler saw remote %q tls %v server %s:%d route %q", s.RemoteAddr, s.TLS, s.ServerName, s.ServerPort, s.Route)
	}
	want := []ajp.Header{{Name: "AJP_REMOTE_PORT", Value: "54321"}, {Name: "AJP_LOCAL_ADDR", Value: "10.0.0.1"}, {Name: "JK_LB_ACTIVATION", Value: "DIS"}}
	if !reflect.DeepEqual(s.Attributes, want) {
		t.Errorf("attributes %v, want %v", s.Attributes, want)
	}

	// Without a RequestInfo, the addresses of a request a server received are passed on.
	req = newRequest(t, "GET", b.url("/info"), nil)
	req.RemoteAddr = "192.0.2.1:1234"
	local := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 80}
	s = doEcho(t, c, req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local)))
	want = []ajp.Header{{Name: "AJP_REMOTE_PORT", Value: "1234"}, {Name: "AJP_LOCAL_ADDR", Value: "10.1.2.3"}}
	if s.RemoteAddr != "192.0.2.1:1234" || !reflect.DeepEqual(s.Attributes, want) {
		t.Errorf("from the request: remote %q attributes %v, want 192.0.2.1:1234 %v", s.RemoteAddr, s.Attributes, want)
	}

	// An activation outside ACT/DIS/STP is never sent.
	info.Activation = "javax.servlet.include.request_uri"
	req = newRequest(t, "GET", b.url("/info"), nil)
	s = doEcho(t, c, req.WithContext(ajp.WithRequestInfo(req.Context(), info)))
	for _, a := range s.Attributes {
		if a.Name == "JK_LB_ACTIVATION" {
			t.Errorf("sent activation %q", a.Value)
		}
	}
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)})
	b := make([]byte, n)
	r.Read(b)
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestRoundTripRequestBodies(t *testing.T) {
	b := startBackend(t, echo)
	var dials atomic.Int32
	c := &http.Client{Transport: countingTransport(&dials)}
	for _, size := range []int{0, 1, 8186, 8187, 3*8186 + 5, 10 << 20} {
		data := payload(size)
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d bytes chunked=%v", size, chunked), func(t *testing.T) {
				req := newRequest(t, "POST", b.url("/upload"), bytes.NewReader(data))
				if chunked {
					req.Body = io.NopCloser(bytes.NewReader(data)) // unknown length
					req.ContentLength = -1
				}
				s := doEcho(t, c, req)
				if s.BodyLen != int64(size) || s.BodySHA != sha(data) {
					t.Errorf("backend got %d bytes sha %s, sent %d sha %s", s.BodyLen, s.BodySHA, size, sha(data))
				}
				wantCL, wantTE := int64(size), []string(nil)
				if chunked {
					wantCL, wantTE = -1, []string{"chunked"}
				}
				if s.ContentLength != wantCL || !reflect.DeepEqual(s.TransferEncoding, wantTE) {
					t.Errorf("backend saw Content-Length %d Transfer-Encoding %v, want %d %v", s.ContentLength, s.TransferEncoding, wantCL, wantTE)
				}
			})
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("bodies took %d connections, want 1 reused", n)
	}
}

// big writes ?bytes=N deterministic bytes in pieces of ?piece= (default 1000), flushing every
// ?flush=K bytes.
var big = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("bytes"))
	flush, _ := strconv.Atoi(r.URL.Query().Get("flush"))
	piece, _ := strconv.Atoi(r.URL.Query().Get("piece"))
	if piece <= 0 {
		piece = 1000
	}
	data := payload(n)
	w.Header().Set("Content-Type", "application/octet-stream")
	sinceFlush := 0
	for len(data) > 0 {
		k := min(piece, len(data))
		w.Write(data[:k])
		data = data[k:]
		sinceFlush += k
		if flush > 0 && sinceFlush >= flush {
			w.(http.Flusher).Flush()
			sinceFlush = 0
		}
	}
})

func TestRoundTripResponseBodies(t *testing.T) {
	b := startBackend(t, big)
	var dials atomic.Int32
	c := &http.Client{Transport: countingTransport(&dials)}
	for _, size := range []int{0, 1, 8184, 8185, 1 << 20, 10 << 20} {
		for _, flush := range []int{0, 8000} {
			for _, piece := range []int{1000, 100000} {
				t.Run(fmt.Sprintf("%d bytes flush=%d piece=%d", size, flush, piece), func(t *testing.T) {
					resp, err := c.Get(b.url(fmt.Sprintf("/big?bytes=%d&flush=%d&piece=%d", size, flush, piece)))
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != size || sha(got) != sha(payload(size)) {
						t.Errorf("got %d bytes sha %s, want %d", len(got), sha(got), size)
					}
					if resp.ContentLength != int64(size) && resp.ContentLength != -1 {
						t.Errorf("ContentLength %d", resp.ContentLength)
					}
				})
			}
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("responses took %d connections, want 1 reused", n)
	}
}

// A flushed part reaches the reader while the handler is still blocked: the handler waits for the
// test to have read it, so without a working flush the test cannot finish.
func TestRoundTripFlushReachesReader(t *testing.T) {
	release := make(chan struct{})
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first part|")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "rest")
	}))
	c := &http.Client{Transport: &ajp.Transport{}}
	var resp *http.Response
	first := make(chan string, 1)
	go func() {
		var err error
		if resp, err = c.Get(b.url("/stream")); err != nil {
			first <- err.Error()
			return
		}
		buf := make([]byte, 64)
		n, _ := resp.Body.Read(buf)
		first <- string(buf[:n])
	}()
	select {
	case got := <-first:
		if got != "first part|" {
			close(release)
			t.Fatalf("first read %q", got)
		}
	case <-time.After(10 * time.Second):
		close(release) // the handler finishes, so the request above ends too
		<-first
		t.Fatal("the flushed bytes did not reach the reader while the handler was blocked")
	}
	defer resp.Body.Close()
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "rest" {
		t.Errorf("rest %q %v", rest, err)
	}
}

func TestRoundTripNoBodyResponses(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "20")
			io.WriteString(w, "twenty bytes of body")
		}
	}))
	var dials atomic.Int32
	c := &http.Client{Transport: countingTransport(&dials)}
	for _, tc := range []struct {
		method, path string
		status       int
		wantCL       int64
	}{
		{"HEAD", "/head", 200, 20},
		{"GET", "/204", 204, 0},
		{"GET", "/304", 304, 0},
		{"HEAD", "/head", 200, 20},
	} {
		resp, err := c.Do(newRequest(t, tc.method, b.url(tc.path), nil))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || len(body) != 0 || resp.ContentLength != tc.wantCL || resp.Body != http.NoBody {
			t.Errorf("%s %s: status %d, %d body bytes, ContentLength %d, NoBody %v",
				tc.method, tc.path, resp.StatusCode, len(body), resp.ContentLength, resp.Body == http.NoBody)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("HEAD/204/304 took %d connections, want 1 reused", n)
	}
}

func TestRoundTripResponseHeaders(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Set-Cookie", "JSESSIONID=ABC.tomcat1; Path=/app; HttpOnly")
		h.Add("Set-Cookie", "b=2")
		h.Add("Set-Cookie", "c=3")
		h.Set("WWW-Authenticate", `Basic realm="x"`)
		h.Set("X-Custom", "v")
		w.WriteHeader(http.StatusTeapot)
	}))
	resp, err := (&http.Client{Transport: &ajp.Transport{}}).Get(b.url("/cookies"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := []string{"JSESSIONID=ABC.tomcat1; Path=/app; HttpOnly", "b=2", "c=3"}
	if got := resp.Header["Set-Cookie"]; !reflect.DeepEqual(got, want) {
		t.Errorf("Set-Cookie %q, want %q", got, want)
	}
	if len(resp.Cookies()) != 3 || resp.Header.Get("Www-Authenticate") != `Basic realm="x"` || resp.Header.Get("X-Custom") != "v" {
		t.Errorf("headers %v", resp.Header)
	}
	if resp.Status != "418 I'm a teapot" || resp.Proto != "HTTP/1.1" {
		t.Errorf("status line %q %q", resp.Proto, resp.Status)
	}
}

func TestRoundTripSecret(t *testing.T) {
	b := startBackend(t, echo, func(s *ajp.Server) { s.Secret = "right-secret" })
	var dials atomic.Int32
	wrong := countingTransport(&dials)
	wrong.Secret = "wrong-secret"
	for range 2 {
		resp, err := (&http.Client{Transport: wrong}).Get(b.url("/"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("wrong secret: status %d, want 403", resp.StatusCode)
		}
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("after a 403 with reuse=0 the connection must close: %d dials for 2 requests", n)
	}
	b.waitClosed(t, 2)
	right := &ajp.Transport{Secret: "right-secret"}
	if s := doEcho(t, &http.Client{Transport: right}, newRequest(t, "GET", b.url("/"), nil)); s.Method != "GET" {
		t.Errorf("right secret: %+v", s)
	}
}

func TestRoundTripContextCancel(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}))
	t.Cleanup(func() { close(release) }) // runs before the backend's shutdown
	ctx, cancel := context.WithCancel(context.Background())
	req := newRequest(t, "GET", b.url("/slow"), nil).WithContext(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := (&ajp.Transport{}).RoundTrip(req)
		errc <- err
	}()
	<-entered
	cancel()
	select {
	case err := <-errc:
		if !errorsIs(err, context.Canceled) || ajp.IsRetryable(err) {
			t.Errorf("err %v (retryable %v), want context.Canceled, not retryable", err, ajp.IsRetryable(err))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the context did not end RoundTrip")
	}
}

func TestRoundTripBadURL(t *testing.T) {
	tr := &ajp.Transport{}
	for _, u := range []string{"http://127.0.0.1:1/", "ajp:///nohost"} {
		req := &http.Request{Method: "GET", URL: mustURL(t, u), Header: http.Header{}}
		if _, err := tr.RoundTrip(req); err == nil {
			t.Errorf("%s: no error", u)
		}
	}
	bad := &ajp.Transport{PacketSize: 100}
	if _, err := bad.RoundTrip(newRequest(t, "GET", "ajp://127.0.0.1:1/", nil)); err == nil || !strings.Contains(err.Error(), "PacketSize") {
		t.Errorf("PacketSize 100: %v", err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
