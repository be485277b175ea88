package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testToken = "t0ken-for-tests"

// serve starts the handler for svc on a loopback port.
func serve(t *testing.T, svc Service, opts ...HandlerOption) *httptest.Server {
	t.Helper()
	opts = append([]HandlerOption{WithLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})))}, opts...)
	srv := httptest.NewServer(NewHandler(svc, testToken, opts...))
	t.Cleanup(srv.Close)
	return srv
}

// clientFor starts the handler for svc and returns a client of it.
func clientFor(t *testing.T, svc Service, opts ...ClientOption) (*Client, *httptest.Server) {
	t.Helper()
	srv := serve(t, svc)
	return NewClient(srv.URL, testToken, opts...), srv
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// wire decodes the answer as an admin error body, failing the test when it is not one.
func (a answer) wire(t *testing.T) *Error {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error answer Content-Type = %q, want application/json; body %s", ct, a.body)
	}
	var b errorBody
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil || b.Error == nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("answer is not an admin error: %v: %s", err, a.body)
	}
	return b.Error
}

// rawCall sends one request with the token (none when token is "") and reads the whole answer.
func rawCall(t *testing.T, srv *httptest.Server, method, path, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// logBuffer collects log output for assertions; handlers log from their own goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// serveFunc starts a plain handler on loopback, for answers the admin handler never gives.
func serveFunc(t *testing.T, fn http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(fn)
	t.Cleanup(srv.Close)
	return srv
}
