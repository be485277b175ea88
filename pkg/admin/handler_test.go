package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// endpointCase is one admin endpoint with a request that succeeds against
// newFake, one that names something missing and one the Service refuses.
type endpointCase struct {
	name    string
	method  string
	path    string
	body    string // a valid body; "" when the endpoint takes none
	status  int    // of the valid request
	missing string // a path naming a service or backend that does not exist; "" when none applies
	invalid string // a well-formed body the Service refuses; "" when the endpoint takes no body
}

var endpointCases = []endpointCase{
	{name: "list services", method: "GET", path: "/v1/services", status: 200},
	{name: "get service", method: "GET", path: "/v1/services/app", status: 200, missing: "/v1/services/nope"},
	{name: "put service", method: "PUT", path: "/v1/services/app", status: 204,
		body: `{"protocol":"http","path_prefixes":["/x"]}`, invalid: `{"protocol":"ftp"}`},
	{name: "delete service", method: "DELETE", path: "/v1/services/app", status: 204, missing: "/v1/services/nope"},
	{name: "add backend", method: "POST", path: "/v1/services/app/backends", status: 201,
		body: `{"name":"app-2","address":"10.0.0.3:8009","activation":"stopped"}`, missing: "/v1/services/nope/backends", invalid: `{"name":"app-2"}`},
	{name: "update backend", method: "PATCH", path: "/v1/services/app/backends/app-1", status: 200,
		body: `{"activation":"DIS","weight":2}`, missing: "/v1/services/app/backends/nope", invalid: `{"weight":0}`},
	{name: "remove backend", method: "DELETE", path: "/v1/services/app/backends/app-1", status: 204, missing: "/v1/services/app/backends/nope"},
	{name: "rollout", method: "POST", path: "/v1/services/app/rollout", status: 200,
		body: `{"backends":[{"name":"app-2","address":"10.0.0.3:8009"}],"ready_timeout":"2m"}`, missing: "/v1/services/nope/rollout", invalid: `{"backends":[]}`},
	{name: "switch", method: "POST", path: "/v1/services/app/switch", status: 204,
		body: `{"rollout":"d1"}`, missing: "/v1/services/nope/switch", invalid: `{"abort":"hook failed"}`},
	{name: "pause", method: "PUT", path: "/v1/services/app/pause", status: 200,
		body: `{"max":"45s","max_held":10}`, missing: "/v1/services/nope/pause", invalid: `{"max":"2h"}`},
	// newFake's app is neither paused nor in maintenance: ending either is a conflict.
	{name: "resume", method: "DELETE", path: "/v1/services/app/pause", status: 409, missing: "/v1/services/nope/pause"},
	{name: "maintenance on", method: "PUT", path: "/v1/services/app/maintenance", status: 200,
		body: `{"message":"back at 14:00","retry_after":"5m"}`, missing: "/v1/services/nope/maintenance", invalid: `{"message":"bell\u0007"}`},
	{name: "maintenance off", method: "DELETE", path: "/v1/services/app/maintenance", status: 409, missing: "/v1/services/nope/maintenance"},
	{name: "list deploys", method: "GET", path: "/v1/services/app/deploys", status: 200, missing: "/v1/services/nope/deploys"},
	{name: "record deploy", method: "POST", path: "/v1/services/app/deploys", status: 204,
		body: `{"id":"d2","outcome":"succeeded","started":"2025-11-25T19:45:00Z"}`, missing: "/v1/services/nope/deploys", invalid: `{"id":"d2"}`},
}

