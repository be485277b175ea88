package tomcattest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// errExited means the JVM exited while Start waited for it.
var errExited = errors.New("tomcat exited")

// pollEvery is the pause between two readiness probes.
const pollEvery = 100 * time.Millisecond

// warmPages are requested once after start: Jasper compiles a JSP on its first request, which takes
// far longer than serving it, and that cost must not land in the first test (or its timeouts).
// release.jsp comes before flush.jsp so that flush.jsp finds its latch open and returns at once.
var warmPages = []string{
	"/app/nosession.jsp",
	"/app/hello.jsp",
	"/app/info.jsp",
	"/app/info/warm-up",
	"/app/echo.jsp",
	"/app/text.jsp",
	"/app/sleep.jsp?ms=0",
	"/app/big.jsp?bytes=1",
	"/app/status.jsp?code=200",
	"/app/nobody.jsp?code=204",
	"/app/cookies.jsp",
	"/app/release.jsp?id=warm-up",
	"/app/flush.jsp?id=warm-up",
	"/other/",
	"/other/secret.jsp",
}

// probeClient is used for readiness and warm-up only; its timeout bounds one probe, not the whole wait.
var probeClient = &http.Client{Timeout: 30 * time.Second}

// waitHealthy polls GET /app/health.jsp on the HTTP port until it answers 200, the JVM exits, or ctx ends.
func waitHealthy(ctx context.Context, httpAddr string, p *process) error {
	url := "http://" + httpAddr + "/app/health.jsp"
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error // why the latest probe failed, for the message when the wait ends
	for {
		status, err := get(ctx, url)
		if err == nil && status == http.StatusOK {
			return nil
		}
		if err == nil {
			last = fmt.Errorf("GET %s answered %d", url, status)
		} else {
			last = err
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v) before the webapp answered", errExited, p.err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for the webapp to answer: %w (last: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// warmUp requests every page once so that Jasper has compiled them all.
func warmUp(ctx context.Context, httpAddr string) error {
	for _, page := range warmPages {
		url := "http://" + httpAddr + page
		status, err := get(ctx, url)
		if err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
		if status >= 400 {
			return fmt.Errorf("warming up: GET %s answered %d (does the JSP compile?)", url, status)
		}
	}
	return nil
}

// get requests url and reads the whole answer, returning its status.
func get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("building GET %s: %w", url, err)
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, fmt.Errorf("reading GET %s: %w", url, err)
	}
	return resp.StatusCode, nil
}
