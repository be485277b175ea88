package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestJudgeCanary runs the verdict on recorded counters: the figures two sides of a canary
// had at one moment of a run.
func TestJudgeCanary(t *testing.T) {
	spec := admin.CanarySpec{Share: 0.2, Window: admin.Duration(time.Minute), MaxErrorRate: 0.05, MaxP95Ratio: 1.5, MinRequests: 100}
	ms := time.Millisecond
	good := canarySide{requests: 1600, failed: 0, p95: 4 * ms, hasP95: true}
	for _, c := range []struct {
		name      string
		old, new  canarySide
		elapsed   time.Duration
		want      admin.CanaryVerdict
		inMessage string
	}{
		{"a good canary promotes at the window's end", good, canarySide{requests: 400, failed: 1, p95: 5 * ms, hasP95: true}, time.Minute, admin.CanaryPromote, "p95 5ms against old 4ms"},
		{"a good canary waits for its window", good, canarySide{requests: 400, p95: 4 * ms, hasP95: true}, 30 * time.Second, admin.CanaryPending, "the window runs"},
		{"errors abort before the window ends", good, canarySide{requests: 120, failed: 24, p95: 4 * ms, hasP95: true}, 10 * time.Second, admin.CanaryAbort, "error share 20.0% (24 of 120)"},
		{"errors are judged against the old side's", canarySide{requests: 1000, failed: 100, p95: 4 * ms, hasP95: true},
			canarySide{requests: 200, failed: 28, p95: 4 * ms, hasP95: true}, time.Minute, admin.CanaryPromote, "old 10.0% (100 of 1000)"},
		{"errors above the old side's by more than the margin abort", canarySide{requests: 1000, failed: 100, p95: 4 * ms, hasP95: true},
			canarySide{requests: 200, failed: 32, p95: 4 * ms, hasP95: true}, time.Minute, admin.CanaryAbort, "more than 5.0% above"},
		{"a slow canary aborts at the window's end", good, canarySide{requests: 400, p95: 7 * ms, hasP95: true}, time.Minute, admin.CanaryAbort, "more than 1.5× the old"},
		{"slowness alone waits for the window", good, canarySide{requests: 400, p95: 7 * ms, hasP95: true}, 59 * time.Second, admin.CanaryPending, "the window runs"},
		{"too few requests keep the canary waiting", good, canarySide{requests: 99, p95: 4 * ms, hasP95: true}, 90 * time.Second, admin.CanaryPending, "99 of 100"},
		{"too few requests for twice the window: inconclusive", good, canarySide{requests: 99, failed: 99, hasP95: true}, 2 * time.Minute, admin.CanaryAbort, "inconclusive"},
		{"too few failing requests do not abort", good, canarySide{requests: 10, failed: 10}, 10 * time.Second, admin.CanaryPending, "10 of 100"},
		{"an old side with no traffic: judged on errors alone", canarySide{}, canarySide{requests: 300, failed: 3, p95: 900 * ms, hasP95: true}, time.Minute, admin.CanaryPromote, "p95 not compared"},
		{"an old side with no traffic does not excuse errors", canarySide{}, canarySide{requests: 300, failed: 30}, time.Second, admin.CanaryAbort, "no baseline"},
		{"a noisy old side is no baseline", canarySide{requests: 3, failed: 3, p95: ms, hasP95: true}, canarySide{requests: 300, failed: 30}, time.Second, admin.CanaryAbort, "no baseline"},
		{"a zero old p95 is compared as 1ms", canarySide{requests: 1000, hasP95: true}, canarySide{requests: 300, p95: 1400 * time.Microsecond, hasP95: true}, time.Minute, admin.CanaryPromote, "p95 1.4ms against old 0s"},
		{"a zero old p95 still catches a slow canary", canarySide{requests: 1000, hasP95: true}, canarySide{requests: 300, p95: 2 * ms, hasP95: true}, time.Minute, admin.CanaryAbort, "more than 1.5×"},
		{"a zero canary p95 promotes", good, canarySide{requests: 300, hasP95: true}, time.Minute, admin.CanaryPromote, "p95 0s against old 4ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, why := judgeCanary(spec, c.old, c.new, c.elapsed)
			if v != c.want || !strings.Contains(why, c.inMessage) {
				t.Errorf("verdict %s (%s), want %s with %q", v, why, c.want, c.inMessage)
			}
		})
	}
}
