package admin

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestCanarySpecDefaultsAndValidate(t *testing.T) {
	d := CanarySpec{Share: 0.1}.WithDefaults()
	want := CanarySpec{Share: 0.1, Window: Duration(DefaultCanaryWindow), MaxErrorRate: DefaultCanaryMaxErrorRate,
		MaxP95Ratio: DefaultCanaryMaxP95Ratio, MinRequests: DefaultCanaryMinRequests}
	if d != want {
		t.Fatalf("defaults: %+v, want %+v", d, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	bad := []CanarySpec{
		{Share: 0}, {Share: 0.00001}, {Share: 1}, {Share: -0.1}, {Share: math.NaN()}, {Share: 10},
		{Share: 0.1, Window: -1}, {Share: 0.1, Window: Duration(25 * time.Hour)},
		{Share: 0.1, MaxErrorRate: 1.5}, {Share: 0.1, MaxErrorRate: -0.01},
		{Share: 0.1, MaxP95Ratio: 0.5}, {Share: 0.1, MaxP95Ratio: math.Inf(1)},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", c, err)
		}
	}
}

// TestCanaryDecisionThroughTheClient: promote and abort reach the service with the
// person's reason, and a decision when no canary runs is a conflict.
func TestCanaryDecisionThroughTheClient(t *testing.T) {
	f := newFake()
	c, _ := clientFor(t, f)
	ctx := t.Context()
	if _, err := c.PromoteCanary(ctx, "app", CanaryDecision{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("promote without a canary: %v, want ErrConflict", err)
	}
	if _, err := c.AbortCanary(ctx, "nope", CanaryDecision{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("abort of an unknown service: %v, want ErrNotFound", err)
	}
	f.mu.Lock()
	f.services["app"].canary = &CanaryStatus{Verdict: CanaryPending, New: CanaryFigures{Requests: 7}}
	f.mu.Unlock()
	st, err := c.AbortCanary(ctx, "app", CanaryDecision{Reason: "looks wrong"})
	if err != nil || st.Verdict != CanaryAbort || !st.ByHand || st.Reason != "looks wrong" || st.New.Requests != 7 {
		t.Fatalf("abort: %+v, %v", st, err)
	}
	f.mu.Lock()
	f.services["app"].canary = &CanaryStatus{Verdict: CanaryPending}
	f.mu.Unlock()
	if st, err = c.PromoteCanary(ctx, "app", CanaryDecision{}); err != nil || st.Verdict != CanaryPromote {
		t.Fatalf("promote: %+v, %v", st, err)
	}
}
