package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
)

// recorder is an HTTP backend that records what reached it: request URIs and headers.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	uris []string
	last *http.Request
}

func startRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "roll-gateway-health" {
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		rec.mu.Lock()
		rec.uris = append(rec.uris, r.RequestURI)
		rec.last = r
		rec.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/login") {
			w.Header().Add("Set-Cookie", "JSESSIONID=REAL1.b1; Path=/")
		}
		io.WriteString(w, "seen "+r.RequestURI)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.uris...)
}

func (rec *recorder) lastRequest() *http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.last
}

// gatewayWith serves one HTTP service "app" on /app over the recorder as backend b1.
func gatewayWith(t *testing.T, rec *recorder, mod func(*Config)) *testGateway {
	t.Helper()
	g := newTestGateway(t, mod)
	spec := httpService("app")
	spec.PathPrefixes = []string{"/app"}
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b1", Address: rec.srv.Listener.Addr().String(), Activation: admin.Active})
	return g
}

// rawRequest sends exact bytes to the gateway and reads one answer.
func rawRequest(t *testing.T, g *testGateway, req string) (*http.Response, string) {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", req, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// A path that leaves the /app mount once normalised never reaches the /app backend; the
// ones that stay inside reach it normalised.
func TestTraversalNeverLeavesTheMount(t *testing.T) {
	rec := startRecorder(t)
	g := gatewayWith(t, rec, nil)
	outside := []string{"/app/../other/", "/app/..;/other/", "/app/%2e%2e/other/", "/app/.%2e/other/",
		"/app;x/../other/", "/app/x/../../other/", "/app//../other/", "/app/%2E%2E/other/secret.jsp"}
	for _, p := range outside {
		resp, body := rawRequest(t, g, "GET "+p+" HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d %q, want 404 (outside every mount)", p, resp.StatusCode, body)
		}
	}
	refused := []string{"/app/..%2fother/", "/app/%2e%2e%2f", "/app/a%00b", "/..", "/app/../../x", "/app/a%5cb", "/app/a\\b"}
	for _, p := range refused {
		resp, body := rawRequest(t, g, "GET "+p+" HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %q, want 400", p, resp.StatusCode, body)
		}
	}
	if got := rec.seen(); len(got) != 0 {
		t.Fatalf("the backend saw %q", got)
	}
	inside := map[string]string{
		"/app/./info.jsp":      "/app/info.jsp",
		"/app/x/../info.jsp":   "/app/info.jsp",
		"/app/%2e/info.jsp":    "/app/info.jsp",
		"/app//info.jsp":       "/app/info.jsp",
		"/%61pp/info.jsp?q=1":  "/app/info.jsp?q=1",
		"/app;jsessionid=A.b1": "/app;jsessionid=A.b1",
		"/app/a%7cb":           "/app/a%7Cb",
	}
	for in, want := range inside {
		resp, body := rawRequest(t, g, "GET "+in+" HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp.StatusCode != 200 || body != "seen "+want {
			t.Errorf("%s: %d %q, want the backend to see %s", in, resp.StatusCode, body, want)
		}
	}
}

func TestPrefixesMustBeNormal(t *testing.T) {
	g := newTestGateway(t, nil)
	for _, p := range []string{"/app/../x", "/app//x", "/%61pp", "/app/."} {
		spec := httpService("bad")
		spec.PathPrefixes = []string{p}
		if err := g.PutService(t.Context(), spec); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// Only session ids the backend issued count: a client cannot inflate a drain with cookies.
func TestForgedSessionsAreNotTracked(t *testing.T) {
	rec := startRecorder(t)
	g := gatewayWith(t, rec, nil)
	for i := range 300 {
		code, _ := get(t, g.URL+"/app/x", fmt.Sprintf("JSESSIONID=FORGED%d.b1", i))
		if code != 200 {
			t.Fatalf("forged cookie request: %d", code)
		}
	}
	if n := backendOf(t, g, "app", "b1").Sessions; n != 0 {
		t.Fatalf("%d sessions tracked from client-invented cookies, want 0", n)
	}
	get(t, g.URL+"/app/login", "")
	get(t, g.URL+"/app/x", "JSESSIONID=REAL1.b1")
	if n := backendOf(t, g, "app", "b1").Sessions; n != 1 {
		t.Fatalf("%d sessions after the backend issued one, want 1", n)
	}
}

// A 101 the proxy cannot carry out ends the request: the backend's in-flight count returns
// to zero instead of holding every later drain to its timeout.
func TestRefusedUpgradeReleasesTheBackend(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "roll-gateway-health" {
			return
		}
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		w.WriteHeader(http.StatusSwitchingProtocols)
	}))
	t.Cleanup(up.Close)
	g := newTestGateway(t, nil)
	mustPut(t, g, httpService("ws"))
	mustAdd(t, g, "ws", admin.BackendSpec{Name: "w1", Address: up.Listener.Addr().String(), Activation: admin.Active})
	for _, hdr := range []string{"Connection: Upgrade\r\nUpgrade: websocket, foo\r\n", "", "Connection: Upgrade\r\nUpgrade: h2c\r\n"} {
		resp, _ := rawRequest(t, g, "GET /ws HTTP/1.1\r\nHost: h\r\n"+hdr+"\r\n")
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("upgrade %q answered %d, want 502", hdr, resp.StatusCode)
		}
	}
	eventually(t, 5*time.Second, "in-flight back to 0", func() bool { return backendOf(t, g, "ws", "w1").InFlight == 0 })
}

