package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
)

// logSignal is a slog.Handler that passes every message to a channel, so a
// test can wait for "slow request started" instead of sleeping.
type logSignal struct{ msgs chan string }

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.msgs <- r.Message:
	default: // a test that stopped listening must not block the app
	}
	return nil
}
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSignal) WithGroup(string) slog.Handler      { return h }

// running is the app serving HTTP and AJP on loopback ports.
type running struct {
	httpURL string
	ajpURL  string
	secret  string
	logs    chan string
	stop    context.CancelFunc
	done    chan error
}

func startApp(t *testing.T, cfg config) *running {
	t.Helper()
	cfg.ajpSecret = "test-secret"
	if cfg.route == "" {
		cfg.route = "r1"
	}
	if cfg.shutdownTimeout == 0 {
		cfg.shutdownTimeout = 30 * time.Second
	}
	logs := make(chan string, 64)
	a := newApp(cfg, time.Now, slog.New(logSignal{logs}))
	lh, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	la, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &running{
		httpURL: "http://" + lh.Addr().String(),
		ajpURL:  "ajp://" + la.Addr().String(),
		secret:  cfg.ajpSecret,
		logs:    logs,
		stop:    stop,
		done:    make(chan error, 1),
	}
	go func() {
		r.done <- a.serve(ctx, []listener{{"http", lh, a.httpServer()}, {"ajp", la, newAJPServer(a, cfg.ajpSecret)}})
	}()
	t.Cleanup(func() {
		stop()
		<-r.done
	})
	return r
}

// ajpGet requests url through pkg/ajp's Transport with the given secret and
// the gateway-side request info.
func ajpGet(t *testing.T, secret, url string, info ajp.RequestInfo, header http.Header) (int, string, *http.Response) {
	t.Helper()
	tr := &ajp.Transport{Secret: secret}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ajp.WithRequestInfo(context.Background(), info), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s over AJP: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b)), resp
}

func TestAJPServesTheSamePages(t *testing.T) {
	r := startApp(t, config{route: "blue", version: "v9"})
	info := ajp.RequestInfo{RemoteAddr: "192.0.2.7", ServerName: "example.test", ServerPort: 80, Activation: "DIS"}

	code, body, resp := ajpGet(t, r.secret, r.ajpURL+"/", info, nil)
	if code != 200 || !strings.HasPrefix(body, "version=v9 route=blue session=") || !strings.HasSuffix(body, " hits=1 via=ajp") {
		t.Errorf("/ over AJP: %d %q", code, body)
	}
	if c := resp.Cookies(); len(c) != 1 || !strings.HasSuffix(c[0].Value, ".blue") {
		t.Errorf("/ over AJP set %v; want JSESSIONID=<id>.blue", c)
	}
	if code, body, _ := ajpGet(t, r.secret, r.ajpURL+"/health", info, nil); code != 200 || body != "ok" {
		t.Errorf("/health over AJP: %d %q", code, body)
	}
	if _, body, _ := ajpGet(t, r.secret, r.ajpURL+"/activation", info, nil); body != "DIS" {
		t.Errorf("/activation with JK_LB_ACTIVATION=DIS: %q", body)
	}
	// Over AJP only the attribute counts: a client's header must not pass for the gateway's word.
	forged := http.Header{"X-Roll-Activation": {"ACT"}}
	if _, body, _ := ajpGet(t, r.secret, r.ajpURL+"/activation", ajp.RequestInfo{}, forged); body != "none" {
		t.Errorf("/activation over AJP with only a client header: %q; want none", body)
	}
}

func TestAJPRefusesAWrongSecret(t *testing.T) {
	r := startApp(t, config{})
	for _, secret := range []string{"", "wrong"} {
		if code, _, _ := ajpGet(t, secret, r.ajpURL+"/health", ajp.RequestInfo{}, nil); code != http.StatusForbidden {
			t.Errorf("secret %q: status %d; want 403", secret, code)
		}
	}
}

func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	r := startApp(t, config{})
	type answer struct {
		via  string
		code int
		body string
		err  error
	}
	answers := make(chan answer, 2)
	go func() {
		resp, err := http.Get(r.httpURL + "/slow?ms=300")
		if err != nil {
			answers <- answer{via: "http", err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answers <- answer{"http", resp.StatusCode, strings.TrimSpace(string(b)), err}
	}()
	go func() {
		tr := &ajp.Transport{Secret: r.secret}
		req, _ := http.NewRequest("GET", r.ajpURL+"/slow?ms=300", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			answers <- answer{via: "ajp", err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answers <- answer{"ajp", resp.StatusCode, strings.TrimSpace(string(b)), err}
	}()

	// Both requests are in the handler before SIGTERM (here: the context) arrives.
	deadline := time.After(10 * time.Second)
	for started := 0; started < 2; {
		select {
		case m := <-r.logs:
			if m == "slow request started" {
				started++
			}
		case <-deadline:
			t.Fatal("the slow requests never started")
		}
	}
	r.stop()

	for range 2 {
		a := <-answers
		if a.err != nil || a.code != 200 || a.body != "slept 300 ms" {
			t.Errorf("%s request across shutdown: %d %q %v; want 200 \"slept 300 ms\"", a.via, a.code, a.body, a.err)
		}
	}
	if err := <-r.done; err != nil {
		t.Errorf("serve returned %v after a clean shutdown", err)
	}
	r.done <- nil // for the cleanup
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(r.httpURL, "http://"), time.Second); err == nil {
		t.Error("the HTTP port still accepts connections after shutdown")
	}
}
