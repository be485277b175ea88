package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCheck: goapp check asks the running app's own HTTP port and fails on what is not a 2xx.
func TestCheck(t *testing.T) {
	r := startApp(t, config{version: "v3"})
	cfg := config{httpAddr: strings.TrimPrefix(r.httpURL, "http://127.0.0.1")}
	var out bytes.Buffer
	if err := check(context.Background(), cfg, "/health", &out); err != nil || !strings.HasPrefix(out.String(), "GET /health: 200 OK") {
		t.Errorf("check /health: %v, %q", err, out.String())
	}
	out.Reset()
	if err := check(context.Background(), cfg, "/nope", &out); err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(out.String(), "404") {
		t.Errorf("check /nope: %v, %q; want a failure saying 404", err, out.String())
	}
	if err := check(context.Background(), config{}, "/health", &out); err == nil {
		t.Error("check without an HTTP port succeeded")
	}
	if err := check(context.Background(), cfg, "health", &out); err == nil {
		t.Error("check of a path without / succeeded")
	}
}
