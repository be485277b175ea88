package gateway

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

func adminDo(t *testing.T, method, url, token, body string) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func TestNewRefusesWithoutToken(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrNoAdminToken) {
		t.Fatalf("New without token: %v, want ErrNoAdminToken", err)
	}
}

func TestAdminAuth(t *testing.T) {
	g, _, _ := twoBackends(t)
	for _, path := range []string{"/v1/services", "/status", "/status.json", "/metrics"} {
		if code, _, _ := adminDo(t, "GET", g.AdminURL+path, "", ""); code != http.StatusUnauthorized {
			t.Errorf("%s without token: %d, want 401", path, code)
		}
		if code, _, _ := adminDo(t, "GET", g.AdminURL+path, "wrong-token-xxxx", ""); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", path, code)
		}
		if code, _, _ := adminDo(t, "GET", g.AdminURL+path, testToken, ""); code != http.StatusOK {
			t.Errorf("%s with the token: %d, want 200", path, code)
		}
	}
	if code, _, _ := adminDo(t, "GET", g.AdminURL+"/healthz", "", ""); code != http.StatusOK {
		t.Errorf("/healthz: %d, want 200 without token", code)
	}
	// ?token= once, then the cookie.
	code, _, resp := adminDo(t, "GET", g.AdminURL+"/status?token="+testToken, "", "")
	if code != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "token") {
		t.Fatalf("?token=: %d to %q, want 303 to a URL without the token", code, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == statusCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("no HttpOnly, SameSite=Strict status cookie: %v", resp.Cookies())
	}
	if strings.Contains(cookie.Value, testToken) {
		t.Fatalf("the cookie carries the admin token itself: %q", cookie.Value)
	}
	// The cookie opens the status pages, never the admin API.
	apiReq, _ := http.NewRequest("GET", g.AdminURL+"/v1/services", nil)
	apiReq.AddCookie(cookie)
	apiResp, err := http.DefaultClient.Do(apiReq)
	if err != nil {
		t.Fatal(err)
	}
	apiResp.Body.Close()
	if apiResp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the status cookie opened the admin API: %s", apiResp.Status)
	}
	req, _ := http.NewRequest("GET", g.AdminURL+"/status", nil)
	req.AddCookie(cookie)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	for _, want := range []string{`http-equiv="refresh" content="2"`, "viewport", ">a<", ">b<", "active"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if code, _, _ := adminDo(t, "GET", g.AdminURL+"/status?token=wrong", "", ""); code != http.StatusUnauthorized {
		t.Errorf("?token=wrong: %d, want 401", code)
	}
}

func TestPublicStatus(t *testing.T) {
	g := newTestGateway(t, func(c *Config) { c.PublicStatus = true })
	if code, _, _ := adminDo(t, "GET", g.AdminURL+"/metrics", "", ""); code != http.StatusOK {
		t.Fatalf("/metrics with --public-status: %d", code)
	}
	if code, _, _ := adminDo(t, "GET", g.AdminURL+"/v1/services", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("/v1 with --public-status and no token: %d, want 401", code)
	}
}

func TestAdminBadInput(t *testing.T) {
	g, _, _ := twoBackends(t)
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"PUT", "/v1/services/x", `{"name":"x",`, http.StatusBadRequest},
		{"PUT", "/v1/services/x", `{"name":"x","protocol":"gopher"}`, http.StatusBadRequest},
		{"PUT", "/v1/services/x", `{"name":"x","protocol":"http","health":{"check":"cping"}}`, http.StatusBadRequest},
		{"PUT", "/v1/services/x", `{"name":"x","protocol":"http","path_prefixes":["app"]}`, http.StatusBadRequest},
		{"POST", "/v1/services/app/backends", `{"name":"c","address":"nohost"}`, http.StatusBadRequest},
		{"POST", "/v1/services/app/backends", `{"name":"a","address":"127.0.0.1:1"}`, http.StatusConflict},
		{"POST", "/v1/services/nosuch/backends", `{"name":"c","address":"127.0.0.1:1"}`, http.StatusNotFound},
		{"PATCH", "/v1/services/app/backends/nosuch", `{"activation":"draining"}`, http.StatusNotFound},
		{"PATCH", "/v1/services/app/backends/a", `{"activation":"sideways"}`, http.StatusBadRequest},
		{"PATCH", "/v1/services/app/backends/a", `{"weight":0}`, http.StatusBadRequest},
		{"DELETE", "/v1/services/app/backends/nosuch", ``, http.StatusNotFound},
		{"GET", "/v1/services/nosuch", ``, http.StatusNotFound},
		{"POST", "/v1/services/app/deploys", `{"service":"app","outcome":"great"}`, http.StatusBadRequest},
		{"POST", "/v1/services/app/rollout", `{"backends":[]}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		code, body, _ := adminDo(t, c.method, g.AdminURL+c.path, testToken, c.body)
		if code != c.want {
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.path, c.body, code, body, c.want)
		}
	}
	// The Go client sees the sentinels.
	cl := admin.NewClient(g.AdminURL, testToken)
	if _, err := cl.Service(t.Context(), "nosuch"); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("client: %v, want ErrNotFound", err)
	}
}
