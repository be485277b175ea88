package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bound is how long a test waits for something that must happen before it
// fails; no test asserts how fast anything is.
const bound = 10 * time.Second

var rolloutReq = RolloutRequest{Backends: []BackendSpec{{Name: "app-2", Address: "10.0.0.3:8009"}}}

// TestRolloutEventsArriveBeforeTheEnd proves flushing by ordering: the Service
// does not finish until the client has seen its first event.
func TestRolloutEventsArriveBeforeTheEnd(t *testing.T) {
	f := newFake()
	seen := make(chan struct{})
	want := RolloutResult{Switched: true, ReadyAfter: Duration(time.Second)}
	f.setRollout(func(ctx context.Context, _ string, _ RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
		progress(RolloutEvent{Step: StepAdded, Time: fixedTime})
		select {
		case <-seen:
		case <-ctx.Done():
			return RolloutResult{}, ctx.Err()
		}
		progress(RolloutEvent{Step: StepSwitched, Time: fixedTime})
		return want, nil
	})
	c, _ := clientFor(t, f)
	ctx, cancel := context.WithTimeoutCause(t.Context(), bound, errors.New("the first event never reached the client while the rollout ran: the stream is not flushed"))
	defer cancel()
	var steps []string
	res, err := c.Rollout(ctx, "app", rolloutReq, func(ev RolloutEvent) {
		if ev.Step == StepAdded {
			close(seen)
		}
		steps = append(steps, ev.Step)
	})
	if err != nil {
		t.Fatal(err)
	}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	// The Service's last event had no Result: the handler closes the stream with one.
	if got := strings.Join(steps, ","); got != "added,switched,drained" {
		t.Errorf("steps = %s, want added,switched,drained", got)
	}
}

