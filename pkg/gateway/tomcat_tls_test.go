package gateway

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// A real Tomcat 10.1 behind the gateway's TLS listener sees the request as a Tomcat with its own
// TLS connector would: https, secure, the client's port, the cipher, key size, session id and
// protocol, and the client certificate as jakarta.servlet.request.X509Certificate, over HTTP/1.1
// and HTTP/2 alike; a plain request sees none of it.
func TestTomcatSeesTheTLSConnection(t *testing.T) {
	t1, _ := sharedTomcats(t)
	g := shopGateway(t, nil)
	tomcatService(t, g.testGateway, t1)
	page := func(c *http.Client, url, host string) map[string]string {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Host = host
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, body)
		}
		return kv(string(body))
	}
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			c := g.client(t, h2, g.CA.Client(t, "alice").TLS(t))
			p := page(c, "https://shop.test/app/tls.jsp", "")
			want := map[string]string{
				"scheme": "https", "secure": "true", "server_name": "shop.test", "server_port": "443",
				"request_url":  "https://shop.test/app/tls.jsp",
				"cipher_suite": "TLS_AES_128_GCM_SHA256", "key_size": "128", "key_size_type": "Integer",
				"secure_protocol": "TLSv1.3", "client_certs": "1", "client_subject": "CN=alice", "client_issuer": "CN=roll test CA",
			}
			if h2 {
				want["protocol"] = "HTTP/2.0"
			}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s = %q, want %q", k, p[k], v)
				}
			}
			if len(p["ssl_session_id"]) != 64 {
				t.Errorf("ssl_session_id = %q, want 64 hex digits", p["ssl_session_id"])
			}
			if p := page(c, "https://shop.test/app/tls.jsp", "shop.test:8443"); p["server_port"] != "8443" || p["request_url"] != "https://shop.test:8443/app/tls.jsp" {
				t.Errorf("Host shop.test:8443: server_port %s, request_url %s", p["server_port"], p["request_url"])
			}
			if p := page(g.client(t, h2), "https://shop.test/app/tls.jsp", ""); p["client_certs"] != "0" || p["secure"] != "true" {
				t.Errorf("without a client certificate: client_certs %s secure %s", p["client_certs"], p["secure"])
			}
		})
	}
	p := page(http.DefaultClient, g.URL+"/app/tls.jsp", "")
	for k, v := range map[string]string{"scheme": "http", "secure": "false", "cipher_suite": "null", "key_size": "null", "ssl_session_id": "null", "client_certs": "0"} {
		if p[k] != v {
			t.Errorf("plain: %s = %q, want %q", k, p[k], v)
		}
	}
}
