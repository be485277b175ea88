package commands

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/cmd/internal/ui"
	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/project"
)

func init() {
	for _, verdict := range []admin.CanaryVerdict{admin.CanaryPromote, admin.CanaryAbort} {
		register(canaryCommand(verdict))
	}
}

func canaryCommand(verdict admin.CanaryVerdict) *cli.Command {
	usage := "end a service's running canary now with promote: the switch and the drain follow"
	desc := `Promotes the canary of the deploy under way, whatever its figures say so far: the gateway
   switches to the new containers and drains the old ones, and roll deploy goes on as usual.`
	if verdict == admin.CanaryAbort {
		usage = "end a service's running canary now with abort: its users drain back, the new containers go"
		desc = `Aborts the canary of the deploy under way: the old containers stay active for everyone,
   the canary's users finish on it until idle (nobody is logged out), then roll deploy removes
   the new containers and exits 11.`
	}
	return &cli.Command{
		Name:      string(verdict),
		Usage:     usage,
		ArgsUsage: "SERVICE",
		Description: desc + `

EXAMPLES:
   roll ` + string(verdict) + ` app
   roll ` + string(verdict) + ` app --reason "checked the new checkout by hand" --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reason", Usage: "why, recorded with the rollout's outcome"},
			&cli.BoolFlag{Name: "json", Usage: "print the canary's figures at the decision as one JSON document"},
		},
		Action: func(c *cli.Context) error {
			service, err := oneArg(c, "SERVICE")
			if err != nil {
				return err
			}
			e, err := rolledEnv(c, service)
			if err != nil {
				return err
			}
			defer e.Close()
			d := admin.CanaryDecision{Reason: c.String("reason")}
			decide := e.gateway.PromoteCanary
			if verdict == admin.CanaryAbort {
				decide = e.gateway.AbortCanary
			}
			st, err := decide(c.Context, service, d)
			if err != nil {
				return fmt.Errorf("%s the canary of %s: %w", verdict, service, err)
			}
			if c.Bool("json") {
				enc := json.NewEncoder(out())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Service string             `json:"service"`
					Canary  admin.CanaryStatus `json:"canary"`
				}{service, st})
			}
			ui.CanaryDecided(ui.NewTerm(out(), c.Bool("no-color")), service, st)
			return nil
		},
	}
}

// canaryOverride is what --canary and --canary-window change of x-roll.canary.
type canaryOverride struct {
	share  *float64 // nil: x-roll's; 0: no canary
	window time.Duration
}

// canaryFlags reads --canary and --canary-window; nil when neither was given.
func canaryFlags(c *cli.Context) (*canaryOverride, error) {
	if !c.IsSet("canary") && !c.IsSet("canary-window") {
		return nil, nil
	}
	o := &canaryOverride{window: c.Duration("canary-window")}
	if c.IsSet("canary") {
		share, err := project.ParseShare(c.String("canary"))
		switch {
		case err != nil:
		case share >= 1:
			err = fmt.Errorf("%q is all of them: a canary takes less than 100%%", c.String("canary"))
		case share > 0 && share < project.MinCanaryShare:
			err = fmt.Errorf("%q is less than the smallest share, 0.01%%", c.String("canary"))
		}
		if err != nil {
			return nil, usageError{fmt.Errorf("--canary: %w", err)}
		}
		o.share = &share
	}
	if c.IsSet("canary-window") && (o.window <= 0 || o.window > project.MaxCanaryWindow) {
		return nil, usageError{fmt.Errorf("--canary-window %s: want more than 0 and at most %s", o.window, project.MaxCanaryWindow)}
	}
	return o, nil
}

// apply puts the override into t: --canary-window alone needs a canary in x-roll.
func (o *canaryOverride) apply(t *deploy.Target) error {
	if o == nil {
		return nil
	}
	if o.share == nil && t.Canary == nil {
		return usageError{fmt.Errorf("--canary-window: service %s has no x-roll.canary; say --canary SHARE too", t.Service)}
	}
	c := project.CanarySettings{}
	if t.Canary != nil {
		c = *t.Canary
	}
	if o.share != nil {
		c.Share = *o.share
	}
	if o.window > 0 {
		c.Window = o.window
	}
	t.Canary = nil
	if c.Share > 0 {
		t.Canary = &c
	}
	return nil
}
