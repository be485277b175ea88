package commands

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/project"
)

// TestCanaryFlagsRefuseWrongUsage: a bad --canary or --canary-window, and promote or abort
// without a service, exit 2 before anything is looked at.
func TestCanaryFlagsRefuseWrongUsage(t *testing.T) {
	for _, args := range [][]string{
		{"deploy", "app", "--canary", "150%"},
		{"deploy", "app", "--canary", "100%"},
		{"deploy", "app", "--canary", "ten"},
		{"deploy", "app", "--canary", "0.001%"},
		{"deploy", "app", "--canary-window", "0s"},
		{"deploy", "app", "--canary-window", "48h"},
		{"promote"},
		{"abort", "app", "web"},
	} {
		if code := Run(context.Background(), "test", append([]string{"roll"}, args...)); code != ExitUsage {
			t.Errorf("roll %v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

// TestCanaryOverride: --canary replaces x-roll's share and keeps its other settings,
// --canary 0 drops the canary, --canary-window alone changes the window of x-roll's canary.
func TestCanaryOverride(t *testing.T) {
	share := func(f float64) *float64 { return &f }
	xroll := &project.CanarySettings{Share: 0.1, Window: time.Minute, MinRequests: 50}
	for _, c := range []struct {
		name string
		from *project.CanarySettings
		o    *canaryOverride
		want *project.CanarySettings
	}{
		{"no flags", xroll, nil, xroll},
		{"a share", xroll, &canaryOverride{share: share(0.3)}, &project.CanarySettings{Share: 0.3, Window: time.Minute, MinRequests: 50}},
		{"a share without x-roll", nil, &canaryOverride{share: share(0.3)}, &project.CanarySettings{Share: 0.3}},
		{"none this time", xroll, &canaryOverride{share: share(0)}, nil},
		{"a window", xroll, &canaryOverride{window: time.Hour}, &project.CanarySettings{Share: 0.1, Window: time.Hour, MinRequests: 50}},
	} {
		tgt := deploy.Target{Canary: c.from}
		if err := c.o.apply(&tgt); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (tgt.Canary == nil) != (c.want == nil) || (tgt.Canary != nil && *tgt.Canary != *c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, tgt.Canary, c.want)
		}
	}
	var ue usageError
	if err := (&canaryOverride{window: time.Hour}).apply(&deploy.Target{Service: "app"}); !errors.As(err, &ue) {
		t.Errorf("--canary-window without a canary: %v, want a usage error", err)
	}
}