func TestEndpoints(t *testing.T) {
	for _, ec := range endpointCases {
		t.Run(ec.name, func(t *testing.T) {
			t.Run("happy", func(t *testing.T) {
				a := rawCall(t, serve(t, newFake()), ec.method, ec.path, testToken, ec.body)
				if a.status != ec.status {
					t.Fatalf("status = %d, want %d; body %s", a.status, ec.status, a.body)
				}
				ct := a.header.Get("Content-Type")
				switch {
				case a.status == http.StatusNoContent:
					if len(a.body) != 0 {
						t.Errorf("204 with a body: %s", a.body)
					}
				case ec.name == "rollout":
					if ct != NDJSONContentType {
						t.Errorf("Content-Type = %q, want %q", ct, NDJSONContentType)
					}
				default:
					if ct != "application/json" || !json.Valid(a.body) {
						t.Errorf("Content-Type %q, body %s: want JSON", ct, a.body)
					}
				}
			})
			if ec.missing != "" {
				t.Run("not found", func(t *testing.T) {
					a := rawCall(t, serve(t, newFake()), ec.method, ec.missing, testToken, ec.body)
					if we := a.wire(t); a.status != http.StatusNotFound || we.Code != "not_found" || !strings.Contains(we.Message, `"nope"`) {
						t.Fatalf("%d %+v, want 404 not_found naming \"nope\"", a.status, we)
					}
				})
			}
			if ec.invalid != "" {
				t.Run("invalid", func(t *testing.T) {
					a := rawCall(t, serve(t, newFake()), ec.method, ec.path, testToken, ec.invalid)
					if we := a.wire(t); a.status != http.StatusBadRequest || we.Code != "invalid" {
						t.Fatalf("%d %+v, want 400 invalid", a.status, we)
					}
				})
			}
			if ec.body != "" {
				t.Run("bad bodies", func(t *testing.T) { testBadBodies(t, ec) })
			}
		})
	}
}

// testBadBodies sends malformed bodies: each must be refused with 400 (413 when
// too large), the code "invalid" and a message that says what is wrong.
func testBadBodies(t *testing.T, ec endpointCase) {
	huge := `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	tests := []struct {
		name, body string
		status     int
		says       string
	}{
		{"empty", "", 400, "body is empty"},
		{"cut short", `{"name":`, 400, "ends early"},
		{"syntax", `{"name":"a",}`, 400, "invalid JSON at byte 13"},
		{"unknown field", `{"bogus":1}`, 400, `unknown field "bogus"`},
		{"trailing data", ec.body + ` {}`, 400, "unexpected data after the JSON value"},
		{"trailing garbage", ec.body + `x`, 400, "unexpected data after the JSON value"},
		{"not an object", `[1,2]`, 400, "want a JSON object"},
		{"too large", huge, 413, "larger than the 1048576-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			a := rawCall(t, serve(t, f), ec.method, ec.path, testToken, tt.body)
			we := a.wire(t)
			if a.status != tt.status || we.Code != "invalid" || !strings.Contains(we.Message, tt.says) {
				t.Fatalf("%d %+v, want %d invalid saying %q", a.status, we, tt.status, tt.says)
			}
			if f.lastPut.Name != "" {
				t.Errorf("the Service was called with a refused body: %+v", f.lastPut)
			}
		})
	}
}

func TestBadFieldValues(t *testing.T) {
	srv := serve(t, newFake())
	tests := []struct {
		name, method, path, body, says string
	}{
		{"wrong type", "PATCH", "/v1/services/app/backends/app-1", `{"weight":"two"}`, `field "weight" (near byte 15): want int, got a JSON string`},
		{"bad activation", "PATCH", "/v1/services/app/backends/app-1", `{"activation":"sleepy"}`, `activation "sleepy": want active, draining or stopped`},
		{"bad duration", "PUT", "/v1/services/app", `{"protocol":"http","session_idle":"soon"}`, `duration "soon"`},
		{"name differs from path", "PUT", "/v1/services/app", `{"name":"other","protocol":"http"}`, `service name in the body ("other") differs from the one in the path ("app")`},
		{"service differs from path", "POST", "/v1/services/app/deploys", `{"id":"d","outcome":"failed","service":"other"}`, `service in the body ("other") differs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := rawCall(t, srv, tt.method, tt.path, testToken, tt.body)
			if we := a.wire(t); a.status != 400 || we.Code != "invalid" || !strings.Contains(we.Message, tt.says) {
				t.Fatalf("%d %+v, want 400 invalid saying %q", a.status, we, tt.says)
			}
		})
	}
}

