package ajp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// Every method of the AJP method table, plus PATCH and PURGE which travel as the stored method (0xFF and
// attribute 0x0D). JSPs serve only GET, HEAD, POST and OPTIONS; for any other method Tomcat answers 405,
// and the test webapp renders that 405 with info.jsp, so the test still sees which method Tomcat parsed.
func TestTomcatMethods(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	methods := []string{
		"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY",
		"MOVE", "LOCK", "UNLOCK", "ACL", "REPORT", "VERSION-CONTROL", "CHECKIN", "CHECKOUT", "UNCHECKOUT",
		"SEARCH", "MKWORKSPACE", "UPDATE", "LABEL", "MERGE", "BASELINE-CONTROL", "MKACTIVITY",
		"PATCH", "PURGE",
	}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			resp, body := tomcatDo(t, c, tomcatRequest(t, method, tc.AJPURL("/app/info.jsp?probe="+method), nil))
			switch method {
			case "OPTIONS":
				// Jasper answers OPTIONS itself, listing what a JSP allows.
				if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Allow"), "OPTIONS") {
					t.Fatalf("OPTIONS = %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
				}
			case "HEAD":
				if resp.StatusCode != 200 || len(body) != 0 {
					t.Fatalf("HEAD = %d with %d body bytes, want 200 and none", resp.StatusCode, len(body))
				}
			case "GET", "POST":
				p := parseTomcatPage(body)
				if resp.StatusCode != 200 || p.kv["method"] != method || p.kv["param.probe"] != method {
					t.Fatalf("%s = %d %q", method, resp.StatusCode, body)
				}
			default:
				p := parseTomcatPage(body)
				if resp.StatusCode != http.StatusMethodNotAllowed || p.kv["method"] != method {
					t.Fatalf("%s = %d, Tomcat saw method %q; want 405 and %s", method, resp.StatusCode, p.kv["method"], method)
				}
			}
		})
	}
}

// What Tomcat derives from the request target: the path stays %-encoded on the wire and Tomcat decodes
// it (once), the query travels raw in its own attribute, ;jsessionid= path parameters survive.
func TestTomcatRequestTargets(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	tests := []struct {
		name   string
		target string
		status int
		want   map[string]string // keys of info.jsp; absent keys are not checked
	}{
		{"no query", "/app/info.jsp", 200, map[string]string{
			"request_uri": "/app/info.jsp", "query_string": "null"}},
		// A bare '?' is an empty query, not none: Tomcat says "" as it does behind mod_jk.
		{"empty query", "/app/info.jsp?", 200, map[string]string{
			"query_string": ""}},
		{"query", "/app/info.jsp?a=1&b=two&a=3", 200, map[string]string{
			"query_string": "a=1&b=two&a=3", "param.b": "two"}},
		{"query stays encoded", "/app/info.jsp?q=%41b%20c%26d", 200, map[string]string{
			"query_string": "q=%41b%20c%26d", "param.q": "Ab c&d"}},
		{"space and percent in the path", "/app/info/a%20b%25c", 200, map[string]string{
			"request_uri": "/app/info/a%20b%25c", "path_info": "/a b%c"}},
		{"encoded letter in the path", "/app/in%66o.jsp", 200, map[string]string{
			"servlet_path": "/info.jsp"}},
		{"jsessionid path parameter", "/app/info.jsp;jsessionid=ABC123.conformance?q=1", 200, map[string]string{
			"requested_session_id": "ABC123.conformance", "session_id_from_url": "true",
			"request_uri": "/app/info.jsp;jsessionid=ABC123.conformance", "query_string": "q=1"}},
		{"UTF-8 path, encoded", "/app/info/caf%C3%A9/%E6%9D%B1%E4%BA%AC", 200, map[string]string{
			"path_info": "/café/東京"}},
		{"UTF-8 path, raw in the URL", "/app/info/café", 200, map[string]string{
			"request_uri": "/app/info/caf%C3%A9", "path_info": "/café"}},
		{"UTF-8 query, encoded", "/app/info.jsp?q=%C3%A9t%C3%A9", 200, map[string]string{
			"query_string": "q=%C3%A9t%C3%A9", "param.q": "été"}},
		{"UTF-8 query, raw in the URL", "/app/info.jsp?q=été", 200, map[string]string{
			"query_string_utf8": "q=été", "param.q": "été"}},
		// Tomcat rejects an encoded slash (encodedSolidusHandling=reject): proof that it arrived encoded.
		{"encoded slash", "/app/info/x%2Fy", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tomcatGet(t, c, tc.AJPURL(tt.target))
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d, want %d\n%s", tt.target, resp.StatusCode, tt.status, body)
			}
			p := parseTomcatPage(body)
			for k, want := range tt.want {
				if got := p.kv[k]; got != want {
					t.Errorf("GET %s: Tomcat's %s = %q, want %q", tt.target, k, got, want)
				}
			}
		})
	}
}

