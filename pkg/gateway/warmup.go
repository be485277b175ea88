package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Warm-up (RolloutRequest.Warmup, issue 11): once the new backends passed their readiness
// checks, and before any user reaches them (they are still stopped and pending), each gets
// Requests GETs of Path through the service's own protocol client, one after the other, so a
// JVM compiles and fills its caches on the gateway's requests instead of a user's. A failed
// warm-up request (no answer, or a 5xx) is reported; only when every one failed does the
// rollout fail, as a readiness that did not pass.

// warmupUserAgent marks warm-up requests in the backend's access log.
const warmupUserAgent = "roll-gateway-warmup"

// maxWarmupBody bounds what is read of a warm-up answer; the rest is cut with the connection.
const maxWarmupBody = 1 << 20

// warmUp sends the warm-up requests, bounded as a whole by the ready timeout, and reports
// them in a StepWarmup event. It returns an error (ErrNotReady) only when all of them failed.
func (ro *rollout) warmUp(ctx context.Context) (*admin.WarmupReport, error) {
	w := ro.req.Warmup
	if w == nil {
		return nil, nil
	}
	budget := time.Duration(ro.req.ReadyTimeout)
	if budget <= 0 {
		budget = admin.DefaultReadyTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	cfg := ro.s.cfg.Load()
	rep := &admin.WarmupReport{Path: w.Path}
	start := time.Now()
	for _, name := range ro.newNames {
		snap := ro.s.snap.Load()
		i := snap.byName(name)
		if i < 0 {
			return rep, fmt.Errorf("backend %q disappeared during the warm-up", name)
		}
		m := snap.members[i]
		for range w.Requests {
			t0 := time.Now()
			status, err := cfg.client.warm(wctx, cfg.spec, m, w.Path)
			took := admin.Duration(time.Since(t0))
			if rep.Requests == 0 {
				rep.First = took
			}
			rep.Requests++
			rep.Last = took
			if err == nil && status >= 500 {
				err = fmt.Errorf("GET %s answered %d", w.Path, status)
			}
			if err != nil {
				rep.Failed++
				rep.LastError = fmt.Sprintf("%s: %v", name, err)
			}
			if ctx.Err() != nil {
				return rep, fmt.Errorf("rollout cancelled during the warm-up: %w", context.Cause(ctx))
			}
		}
	}
	msg := fmt.Sprintf("%d warm-up requests to %s on %s in %s: %d failed; the first took %s, the last %s",
		rep.Requests, w.Path, strings.Join(ro.newNames, ", "), time.Since(start).Round(time.Millisecond), rep.Failed,
		time.Duration(rep.First).Round(time.Microsecond), time.Duration(rep.Last).Round(time.Microsecond))
	if rep.Failed > 0 {
		msg += "; last failure: " + rep.LastError
		ro.g.log.Warn("warm-up requests failed", "service", ro.s.name, "path", w.Path, "failed", rep.Failed, "of", rep.Requests, "last", rep.LastError)
	}
	ro.emit(admin.RolloutEvent{Step: admin.StepWarmup, New: ro.statuses(ro.newNames), Warmup: rep, Message: msg})
	if rep.Failed == rep.Requests {
		return rep, fmt.Errorf("%w: every one of the %d warm-up requests to %s failed, the last with %s", admin.ErrNotReady, rep.Requests, w.Path, rep.LastError)
	}
	return rep, nil
}

func (c *httpClient) warm(ctx context.Context, spec admin.ServiceSpec, m member, path string) (int, error) {
	resp, err := c.get(ctx, spec, m, path, warmupUserAgent)
	if err != nil {
		return 0, err
	}
	return drainAnswer(resp)
}

func (c *ajpClient) warm(ctx context.Context, spec admin.ServiceSpec, m member, path string) (int, error) {
	resp, err := c.get(ctx, spec, m, path, warmupUserAgent)
	if err != nil {
		return 0, err
	}
	return drainAnswer(resp)
}

// drainAnswer reads (a bounded part of) an answer so that its connection can serve again.
func drainAnswer(resp *http.Response) (int, error) {
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxWarmupBody)); err != nil && !errors.Is(err, io.EOF) {
		return resp.StatusCode, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, nil
}