func TestWrongMethod(t *testing.T) {
	srv := serve(t, newFake())
	tests := []struct {
		method, path, allow string
	}{
		{"POST", "/v1/services", "GET, HEAD"},
		{"PATCH", "/v1/services/app", "DELETE, GET, HEAD, PUT"},
		{"GET", "/v1/services/app/backends", "POST"},
		{"PUT", "/v1/services/app/backends/app-1", "DELETE, PATCH"},
		{"GET", "/v1/services/app/rollout", "POST"},
		{"DELETE", "/v1/services/app/deploys", "GET, HEAD, POST"},
		{"POST", "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			a := rawCall(t, srv, tt.method, tt.path, testToken, "")
			we := a.wire(t)
			if a.status != http.StatusMethodNotAllowed || we.Code != "invalid" || !strings.Contains(we.Message, "method not allowed") {
				t.Fatalf("%d %+v, want 405 invalid", a.status, we)
			}
			if got := a.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestPutNameFromPath(t *testing.T) {
	f := newFake()
	srv := serve(t, f)
	a := rawCall(t, srv, "PUT", "/v1/services/shop", testToken, `{"protocol":"ajp","secret":"other-s3cret"}`)
	if a.status != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	if f.lastPut.Name != "shop" || f.lastPut.Secret != "other-s3cret" {
		t.Fatalf("the Service got %+v, want name shop and the secret", f.lastPut)
	}
}

func TestRecordDeployServiceFromPath(t *testing.T) {
	f := newFake()
	srv := serve(t, f)
	a := rawCall(t, srv, "POST", "/v1/services/app/deploys", testToken, `{"id":"d9","outcome":"failed"}`)
	if a.status != http.StatusNoContent {
		t.Fatalf("POST deploys: %d %s", a.status, a.body)
	}
	recs, _ := f.Deploys(t.Context(), "app")
	if recs[0].ID != "d9" || recs[0].Service != "app" {
		t.Fatalf("newest record = %+v, want d9 of app", recs[0])
	}
}

func TestSecretsNeverReturned(t *testing.T) {
	srv := serve(t, newFake())
	if a := rawCall(t, srv, "PUT", "/v1/services/shop", testToken, `{"protocol":"ajp","secret":"shop-s3cret"}`); a.status != 204 {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	for _, path := range []string{"/v1/services", "/v1/services/app", "/v1/services/shop"} {
		a := rawCall(t, srv, "GET", path, testToken, "")
		if a.status != 200 {
			t.Fatalf("GET %s: %d %s", path, a.status, a.body)
		}
		if bytes.Contains(a.body, []byte("s3cret")) || bytes.Contains(a.body, []byte(`"secret"`)) {
			t.Errorf("GET %s returned a secret: %s", path, a.body)
		}
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	f := newFake()
	srv := serve(t, f)
	rawCall(t, srv, "DELETE", "/v1/services/app", testToken, "")
	if a := rawCall(t, srv, "GET", "/v1/services", testToken, ""); strings.TrimSpace(string(a.body)) != "[]" {
		t.Errorf("GET /v1/services with no service = %s, want []", a.body)
	}
	rawCall(t, srv, "PUT", "/v1/services/new", testToken, `{"protocol":"http"}`)
	if a := rawCall(t, srv, "GET", "/v1/services/new/deploys", testToken, ""); strings.TrimSpace(string(a.body)) != "[]" {
		t.Errorf("GET deploys with no deploy = %s, want []", a.body)
	}
}

func TestPanicIsAnsweredAndServerGoesOn(t *testing.T) {
	f := newFake()
	var logs logBuffer
	srv := serve(t, f, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	f.setPanic("boom")
	for _, path := range []string{"/v1/services", "/v1/services/app"} {
		a := rawCall(t, srv, "GET", path, testToken, "")
		if we := a.wire(t); a.status != 500 || we.Code != "internal" || !strings.Contains(we.Message, "panic: boom") {
			t.Fatalf("GET %s with a panicking Service: %d %+v, want 500 internal", path, a.status, we)
		}
	}
	f.setPanic(nil)
	if a := rawCall(t, srv, "GET", "/v1/services/app", testToken, ""); a.status != 200 {
		t.Fatalf("after the panic: %d %s, want 200", a.status, a.body)
	}
	if !strings.Contains(logs.String(), `msg="admin handler panicked"`) {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
}

func TestRequestLog(t *testing.T) {
	var logs logBuffer
	srv := serve(t, newFake(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	rawCall(t, srv, "DELETE", "/v1/services/nope", testToken, "")
	rawCall(t, srv, "DELETE", "/v1/services/app", "letmein-123", "")
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 {
		t.Fatalf("want one line per request, got:\n%s", logs.String())
	}
	for i, want := range []string{`level=WARN msg="admin request" method=DELETE path=/v1/services/nope status=404`, `status=401`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("log line %d = %s, want it to contain %s", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[1], `reason="the admin token is wrong"`) || strings.Contains(lines[1], "letmein") {
		t.Errorf("refusal line = %s, want the reason and never the token", lines[1])
	}
}