// A client's broken upload is the client's error: 400, counted for the service, and the
// backend stays healthy with no error of its own.
func TestTruncatedUploadIsAClientError(t *testing.T) {
	rec := startRecorder(t)
	g := gatewayWith(t, rec, nil)
	nc, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "POST /app/upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("x", 1000))
	nc.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err == nil && resp.StatusCode/100 == 2 {
		t.Fatalf("a truncated upload got %s", resp.Status)
	}
	st, err := g.Service(t.Context(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if b := backendOf(t, g, "app", "b1"); b.Errors != 0 || !b.Healthy {
		t.Fatalf("the backend was blamed: errors %d healthy %v (%s)", b.Errors, b.Healthy, b.LastError)
	}
	if st.ClientErrors != 1 {
		t.Fatalf("client errors %d, want 1", st.ClientErrors)
	}
}

// Headers about the client connection are the gateway's: a client's are replaced, a
// trusted proxy's are extended.
func TestForwardingHeaders(t *testing.T) {
	rec := startRecorder(t)
	g := gatewayWith(t, rec, nil)
	forged := "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 6.6.6.6\r\n" +
		"X-Forwarded-Port: 443\r\nX-Forwarded-Prefix: /admin\r\nX-Forwarded-Ssl: on\r\nForwarded: for=6.6.6.6\r\n" +
		"X-Original-URL: /admin\r\nX-Roll-Activation: ACT\r\nCookie: a=1; roll_status=abc; roll_admin_token=tok; b=2\r\n"
	rawRequest(t, g, "GET /app/h HTTP/1.1\r\nHost: shop\r\n"+forged+"\r\n")
	h := rec.lastRequest().Header
	want := map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "shop", "X-Forwarded-Proto": "http", "Cookie": "a=1; b=2"}
	for k, v := range want {
		if got := strings.Join(h[k], ","); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"X-Real-Ip", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Ssl", "Forwarded", "X-Original-Url"} {
		if v, ok := h[k]; ok {
			t.Errorf("the client's %s: %q reached the backend", k, v)
		}
	}
	if v := h.Get(activationHeader); v != "ACT" {
		t.Errorf("X-Roll-Activation %q: the gateway's own value must replace the client's", v)
	}

	// From a trusted proxy, the chain is kept and extended.
	g2 := gatewayWith(t, rec, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	rawRequest(t, g2, "GET /app/h HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n")
	h = rec.lastRequest().Header
	if got := h.Get("X-Forwarded-For"); got != "203.0.113.9, 127.0.0.1" {
		t.Errorf("trusted X-Forwarded-For %q", got)
	}
	if got := h.Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("trusted X-Forwarded-Proto %q", got)
	}
}

// An HTTP/1.0 request without Host does not get the backend's own address as its Host.
func TestNoHostGetsTheGatewaysAddress(t *testing.T) {
	rec := startRecorder(t)
	g := gatewayWith(t, rec, nil)
	rawRequest(t, g, "GET /app/x HTTP/1.0\r\n\r\n")
	r := rec.lastRequest()
	if r.Host != strings.TrimPrefix(g.URL, "http://") {
		t.Fatalf("Host %q, want the gateway's address %s", r.Host, strings.TrimPrefix(g.URL, "http://"))
	}
	if _, ok := r.Header["X-Forwarded-Host"]; ok {
		t.Fatalf("X-Forwarded-Host %q for a request that had no Host", r.Header.Get("X-Forwarded-Host"))
	}
}

// Over AJP the client's address travels in the request, never in X-Forwarded-*: a client's
// claim is ignored, and a trusted proxy's report becomes the address Tomcat sees.
func TestAJPClientAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan *http.Request, 1)
	srv := &ajp.Server{Secret: ajpSecret, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "roll-gateway-health" {
			seen <- r
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"untrusted client", nil, "127.0.0.1"},
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGateway(t, func(c *Config) { c.TrustedProxies = tc.trusted })
			mustPut(t, g, ajpService("app"))
			mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: l.Addr().String(), Activation: admin.Active})
			rawRequest(t, g, "GET /x HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n")
			r := <-seen
			if host, _, _ := net.SplitHostPort(r.RemoteAddr); host != tc.want {
				t.Errorf("Tomcat's remote address %q, want %s", r.RemoteAddr, tc.want)
			}
			for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"} {
				if v, ok := r.Header[k]; ok {
					t.Errorf("%s: %q reached the AJP backend", k, v)
				}
			}
		})
	}
}