func TestRolloutCancelReachesTheService(t *testing.T) {
	f := newFake()
	sawDone := make(chan error, 1)
	f.setRollout(func(ctx context.Context, _ string, _ RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
		progress(RolloutEvent{Step: StepAdded})
		select {
		case <-ctx.Done():
			sawDone <- ctx.Err()
			return RolloutResult{}, fmt.Errorf("rollout cancelled before the switch: %w", ctx.Err())
		case <-time.After(bound):
			sawDone <- errors.New("the Service's context was never cancelled")
			return RolloutResult{}, nil
		}
	})
	c, _ := clientFor(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := c.Rollout(ctx, "app", rolloutReq, func(ev RolloutEvent) {
		if ev.Step == StepAdded {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Errorf("client error = %v, want context.Canceled and not ErrUnavailable", err)
	}
	if got := <-sawDone; !errors.Is(got, context.Canceled) {
		t.Fatalf("Service: %v", got)
	}
}

func TestRolloutErrorMidStream(t *testing.T) {
	f := newFake()
	f.setRollout(func(_ context.Context, _ string, _ RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
		progress(RolloutEvent{ID: "r1", Step: StepAdded})
		progress(RolloutEvent{ID: "r1", Step: StepProbing, Message: "GET /health answered 503"})
		return RolloutResult{}, fmt.Errorf("app-2 not ready after 2m: %w", ErrNotReady)
	})
	c, _ := clientFor(t, f)
	var events []RolloutEvent
	res, err := c.Rollout(t.Context(), "app", rolloutReq, func(ev RolloutEvent) { events = append(events, ev) })
	if !errors.Is(err, ErrNotReady) || err.Error() != "app-2 not ready after 2m: backend not ready" {
		t.Fatalf("error = %v, want ErrNotReady with the Service's message", err)
	}
	var we *Error
	if !errors.As(err, &we) || we.Code != "not_ready" {
		t.Errorf("error %v is not the wire Error not_ready", err)
	}
	if res.Switched {
		t.Errorf("result = %+v, want not switched", res)
	}
	if len(events) != 3 {
		t.Fatalf("events = %+v, want added, probing and the closing failure", events)
	}
	last := events[2]
	if last.Step != StepFailed || last.Error == nil || last.Error.Code != "not_ready" || last.Result == nil {
		t.Errorf("closing event = %+v, want step failed with the not_ready error and a result", last)
	}
	if last.ID != "r1" {
		t.Errorf("closing event id %q, want the rollout's r1", last.ID)
	}
}

func TestRolloutErrorBeforeTheStreamHasItsStatus(t *testing.T) {
	f := newFake()
	f.setRollout(func(context.Context, string, RolloutRequest, func(RolloutEvent)) (RolloutResult, error) {
		return RolloutResult{}, fmt.Errorf("rollout of app: %w", ErrBusy)
	})
	srv := serve(t, f)
	a := rawCall(t, srv, "POST", "/v1/services/app/rollout", testToken, `{"backends":[]}`)
	if we := a.wire(t); a.status != http.StatusConflict || we.Code != "busy" {
		t.Fatalf("%d %+v, want 409 busy", a.status, we)
	}
	_, err := NewClient(srv.URL, testToken).Rollout(t.Context(), "app", rolloutReq, nil)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("client error = %v, want ErrBusy", err)
	}
}

func TestRolloutStreamFormat(t *testing.T) {
	srv := serve(t, newFake())
	a := rawCall(t, srv, "POST", "/v1/services/app/rollout", testToken, `{"backends":[{"name":"app-2","address":"10.0.0.3:8009"}]}`)
	if a.status != 200 || a.header.Get("Content-Type") != NDJSONContentType {
		t.Fatalf("%d %q, want 200 %s", a.status, a.header.Get("Content-Type"), NDJSONContentType)
	}
	var steps []string
	sc := bufio.NewScanner(strings.NewReader(string(a.body)))
	for sc.Scan() {
		var ev RolloutEvent
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %q is not one RolloutEvent: %v", sc.Text(), err)
		}
		steps = append(steps, ev.Step)
		if (ev.Result != nil) != (ev.Step == StepDrained) {
			t.Errorf("line %q: only the last line carries the result", sc.Text())
		}
	}
	// The fake's own last event carries the Result: no extra line is added.
	if got := strings.Join(steps, ","); got != "added,switched,drained" {
		t.Errorf("steps = %s, want added,switched,drained", got)
	}
}

func TestRolloutPanicEndsTheStream(t *testing.T) {
	f := newFake()
	f.setRollout(func(_ context.Context, _ string, _ RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
		progress(RolloutEvent{Step: StepAdded})
		panic("nil map")
	})
	c, _ := clientFor(t, f)
	var steps []string
	_, err := c.Rollout(t.Context(), "app", rolloutReq, func(ev RolloutEvent) { steps = append(steps, ev.Step) })
	var we *Error
	if !errors.As(err, &we) || we.Code != "internal" || !strings.Contains(we.Message, "panic: nil map") {
		t.Fatalf("error = %v, want the internal error of the panic", err)
	}
	if got := strings.Join(steps, ","); got != "added,failed" {
		t.Errorf("steps = %s, want added,failed", got)
	}
	f.setRollout(nil)
	if _, err := c.Rollout(t.Context(), "app", rolloutReq, nil); err != nil {
		t.Fatalf("the next rollout after a panic: %v", err)
	}
}

func TestRolloutPanicBeforeTheStream(t *testing.T) {
	f := newFake()
	f.setPanic("boom")
	srv := serve(t, f)
	a := rawCall(t, srv, "POST", "/v1/services/app/rollout", testToken, `{"backends":[]}`)
	if we := a.wire(t); a.status != 500 || we.Code != "internal" {
		t.Fatalf("%d %+v, want 500 internal", a.status, we)
	}
}

// TestRolloutLateProgressIsDropped: a Service that keeps reporting after
// Rollout returned must not write to a finished response (which panics or races).
func TestRolloutLateProgressIsDropped(t *testing.T) {
	f := newFake()
	kept := make(chan func(RolloutEvent), 1)
	f.setRollout(func(_ context.Context, _ string, _ RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
		kept <- progress
		return RolloutResult{Switched: true}, nil
	})
	c, srv := clientFor(t, f)
	var steps []string
	if _, err := c.Rollout(t.Context(), "app", rolloutReq, func(ev RolloutEvent) { steps = append(steps, ev.Step) }); err != nil {
		t.Fatal(err)
	}
	late := <-kept
	late(RolloutEvent{Step: StepDraining}) // from another goroutine than the finished handler's
	if got := strings.Join(steps, ","); got != "drained" {
		t.Errorf("steps = %s, want the closing drained line only", got)
	}
	if a := rawCall(t, srv, "GET", "/v1/services/app", testToken, ""); a.status != 200 {
		t.Fatalf("the server after a late event: %d", a.status)
	}
}

func TestRolloutStreamWithoutResult(t *testing.T) {
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter)
	}{
		{"clean end", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", NDJSONContentType)
			fmt.Fprintln(w, `{"step":"added"}`)
		}},
		{"cut mid-line", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", NDJSONContentType)
			fmt.Fprintln(w, `{"step":"added"}`)
			fmt.Fprint(w, `{"step":"swi`)
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler) // drop the connection without ending the chunked body
		}},
		{"empty", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", NDJSONContentType)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveFunc(t, func(w http.ResponseWriter, _ *http.Request) { tt.serve(w) })
			_, err := NewClient(srv.URL, testToken).Rollout(t.Context(), "app", rolloutReq, nil)
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "the gateway closed the rollout stream before it finished") {
				t.Fatalf("error = %v, want ErrUnavailable saying the stream closed early", err)
			}
		})
	}
}
