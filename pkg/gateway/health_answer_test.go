package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCheckAnswerQuotesThePlainTextReason(t *testing.T) {
	answer := func(code int, body string) *http.Response {
		return &http.Response{StatusCode: code, Body: io.NopCloser(strings.NewReader(body))}
	}
	tests := []struct {
		code int
		body string
		want string // "" = accepted
	}{
		{200, "ok", ""},
		{302, "", ""},
		{503, "failing: FAIL_READY is set\nmore", "GET /health answered 503, want 2xx or 3xx: failing: FAIL_READY is set"},
		{404, "<!doctype html><html><body>Not Found</body></html>", "GET /health answered 404, want 2xx or 3xx"},
		{500, "\x00\x01binary", "GET /health answered 500, want 2xx or 3xx"},
	}
	for _, tt := range tests {
		err := checkAnswer(answer(tt.code, tt.body), "/health")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("checkAnswer(%d, %q) = %q, want %q", tt.code, tt.body, got, tt.want)
		}
	}
}
