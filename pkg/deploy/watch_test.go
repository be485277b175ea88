package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

func TestDeployWatchFlipBackRemovesTheNewAndShowsItsLogs(t *testing.T) {
	e, g := oneOld()
	flipped := &admin.WatchStatus{Verdict: admin.WatchFlipped, Requests: 60, Failed: 12, ErrorRate: 0.2,
		Reason: "the new backends failed 12 of 60 requests since the switch (20.0%), above the watch's max_error_rate 5.0% (min_requests 50)"}
	var asked *admin.WatchSpec
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		asked = req.Watch
		for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched} {
			progress(admin.RolloutEvent{Step: s})
		}
		progress(admin.RolloutEvent{Step: admin.StepDraining, Watch: &admin.WatchStatus{Verdict: admin.WatchRunning}})
		progress(admin.RolloutEvent{Step: admin.StepFlipped, Watch: flipped, Message: "watch: " + flipped.Reason})
		progress(admin.RolloutEvent{Step: admin.StepReverted, Message: "watch flipped back: " + flipped.Reason})
		return admin.RolloutResult{Switched: true, Reverted: true, Watch: flipped}, nil
	}
	tg := target
	tg.Watch = &admin.WatchSpec{Window: admin.Duration(2 * time.Minute), MaxErrorRate: 0.05, MinRequests: 50}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tg, Options{})
	if !errors.Is(err, ErrReverted) || res.Outcome != OutcomeReverted {
		t.Fatalf("deploy: %v, outcome %s; want ErrReverted (exit 6) and reverted", err, res.Outcome)
	}
	if asked == nil || *asked != *tg.Watch {
		t.Errorf("the rollout asked for watch %+v; want %+v", asked, tg.Watch)
	}
	if !strings.Contains(err.Error(), "the new version failed after the switch and the gateway switched back to the old one: the post-switch watch flipped back: the new backends failed 12 of 60") {
		t.Errorf("error %q does not give the watch's reason", err)
	}
	if res.Watch == nil || res.Watch.Failed != 12 || res.Watch.Verdict != admin.WatchFlipped {
		t.Errorf("result watch %+v; want the figures for --json", res.Watch)
	}
	if !slices.Contains(e.calls, "remove id2") || slices.Contains(e.calls, "stop id1") || slices.Contains(e.calls, "remove id1") {
		t.Errorf("engine calls %v: want the new removed and the old untouched", e.calls)
	}
	got := steps(*evs)
	for _, want := range []string{"watch:failed", "switch:failed", "rollback:done", "done:failed"} {
		if !slices.Contains(got, want) {
			t.Errorf("steps %v lack %s", got, want)
		}
	}
	var logs []string
	for _, ev := range *evs {
		if ev.Status == StatusFailed && len(ev.Logs) > 0 {
			logs = ev.Logs
		}
	}
	if len(logs) == 0 {
		t.Errorf("no failed event carries the new container's logs: %v", got)
	}
}

func TestDeployWatchFlagSetsTheWindow(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec *admin.WatchSpec
		flag time.Duration
		want *admin.WatchSpec
	}{
		{"none", nil, 0, nil},
		{"flag alone takes the defaults", nil, 90 * time.Second,
			&admin.WatchSpec{Window: admin.Duration(90 * time.Second), MaxErrorRate: admin.DefaultWatchMaxErrorRate, MinRequests: admin.DefaultWatchMinRequests}},
		{"flag overrides the window", &admin.WatchSpec{Window: admin.Duration(time.Minute), MaxErrorRate: 0.1, MinRequests: 5}, 3 * time.Minute,
			&admin.WatchSpec{Window: admin.Duration(3 * time.Minute), MaxErrorRate: 0.1, MinRequests: 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{t: Target{Watch: tt.spec}, opts: Options{Watch: tt.flag}}
			got := r.watchRequest()
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("watch %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestDeployReportsAPassedWatchOnce(t *testing.T) {
	e, g := oneOld()
	passed := &admin.WatchStatus{Verdict: admin.WatchPassed, Requests: 120, Failed: 1, ErrorRate: 1.0 / 120,
		Spec: admin.WatchSpec{Window: admin.Duration(time.Minute), MaxErrorRate: 0.05}}
	g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
		for _, s := range []string{admin.StepAdded, admin.StepReady, admin.StepSwitched} {
			progress(admin.RolloutEvent{Step: s})
		}
		progress(admin.RolloutEvent{Step: admin.StepDraining, Watch: passed})
		progress(admin.RolloutEvent{Step: admin.StepDraining, Watch: passed})
		progress(admin.RolloutEvent{Step: admin.StepDrained})
		return admin.RolloutResult{Switched: true, Watch: passed}, nil
	}
	evs, obs := collect()
	res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), target, Options{Watch: time.Minute})
	if err != nil || res.Outcome != OutcomeSucceeded || res.Watch == nil || res.Watch.Verdict != admin.WatchPassed {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	var said []string
	for _, ev := range *evs {
		if ev.Step == StepWatch {
			said = append(said, ev.Message)
		}
	}
	if len(said) != 1 || !strings.Contains(said[0], "passed: 1 of 120 requests failed (0.8%)") {
		t.Errorf("watch events %q; want one saying it passed, with the figures", said)
	}
}

func TestDeployReportsTheWarmup(t *testing.T) {
	for _, tt := range []struct {
		failed int
		want   string
	}{{0, "warmup:done"}, {3, "warmup:warn"}} {
		e, g := oneOld()
		var asked *admin.WarmupSpec
		g.rollout = func(_ context.Context, req admin.RolloutRequest, progress func(admin.RolloutEvent)) (admin.RolloutResult, error) {
			asked = req.Warmup
			rep := &admin.WarmupReport{Path: "/app/", Requests: 20, Failed: tt.failed}
			for _, s := range []string{admin.StepAdded, admin.StepWarmup, admin.StepReady, admin.StepSwitched, admin.StepDrained} {
				progress(admin.RolloutEvent{Step: s, Warmup: rep, Message: "20 warm-up requests"})
			}
			return admin.RolloutResult{Switched: true, Warmup: rep}, nil
		}
		tg := target
		tg.Warmup = &admin.WarmupSpec{Path: "/app/", Requests: 20}
		evs, obs := collect()
		res, err := (&Deployer{Engine: e, Gateway: g, Observer: obs}).Deploy(context.Background(), tg, Options{})
		if err != nil || asked == nil || *asked != *tg.Warmup {
			t.Fatalf("deploy: %v; warm-up asked %+v", err, asked)
		}
		if got := steps(*evs); !slices.Contains(got, tt.want) || slices.Index(got, tt.want) > slices.Index(got, "ready:done") {
			t.Errorf("steps %v: want %s before ready:done", got, tt.want)
		}
		if res.Warmup == nil || res.Warmup.Failed != tt.failed {
			t.Errorf("result warm-up %+v", res.Warmup)
		}
	}
}
