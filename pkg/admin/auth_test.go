package admin

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestNewHandlerRefusesEmptyToken(t *testing.T) {
	defer func() {
		p := recover()
		err, ok := p.(error)
		if !ok || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "token is empty") {
			t.Fatalf("NewHandler with an empty token: recovered %v, want an error wrapping ErrInvalid about the empty token", p)
		}
	}()
	NewHandler(newFake(), "")
	t.Fatal("NewHandler accepted an empty token")
}

func TestNewHandlerRefusesNilService(t *testing.T) {
	defer func() {
		if err, ok := recover().(error); !ok || !errors.Is(err, ErrInvalid) {
			t.Fatalf("NewHandler(nil): recovered %v, want an error wrapping ErrInvalid", err)
		}
	}()
	NewHandler(nil, testToken)
	t.Fatal("NewHandler accepted a nil Service")
}

func TestAuth(t *testing.T) {
	srv := serve(t, newFake())
	tests := []struct {
		name   string
		path   string
		header string // Authorization; "" sends none
		want   int
	}{
		{"no header", "/v1/services", "", http.StatusUnauthorized},
		{"wrong token", "/v1/services", "Bearer nope", http.StatusUnauthorized},
		{"token prefix", "/v1/services", "Bearer " + testToken[:5], http.StatusUnauthorized},
		{"token with suffix", "/v1/services", "Bearer " + testToken + "x", http.StatusUnauthorized},
		{"basic scheme", "/v1/services", "Basic " + testToken, http.StatusUnauthorized},
		{"bare token", "/v1/services", testToken, http.StatusUnauthorized},
		{"right token", "/v1/services", "Bearer " + testToken, http.StatusOK},
		{"scheme in any case", "/v1/services", "bearer " + testToken, http.StatusOK},
		{"token in query", "/v1/services?token=" + testToken, "", http.StatusUnauthorized},
		{"access_token in query", "/v1/services?access_token=" + testToken, "", http.StatusUnauthorized},
		{"unknown path needs the token too", "/v1/nothing", "", http.StatusUnauthorized},
		{"unknown path with the token", "/v1/nothing", "Bearer " + testToken, http.StatusNotFound},
		{"healthz is open", "/healthz", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestAuthErrorBody(t *testing.T) {
	srv := serve(t, newFake())
	for token, want := range map[string]string{"": "no admin token", "nope": "token is wrong"} {
		a := rawCall(t, srv, http.MethodGet, "/v1/services/app", token, "")
		we := a.wire(t)
		if a.status != http.StatusUnauthorized || we.Code != "unauthorized" || !strings.Contains(we.Message, want) {
			t.Errorf("token %q: %d %+v, want 401 unauthorized saying %q", token, a.status, we, want)
		}
		if strings.Contains(string(a.body), "s3cret") || strings.Contains(string(a.body), `"backends"`) {
			t.Errorf("token %q: a refused call leaked data: %s", token, a.body)
		}
	}
}