func TestTomcatRequestHeaders(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)

	t.Run("100 headers and a repeated one", func(t *testing.T) {
		req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
		for i := range 100 {
			req.Header.Set(fmt.Sprintf("X-Many-%03d", i), fmt.Sprintf("value %d", i))
		}
		for _, v := range []string{"first", "second", "third"} {
			req.Header.Add("X-Repeated", v)
		}
		// Coded headers (table 3.2) travel as two bytes; Tomcat must map them back.
		req.Header.Set("Accept", "text/plain")
		req.Header.Set("Accept-Language", "de-CH")
		req.Header.Set("Referer", "http://example.test/from")
		req.Header.Set("User-Agent", "conformance/1")
		resp, body := tomcatDo(t, c, req)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d\n%s", resp.StatusCode, body)
		}
		p := parseTomcatPage(body)
		for i := range 100 {
			name := fmt.Sprintf("x-many-%03d", i)
			if got := p.headers[name]; !slices.Equal(got, []string{fmt.Sprintf("value %d", i)}) {
				t.Fatalf("Tomcat saw %s = %q", name, got)
			}
		}
		if got := p.headers["x-repeated"]; !slices.Equal(got, []string{"first", "second", "third"}) {
			t.Errorf("Tomcat saw X-Repeated = %q, want first, second, third in order", got)
		}
		for name, want := range map[string]string{"accept": "text/plain", "accept-language": "de-CH",
			"referer": "http://example.test/from", "user-agent": "conformance/1"} {
			if got := p.headers[name]; !slices.Equal(got, []string{want}) {
				t.Errorf("Tomcat saw %s = %q, want %q", name, got, want)
			}
		}
	})
	t.Run("non-ASCII header values arrive as their UTF-8 bytes", func(t *testing.T) {
		req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
		req.Header.Set("X-Name", "grüße 東京")
		_, body := tomcatDo(t, c, req)
		if got := parseTomcatPage(body).utf8["x-name"]; !slices.Equal(got, []string{"grüße 東京"}) {
			t.Fatalf("Tomcat saw X-Name bytes as %q", got)
		}
	})
	t.Run("hop-by-hop headers are not forwarded", func(t *testing.T) {
		req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
		req.Header.Set("Connection", "X-Private")
		req.Header.Set("Keep-Alive", "timeout=5")
		req.Header.Set("Proxy-Authorization", "Basic Zm9vOmJhcg==")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("TE", "trailers")
		_, body := tomcatDo(t, c, req)
		p := parseTomcatPage(body)
		for _, name := range []string{"connection", "keep-alive", "proxy-authorization", "upgrade", "te"} {
			if got, ok := p.headers[name]; ok {
				t.Errorf("Tomcat saw hop-by-hop %s = %q", name, got)
			}
		}
	})
	t.Run("cookies keep the session", func(t *testing.T) {
		resp, body := tomcatGet(t, c, tc.AJPURL("/app/hello.jsp"))
		first := parseTomcatPage(body)
		if first.kv["hits"] != "1" || !strings.HasSuffix(first.kv["session"], ".conformance") {
			t.Fatalf("first hello.jsp: %q", body)
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 || cookies[0].Name != "JSESSIONID" || cookies[0].Value != first.kv["session"] {
			t.Fatalf("Set-Cookie = %q, want JSESSIONID=%s", resp.Header.Values("Set-Cookie"), first.kv["session"])
		}
		req := tomcatRequest(t, "GET", tc.AJPURL("/app/hello.jsp"), nil)
		req.AddCookie(cookies[0])
		req.Header.Add("Cookie", "other=1")
		_, body = tomcatDo(t, c, req)
		if second := parseTomcatPage(body); second.kv["session"] != first.kv["session"] || second.kv["hits"] != "2" {
			t.Fatalf("second hello.jsp with the cookie: %q", body)
		}
	})
}

