package gateway

import (
	"fmt"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// The canary's verdict is a pure function of the two sides' counter deltas since the canary
// began and of the time since, so that it is tested with recorded counters.
//
//   - Nothing is judged before the canary answered MinRequests requests.
//   - Errors abort at once, window or not: the canary's error share (5xx answers and
//     transport errors) may exceed the old side's by at most MaxErrorRate. The old side's
//     share counts only once it answered MinRequests too (a noisy few must not excuse a
//     bad canary); before, the canary is held to MaxErrorRate alone.
//   - Latency is judged at the window's end, over the whole window (a JVM's slow first
//     requests weigh little): the canary's p95 may be at most MaxP95Ratio times the old
//     side's, the old p95 taken as at least p95Floor (a histogram's first bucket is 1 ms, so
//     a ratio to nearly nothing means nothing). An old side with fewer than MinRequests
//     answers gives no latency to compare with: the canary is judged on errors alone, and
//     the reason says so.
//   - A window that ends with too few requests does not promote on no evidence: the canary
//     keeps running as long again (inconclusiveAfter), then aborts as inconclusive.

// p95Floor is the smallest old p95 a canary's p95 is compared with.
const p95Floor = time.Millisecond

// canarySide is one side of a canary, since it began.
type canarySide struct {
	requests uint64 // answers and transport errors
	failed   uint64 // 5xx answers and transport errors
	p95      time.Duration
	hasP95   bool
}

func (c canarySide) errorRate() float64 { return errorRate(c.requests, c.failed) }

// inconclusiveAfter is when a canary with too few requests is given up.
func inconclusiveAfter(spec admin.CanarySpec) time.Duration {
	return 2 * time.Duration(spec.Window)
}

// judgeCanary returns the verdict on a canary (spec with defaults applied) elapsed after it
// began, and its reason in figures.
func judgeCanary(spec admin.CanarySpec, old, fresh canarySide, elapsed time.Duration) (admin.CanaryVerdict, string) {
	window := time.Duration(spec.Window)
	if fresh.requests < spec.MinRequests {
		if elapsed >= inconclusiveAfter(spec) {
			return admin.CanaryAbort, fmt.Sprintf("inconclusive: only %d of the %d requests needed reached the canary in %s",
				fresh.requests, spec.MinRequests, inconclusiveAfter(spec))
		}
		return admin.CanaryPending, fmt.Sprintf("%d of %d requests needed so far", fresh.requests, spec.MinRequests)
	}
	oldKnown := old.requests >= spec.MinRequests
	base, baseWhat := 0.0, "no baseline: the old side answered fewer requests than needed"
	if oldKnown {
		base = old.errorRate()
		baseWhat = fmt.Sprintf("old %s (%d of %d)", pct(base), old.failed, old.requests)
	}
	errs := fmt.Sprintf("error share %s (%d of %d) against %s", pct(fresh.errorRate()), fresh.failed, fresh.requests, baseWhat)
	if fresh.errorRate() > base+spec.MaxErrorRate {
		return admin.CanaryAbort, fmt.Sprintf("%s: more than %s above", errs, pct(spec.MaxErrorRate))
	}
	if elapsed < window {
		return admin.CanaryPending, errs + "; the window runs"
	}
	if !oldKnown || !old.hasP95 || !fresh.hasP95 {
		return admin.CanaryPromote, errs + "; p95 not compared (no old latency to compare with)"
	}
	ref := max(old.p95, p95Floor)
	lat := fmt.Sprintf("p95 %s against old %s", fresh.p95, old.p95)
	if float64(fresh.p95) > float64(ref)*spec.MaxP95Ratio {
		return admin.CanaryAbort, fmt.Sprintf("%s: more than %g× the old; %s", lat, spec.MaxP95Ratio, errs)
	}
	return admin.CanaryPromote, errs + "; " + lat
}

// pct spells a share as a percentage with one decimal.
func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
