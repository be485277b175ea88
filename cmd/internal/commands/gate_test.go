package commands

import (
	"context"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestGateCommandsRefuseWrongUsage: pause, resume and maintenance say what they expect, with
// exit 2, before they look for a project, Docker or the gateway.
func TestGateCommandsRefuseWrongUsage(t *testing.T) {
	for _, args := range [][]string{
		{"pause"},
		{"pause", "app", "web"},
		{"pause", "app", "--max", "2h"},
		{"pause", "app", "--max", "0s"},
		{"pause", "app", "--max", "soon"},
		{"pause", "app", "--max-held", "0"},
		{"resume"},
		{"maintenance", "app"},
		{"maintenance", "app", "sideways"},
		{"maintenance", "app", "on"},
		{"maintenance", "app", "on", "--message", "   "},
		{"maintenance", "app", "on", "--message", "bell\a"},
		{"maintenance", "app", "on", "--message", "x", "--retry-after", "soon"},
		{"maintenance", "app", "on", "--message", "x", "--retry-after", "-5"},
		{"maintenance", "app", "off", "--message", "x"},
	} {
		if code := Run(context.Background(), "test", append([]string{"roll"}, args...)); code != ExitUsage {
			t.Errorf("roll %v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"120": 2 * time.Minute, "1": time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute} {
		if got, err := parseRetryAfter(in); err != nil || got != admin.Duration(want) {
			t.Errorf("%q: %s, %v; want %s", in, time.Duration(got), err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "2 minutes", "0s"} {
		if _, err := parseRetryAfter(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
