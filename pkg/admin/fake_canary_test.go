package admin

import (
	"context"
	"fmt"
)

func (f *fakeService) PromoteCanary(_ context.Context, service string, d CanaryDecision) (CanaryStatus, error) {
	return f.decide(service, CanaryPromote, d)
}

func (f *fakeService) AbortCanary(_ context.Context, service string, d CanaryDecision) (CanaryStatus, error) {
	return f.decide(service, CanaryAbort, d)
}

func (f *fakeService) decide(service string, v CanaryVerdict, d CanaryDecision) (CanaryStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return CanaryStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return CanaryStatus{}, err
	}
	if e.canary == nil {
		return CanaryStatus{}, fmt.Errorf("deciding the canary of %q: no canary runs: %w", service, ErrConflict)
	}
	st := *e.canary
	st.Verdict, st.Reason, st.ByHand = v, d.Reason, true
	e.canary = nil
	return st, nil
}
