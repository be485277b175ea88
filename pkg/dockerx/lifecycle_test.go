package dockerx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStopHonoursStopGracePeriodAndSignal(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "stop", `
services:
  stubborn:
    image: IMAGE
    labels: *tl
    stop_signal: SIGUSR1
    stop_grace_period: 2s
    environment: {PROBE_IGNORE_SIGNALS: "1"}
  polite:
    image: IMAGE
    labels: *tl
    stop_grace_period: 1m
`, nil)
	ctx := testContext(t)

	stubborn := run(t, c, p, "stubborn")
	waitLogs(t, c, stubborn.ID, "ready") // its signal handler is installed
	start := time.Now()
	if err := c.Stop(ctx, stubborn.ID, 0); err != nil {
		t.Fatal(err)
	}
	waited := time.Since(start)
	st, err := c.State(ctx, stubborn.ID)
	if err != nil {
		t.Fatal(err)
	}
	logs, _ := c.Logs(ctx, stubborn.ID, 0)
	if !strings.Contains(logs, "got user defined signal 1") {
		t.Errorf("logs %q: the service's stop_signal SIGUSR1 was not sent", logs)
	}
	if st.ExitCode != 137 || waited < 2*time.Second {
		t.Errorf("exit %d after %s, want killed (137) once the 2s stop_grace_period ran out", st.ExitCode, waited)
	}

	polite := run(t, c, p, "polite")
	waitLogs(t, c, polite.ID, "ready")
	if err := c.Stop(ctx, polite.ID, 0); err != nil {
		t.Fatal(err)
	}
	st, _ = c.State(ctx, polite.ID)
	logs, _ = c.Logs(ctx, polite.ID, 0)
	if st.ExitCode != 0 || !strings.Contains(logs, "got terminated") {
		t.Errorf("exit %d, logs %q: want SIGTERM and a clean exit within its grace", st.ExitCode, logs)
	}
}

func TestLogsTailDemultiplexed(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "logs", `
services:
  chatty:
    image: IMAGE
    labels: *tl
    environment: {PROBE_LINES: "50"}
  mixed:
    image: IMAGE
    labels: *tl
    environment: {PROBE_LINES: "1", PROBE_STDERR: on stderr}
  tty:
    image: IMAGE
    labels: *tl
    tty: true
    environment: {PROBE_STDERR: on stderr}
`, nil)
	ctx := testContext(t)
	mixed := run(t, c, p, "mixed")
	all := waitLogs(t, c, mixed.ID, "ready")
	if !strings.Contains(all, "on stderr\n") || !strings.Contains(all, "line 0\n") {
		t.Errorf("logs miss stderr or stdout:\n%s", all)
	}
	if strings.ContainsAny(all, "\x00\x01\x02") {
		t.Errorf("logs still carry the stream multiplexing headers: %q", all)
	}

	// One stream only, so that the order of the lines is the order written.
	chatty := run(t, c, p, "chatty")
	waitLogs(t, c, chatty.ID, "ready")
	tail, err := c.Logs(ctx, chatty.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := "line 46\nline 47\nline 48\nline 49\nready\n"; tail != want {
		t.Errorf("tail 5 = %q, want %q", tail, want)
	}

	tty := run(t, c, p, "tty")
	logs := waitLogs(t, c, tty.ID, "ready")
	if !strings.Contains(logs, "on stderr") {
		t.Errorf("tty logs = %q", logs)
	}
}

func TestWaitRunningReportsExit(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "exit", `
services:
  crash:
    image: IMAGE
    labels: *tl
    command: ["exit", "3"]
    healthcheck: {test: ["CMD", "/probe", "health"], interval: 1s}
`, nil)
	ctx := testContext(t)
	ctr, err := c.CreateForService(ctx, p, "crash", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, ctr.ID); err != nil {
		t.Fatal(err)
	}
	// The healthcheck cannot pass before the process exits, so the wait
	// must see the exit rather than a brief "running".
	st, err := c.WaitHealthy(ctx, ctr.ID)
	if !errors.Is(err, ErrExited) || st.ExitCode != 3 || !strings.Contains(err.Error(), "exited with code 3") {
		t.Errorf("state %s, err %v: want ErrExited with code 3", st, err)
	}
	if err := c.Remove(ctx, ctr.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, ctr.ID); err != nil {
		t.Errorf("removing an already removed container: %v, want nil so re-runs converge", err)
	}
	if _, err := c.Inspect(ctx, ctr.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("inspect after remove: %v, want ErrNotFound", err)
	}
}

func TestHostPort(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "ports", `
services:
  gateway:
    image: IMAGE
    labels: *tl
    environment: {APP_MESSAGE: through the published port}
    ports: ["127.0.0.1::8080"]
`, nil)
	ctx := testContext(t)
	gw := run(t, c, p, "gateway")
	waitLogs(t, c, gw.ID, "ready")
	addr, err := c.HostPort(ctx, gw.ID, 8080)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("address %q, want the loopback binding", addr)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/", addr))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "through the published port" {
		t.Errorf("GET %s = %q", addr, body)
	}
	if _, err := c.HostPort(ctx, gw.ID, 9901); !errors.Is(err, ErrNotPublished) || !strings.Contains(err.Error(), "9901") {
		t.Errorf("unpublished port: %v, want ErrNotPublished naming 9901", err)
	}
}
