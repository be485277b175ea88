package dockerx

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// frame builds one frame of the engine's multiplexed stream.
func frame(kind byte, payload string) string {
	n := len(payload)
	return string([]byte{kind, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + payload
}

func TestExecConnFrames(t *testing.T) {
	tests := []struct {
		name, stream, want, err string
	}{
		{name: "stdout", stream: frame(1, "HTTP/1.1 200 OK\r\n"), want: "HTTP/1.1 200 OK\r\n"},
		{name: "several frames", stream: frame(1, "ab") + frame(1, "") + frame(1, "cd"), want: "abcd"},
		{name: "stderr kept aside", stream: frame(1, "ab") + frame(2, "warning\n") + frame(1, "cd"), want: "abcd",
			err: "probe dial in container c1 ended: warning"},
		{name: "failure message", stream: frame(2, "dial tcp 127.0.0.1:9901: connect: connection refused\n"),
			err: "probe dial in container c1 ended: dial tcp 127.0.0.1:9901: connect: connection refused"},
		{name: "engine error", stream: frame(1, "ab") + frame(3, "exec failed: no such file\n"), want: "ab",
			err: "running probe dial in container c1: the engine says: exec failed: no such file"},
		{name: "unknown kind", stream: frame(7, "x"), err: "malformed exec stream: frame kind 7"},
		{name: "cut in a header", stream: frame(1, "ab")[:5], err: "ended inside a frame header"},
		{name: "cut in a frame", stream: frame(1, "abcd")[:10], want: "ab", err: "ended inside a frame"},
		{name: "clean end", stream: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &execConn{r: bufio.NewReader(strings.NewReader(tt.stream)), what: "probe dial in container c1", stderr: tailBuffer{max: stderrTail}}
			got, err := io.ReadAll(c)
			if string(got) != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("err = %v, want a clean end", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

// TestExecConnSmallReads reads a frame in pieces smaller than the frame.
func TestExecConnSmallReads(t *testing.T) {
	c := &execConn{r: bufio.NewReader(strings.NewReader(frame(1, "hello") + frame(1, " world"))), stderr: tailBuffer{max: stderrTail}}
	var out bytes.Buffer
	buf := make([]byte, 2)
	for {
		n, err := c.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != "hello world" {
		t.Fatalf("read %q", out.String())
	}
}

// probeServer runs the test image's HTTP server in a container of its own
// project and returns the container.
func probeServer(t *testing.T, c *Client, suffix string) Container {
	t.Helper()
	p := testProject(t, c, suffix, `
services:
  web:
    image: IMAGE
    environment: {APP_MESSAGE: "hello through exec"}
    labels: *tl
`, nil)
	web := run(t, c, p, "web")
	waitLogs(t, c, web.ID, "ready")
	return web
}

// tunnelClient returns an HTTP client whose every connection is cmd run in
// container id through DialExec.
func tunnelClient(t *testing.T, c *Client, id string, cmd ...string) *http.Client {
	t.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return c.DialExec(ctx, id, cmd)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestDialExecHTTP(t *testing.T) {
	c := requireDocker(t)
	web := probeServer(t, c, "exechttp")
	hc := tunnelClient(t, c, web.ID, "/probe", "dial", "127.0.0.1:8080")
	// Several requests: the first dials, the others reuse the connection.
	for i := range 3 {
		resp, err := hc.Get("http://web/")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || string(body) != "hello through exec" {
			t.Fatalf("request %d: %d %q %v", i, resp.StatusCode, body, err)
		}
	}
}

// TestDialExecStream: a response that streams (like a rollout) arrives line
// by line through the tunnel, and the server sees the client go away.
func TestDialExecStream(t *testing.T) {
	c := requireDocker(t)
	web := probeServer(t, c, "execstream")
	hc := tunnelClient(t, c, web.ID, "/probe", "dial", "127.0.0.1:8080")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://web/stream", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// The server holds the response open after its first line: reading that
	// line proves nothing buffers the stream until it ends.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != `{"step":"first"}`+"\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	resp.Body.Close()
	hc.Transport.(*http.Transport).CloseIdleConnections()
	waitLogs(t, c, web.ID, "stream: client gone")
}

// TestDialExecBytesExact: no terminal sits in the path, so every byte value
// goes through both ways unchanged, and closing the input ends the command.
func TestDialExecBytesExact(t *testing.T) {
	c := requireDocker(t)
	web := probeServer(t, c, "execbytes")
	conn, err := c.DialExec(testContext(t), web.ID, []string{"/probe", "echo"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	want := make([]byte, 1<<20)
	_, _ = rand.Read(want)
	copy(want, "\r\n\x03\x04\x1a\x00\xff") // what a terminal would have rewritten
	writeErr := make(chan error, 1)
	go func() {
		_, err := conn.Write(want)
		writeErr <- errors.Join(err, conn.(interface{ CloseWrite() error }).CloseWrite())
	}()
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(want))
	}
}

func TestDialExecFailure(t *testing.T) {
	c := requireDocker(t)
	web := probeServer(t, c, "execfail")
	t.Run("the command fails", func(t *testing.T) {
		conn, err := c.DialExec(testContext(t), web.ID, []string{"/probe", "dial", "127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = io.ReadAll(conn)
		if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "/probe dial 127.0.0.1:1 in container") {
			t.Fatalf("err = %v, want the command's own message", err)
		}
	})
	t.Run("no such program", func(t *testing.T) {
		// The engine reports a failed start in the output stream itself, so
		// the reader (an HTTP client: "malformed HTTP response") shows it.
		conn, err := c.DialExec(testContext(t), web.ID, []string{"/roll", "dial", "127.0.0.1:8080"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		out, err := io.ReadAll(conn)
		if got := fmt.Sprintf("%s %v", out, err); !strings.Contains(got, `"/roll"`) || !strings.Contains(got, "no such file") {
			t.Fatalf("read %q, err %v; want the engine's message naming /roll", out, err)
		}
	})
	t.Run("no such container", func(t *testing.T) {
		_, err := c.DialExec(testContext(t), "rolltest-no-such-container", []string{"/probe", "echo"})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

// TestDialExecCloseEndsTheCommand: a closed tunnel leaves no process behind
// in the container (the gateway would collect them otherwise).
func TestDialExecCloseEndsTheCommand(t *testing.T) {
	c := requireDocker(t)
	web := probeServer(t, c, "execclose")
	conn, err := c.DialExec(testContext(t), web.ID, []string{"/probe", "dial", "127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	dials := func() int {
		top, err := c.api.ContainerTop(testContext(t), web.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, proc := range top.Processes {
			if strings.Contains(strings.Join(proc, " "), "/probe dial") {
				n++
			}
		}
		return n
	}
	waitDials := func(want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for n := dials(); n != want; n = dials() {
			if time.Now().After(deadline) {
				t.Fatalf("%d dial processes in the container, want %d", n, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitDials(1) // the tunnel is open
	conn.Close()
	waitDials(0)
}
