package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// NDJSONContentType is the media type of the rollout stream: one JSON
// RolloutEvent per line.
const NDJSONContentType = "application/x-ndjson"

// rollout answers POST /v1/services/{svc}/rollout. Failures before the first
// event are ordinary JSON errors with their status (404, 409 busy, …); once
// the stream has started, the status is 200 and the last line carries the
// Error instead.
func (h *handler) rollout(w http.ResponseWriter, r *http.Request) error {
	var req RolloutRequest
	if err := decodeBody(w, r, &req, "RolloutRequest"); err != nil {
		return err
	}
	svc := r.PathValue("svc")
	s := &rolloutStream{w: w, rc: http.NewResponseController(w), log: h.log, start: time.Now()}
	// The request's context ends when the caller goes away, which is how a
	// disconnect before the switch cancels the rollout.
	res, err := h.runRollout(r.Context(), svc, req, s.progress)
	return s.finish(res, err)
}

// runRollout calls the Service and turns a panic into an error, so that the
// stream still ends with an error line and the caller is not left guessing.
func (h *handler) runRollout(ctx context.Context, svc string, req RolloutRequest, progress func(RolloutEvent)) (res RolloutResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("admin handler panicked", "service", svc, "op", "rollout", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("rolling out %s: the gateway failed: panic: %v", svc, p)
		}
	}()
	return h.svc.Rollout(ctx, svc, req, progress)
}

// rolloutStream writes a rollout's events as NDJSON, flushing each line as it
// is written. The Service may call progress from its own goroutines, even
// after Rollout returned; the mutex orders the lines and closed drops the
// late ones, since the ResponseWriter is dead once the handler returns.
type rolloutStream struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	log     *slog.Logger
	start   time.Time
	started bool // the 200 and the headers are out
	closed  bool // the handler is done; later events are dropped
	broken  bool // a write failed: the caller is gone
	last    RolloutEvent
}

// progress writes one event. It is the callback handed to Service.Rollout.
func (s *rolloutStream) progress(ev RolloutEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.write(ev)
}

// finish ends the stream with a line that carries the Result or the Error,
// unless the Service's last event already said exactly that. When nothing has
// been streamed yet and the rollout failed, it returns the error so that it is
// answered with its own status instead of a 200 stream.
func (s *rolloutStream) finish(res RolloutResult, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if !s.started && err != nil {
		return err
	}
	if closing, needed := s.closing(res, err); needed {
		s.write(closing)
	}
	return nil
}

// closing builds the last line of the stream, and says whether it is needed.
func (s *rolloutStream) closing(res RolloutResult, err error) (RolloutEvent, bool) {
	if err == nil && s.started && s.last.Error == nil && s.last.Result != nil && *s.last.Result == res {
		return RolloutEvent{}, false
	}
	now := time.Now()
	// The Service's events carry the rollout's id; the closing line is the same rollout's.
	ev := RolloutEvent{ID: s.last.ID, Time: now, Elapsed: Duration(now.Sub(s.start)), Result: &res}
	switch {
	case res.Reverted:
		ev.Step = StepReverted
	case err == nil:
		ev.Step = StepDrained
	case !res.Switched:
		ev.Step = StepFailed
	default:
		// Failed after the switch without reverting: the stream ends where the rollout stopped.
		ev.Step = s.last.Step
		if ev.Step == "" {
			ev.Step = StepSwitched
		}
	}
	if err != nil {
		ev.Error, _ = ErrorOf(err)
		ev.Message = err.Error()
	}
	return ev, true
}

// write sends one line and flushes it; the caller holds s.mu.
func (s *rolloutStream) write(ev RolloutEvent) {
	if s.broken {
		return
	}
	line, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("rollout event not encoded", "step", ev.Step, "err", err)
		return
	}
	if !s.started {
		h := s.w.Header()
		h.Set("Content-Type", NDJSONContentType)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	if _, err := s.w.Write(append(line, '\n')); err != nil {
		s.broken = true
		s.log.Info("rollout stream reader gone", "step", ev.Step, "err", err)
		return
	}
	if err := s.rc.Flush(); err != nil {
		s.broken = true
		s.log.Info("rollout stream reader gone", "step", ev.Step, "err", err)
		return
	}
	s.last = ev
}