// What the gateway knows about the client travels in the request context; Tomcat must report it as the
// request's own (mod_jk semantics), and JK_LB_ACTIVATION reaches the application.
func TestTomcatRequestInfo(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	for _, activation := range []string{"ACT", "DIS"} {
		t.Run(activation, func(t *testing.T) {
			info := ajp.RequestInfo{
				RemoteAddr: "203.0.113.7", RemotePort: 54321, LocalAddr: "192.0.2.10",
				ServerName: "shop.example", ServerPort: 8443, IsSSL: true,
				Route: tc.Route(), Activation: activation,
			}
			req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
			req = req.WithContext(ajp.WithRequestInfo(context.Background(), info))
			req.Host = "shop.example:8443"
			resp, body := tomcatDo(t, c, req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d\n%s", resp.StatusCode, body)
			}
			p := parseTomcatPage(body)
			for k, want := range map[string]string{
				"remote_addr": "203.0.113.7", "remote_port": "54321", "local_addr": "192.0.2.10",
				"server_name": "shop.example", "server_port": "8443", "scheme": "https", "secure": "true",
				"attr?JK_LB_ACTIVATION": activation,
			} {
				if got := p.kv[k]; got != want {
					t.Errorf("Tomcat's %s = %q, want %q", k, got, want)
				}
			}
		})
	}
	t.Run("without RequestInfo the Host header names the server", func(t *testing.T) {
		req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
		req.Host = "plain.example:8080"
		_, body := tomcatDo(t, c, req)
		p := parseTomcatPage(body)
		if p.kv["server_name"] != "plain.example" || p.kv["server_port"] != "8080" || p.kv["scheme"] != "http" {
			t.Fatalf("Tomcat saw server %s:%s scheme %s, want plain.example:8080 http",
				p.kv["server_name"], p.kv["server_port"], p.kv["scheme"])
		}
	})
}

// A request whose FORWARD_REQUEST cannot fit one packet is refused by the Transport before a byte goes
// out: Tomcat would answer 500 and drop the connection.
func TestTomcatRequestTooLarge(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, w := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp")) // one pooled connection
	written := w.written.Load()

	req := tomcatRequest(t, "GET", tc.AJPURL("/app/info.jsp"), nil)
	req.Header.Set("X-Huge", strings.Repeat("h", 9000))
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a 9000-byte header went through: %d", resp.StatusCode)
	}
	if !errors.Is(err, ajp.ErrRequestTooLarge) || !errors.Is(err, ajp.ErrHeadersTooLarge) {
		t.Fatalf("error %v, want ErrRequestTooLarge and ErrHeadersTooLarge", err)
	}
	if ajp.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = true; retrying cannot make it fit", err)
	}
	if got := w.written.Load(); got != written {
		t.Fatalf("the Transport wrote %d bytes for a request it refused", got-written)
	}
	// Tomcat never saw it: the pooled connection is intact (Tomcat closes it after an oversize packet).
	if resp, _ := tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp")); resp.StatusCode != 200 || w.dials.Load() != 1 {
		t.Fatalf("after the refused request: status %d, %d dials, want 200 on the first connection", resp.StatusCode, w.dials.Load())
	}
}
