package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// failRateScale is the resolution of FAIL_RATE: the share is kept as parts of
// ten thousand so the spread of failures is exact integer arithmetic (a float
// product such as 0.29*100 lands on 28.999…, which would move a failure).
const failRateScale = 10000

// healthPath is the readiness page, which the failure switches never touch:
// a release that failed its own readiness would never get traffic to fail.
const healthPath = "/health"

// faults makes a release misbehave on purpose once it is ready, for the tests
// of roll's canary verdict and post-switch watch: FAIL_RATE answers that share
// of page requests 500, spread evenly (every k-th, so a test knows the exact
// count), from FAIL_AFTER after ready on; SLOW adds a delay to every page
// request from ready on.
type faults struct {
	ready     time.Time     // when /health starts answering 200
	rate      uint64        // parts of failRateScale
	failAfter time.Duration // after ready, when FAIL_RATE starts
	slow      time.Duration
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error // sleep; a test records instead
	failing   atomic.Uint64                              // page requests seen since FAIL_RATE applies
}

func newFaults(cfg config, started time.Time, now func() time.Time) *faults {
	return &faults{
		ready:     started.Add(cfg.readyDelay),
		rate:      cfg.failRate,
		failAfter: cfg.failAfter,
		slow:      cfg.slow,
		now:       now,
		sleep:     sleep,
	}
}

// wrap applies the switches to every path of next but the readiness page.
func (f *faults) wrap(next http.Handler) http.Handler {
	if f.rate == 0 && f.slow == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == healthPath {
			next.ServeHTTP(w, r)
			return
		}
		since := f.now().Sub(f.ready)
		if since < 0 {
			next.ServeHTTP(w, r)
			return
		}
		if f.slow > 0 {
			if err := f.sleep(r.Context(), f.slow); err != nil {
				return // the client went away
			}
		}
		if f.rate > 0 && since >= f.failAfter && f.fails(f.failing.Add(1)) {
			text(w, http.StatusInternalServerError, "failing: FAIL_RATE is set")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fails says whether the n-th request (from 1) since FAIL_RATE applies fails:
// it does when it carries the running count of failures, floor(n·rate), one
// up, so after n requests exactly floor(n·rate) failed, evenly spread.
func (f *faults) fails(n uint64) bool {
	return n*f.rate/failRateScale != (n-1)*f.rate/failRateScale
}

// envRate reads a share as 0.05 or 5%, between 0 and 1, in parts of failRateScale.
func envRate(getenv func(string) string, name string) (uint64, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	num, scale := v, 1.0
	if p, ok := strings.CutSuffix(v, "%"); ok {
		num, scale = strings.TrimSpace(p), 100
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || !(x >= 0 && x/scale <= 1) { // NaN fails both
		return 0, fmt.Errorf("%s=%q: want a share between 0 and 1 such as 0.2, or a percentage such as 20%%", name, v)
	}
	return uint64(x/scale*failRateScale + 0.5), nil
}
