package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

func TestWatchLine(t *testing.T) {
	term := NewTerm(&bytes.Buffer{}, false)
	if got := WatchLine(term, nil); got != "" {
		t.Errorf("no watch: %q", got)
	}
	w := &admin.WatchStatus{Spec: admin.WatchSpec{Window: admin.Duration(2 * time.Minute), MaxErrorRate: 0.05, MinRequests: 50},
		Left: admin.Duration(83 * time.Second), Requests: 40, Failed: 1, ErrorRate: 0.025, Verdict: admin.WatchRunning, Since: time.Now()}
	got := WatchLine(term, w)
	for _, want := range []string{"watch:", "1m23s left of 2m0s", "old containers kept warm", "1 of 40 requests failed (2.5%)", "above 5.0% once 50 answered"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	w.Verdict, w.Reason = admin.WatchFlipped, "the new backends failed 12 of 60 requests"
	if got := WatchLine(term, w); !strings.Contains(got, "flipped back: the new backends failed 12 of 60") {
		t.Errorf("flipped: %q", got)
	}
}
