package commands

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoOnce accepts one connection on a loopback port and answers it with
// answer(what it read until the client half-closed), then closes it.
func echoOnce(t *testing.T, answer func([]byte) []byte) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		got, _ := io.ReadAll(conn)
		_, _ = conn.Write(answer(got))
	}()
	return l.Addr().String()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDialHalfCloses: the end of the input reaches the server as a
// half-close, and its answer still comes back.
func TestDialHalfCloses(t *testing.T) {
	addr := echoOnce(t, func(b []byte) []byte { return bytes.ToUpper(b) })
	var out bytes.Buffer
	if err := dial(testCtx(t), addr, strings.NewReader("hello\x00\r\n"), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "HELLO\x00\r\n" {
		t.Fatalf("out = %q", out.String())
	}
}

// TestDialEndsWhenTheServerCloses: the input may stay open (docker exec keeps
// it open as long as the tunnel lives); the server closing ends dial.
func TestDialEndsWhenTheServerCloses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err == nil {
			_, _ = conn.Write([]byte("bye"))
			conn.Close()
		}
	}()
	in, inW := io.Pipe()
	defer inW.Close()
	var out bytes.Buffer
	if err := dial(testCtx(t), l.Addr().String(), in, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "bye" {
		t.Fatalf("out = %q", out.String())
	}
}

func TestDialRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = dial(testCtx(t), addr, strings.NewReader(""), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "dialing "+addr) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want dialing %s ... refused", err, addr)
	}
}

// TestDialCancelled: a cancelled context (SIGTERM) ends a dial whose
// server and input are both silent.
func TestDialCancelled(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if conn, err := l.Accept(); err == nil {
			accepted <- conn
		}
	}()
	in, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- dial(ctx, l.Addr().String(), in, io.Discard) }()
	conn := <-accepted
	defer conn.Close()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// fakeTunnel stands in for DialExec in the admin client tests: it records
// the command and connects to target, or fails when target is "".
type fakeTunnel struct {
	target string
	calls  atomic.Int32
	cmd    atomic.Value // []string
}

func (f *fakeTunnel) DialExec(ctx context.Context, _ string, cmd []string) (net.Conn, error) {
	f.calls.Add(1)
	f.cmd.Store(cmd)
	if f.target == "" {
		return nil, errors.New("container gw1 is not running")
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", f.target)
}

func TestAdminHTTPClientChoosesTheWay(t *testing.T) {
	published := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "published") }))
	defer published.Close()
	tunnelled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "tunnel") }))
	defer tunnelled.Close()
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	tunnelAddr := strings.TrimPrefix(tunnelled.URL, "http://")

	tests := []struct {
		name, published, tunnel string
		want                    string // the body, or the error's parts
		tunnelCalls             int32
	}{
		{"published answers", strings.TrimPrefix(published.URL, "http://"), tunnelAddr, "published", 0},
		{"not published", "", tunnelAddr, "tunnel", 1},
		{"published elsewhere (forwarded socket)", refused, tunnelAddr, "tunnel", 1},
		{"neither", refused, "", "refused|tunnelling through the Docker engine: container gw1 is not running", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTunnel{target: tt.tunnel}
			hc := adminHTTPClient(ft, "gw1", 9901, tt.published)
			defer hc.CloseIdleConnections()
			resp, err := hc.Get("http://gw1:9901/healthz")
			var got string
			if err != nil {
				got = err.Error()
			} else {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = string(b)
			}
			for _, part := range strings.Split(tt.want, "|") {
				if !strings.Contains(got, part) {
					t.Errorf("got %q, want %q", got, part)
				}
			}
			if n := ft.calls.Load(); n != tt.tunnelCalls {
				t.Errorf("%d tunnels, want %d", n, tt.tunnelCalls)
			}
			if cmd, _ := ft.cmd.Load().([]string); ft.calls.Load() > 0 && strings.Join(cmd, " ") != "/roll dial 127.0.0.1:9901" {
				t.Errorf("tunnel command %q, want /roll dial 127.0.0.1:9901", cmd)
			}
		})
	}
}
