package commands

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/cmd/internal/ui"
	"github.com/rollcd/roll/pkg/admin"
)

func init() {
	register(&cli.Command{
		Name:      "pause",
		Usage:     "hold a service's new requests at the gateway (they wait, they do not fail), e.g. for a migration",
		ArgsUsage: "SERVICE",
		Description: `New requests for the service wait at the gateway instead of reaching its containers,
   until roll resume releases them in arrival order, or until --max passes and the gateway
   resumes by itself (its log and roll status say so). Requests already in flight finish.
   At most --max-held wait; more are answered 503 with a Retry-After. The service's health
   path is not held. The pause survives a restart of the gateway. Pausing a paused service
   sets a new --max from now; the held requests stay.

   A deploy while paused goes on: the gateway proves the new container ready by itself,
   switches, and the held requests go to the new version once you resume. So a migration
   that the new version needs can run between pause and resume:

EXAMPLES:
   roll pause app --max 2m && ./migrate.sh && roll deploy app --image shop:42; roll resume app
   roll pause app --max 30s --max-held 500`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "max", Value: admin.DefaultPauseMax, Usage: "resume by itself after `DURATION` (1s to 1h)"},
			&cli.IntFlag{Name: "max-held", Value: admin.DefaultPauseMaxHeld, Usage: "hold at most `N` requests at once; more get 503"},
			&cli.BoolFlag{Name: "json", Usage: "print the pause as one JSON document"},
		},
		Action: func(c *cli.Context) error {
			service, err := oneArg(c, "SERVICE")
			if err != nil {
				return err
			}
			req, err := admin.PauseRequest{Max: admin.Duration(c.Duration("max")), MaxHeld: c.Int("max-held")}.Normalize()
			if err != nil || c.Duration("max") <= 0 || c.Int("max-held") <= 0 {
				return usageError{fmt.Errorf("pause: --max %s, --max-held %d: want --max between 1s and %s and --max-held between 1 and %d (see roll pause --help)",
					c.Duration("max"), c.Int("max-held"), admin.MaxPauseMax, admin.MaxPauseMaxHeld)}
			}
			e, err := rolledEnv(c, service)
			if err != nil {
				return err
			}
			defer e.Close()
			st, err := e.gateway.Pause(c.Context, service, req)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(gateDoc{Service: service, Changed: true, Pause: &st})
			}
			ui.Paused(ui.NewTerm(out(), c.Bool("no-color")), service, st)
			return nil
		},
	})
	register(&cli.Command{
		Name:      "resume",
		Usage:     "release the requests a pause holds, in arrival order",
		ArgsUsage: "SERVICE",
		Description: `Ends the service's pause: the held requests go on to its containers in the order
   they arrived, and new requests pass again. A service that is not paused (its --max
   passed already) is no error: roll says so and how the last pause ended.

EXAMPLES:
   roll resume app
   roll resume app --json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the ended pause as one JSON document"},
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
			term := ui.NewTerm(out(), c.Bool("no-color"))
			st, err := e.gateway.Resume(c.Context, service)
			if errors.Is(err, admin.ErrConflict) {
				cur, err := e.gateway.Service(c.Context, service)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return printJSON(gateDoc{Service: service, Pause: cur.Pause})
				}
				ui.NotPaused(term, service, cur.Pause)
				return nil
			}
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return printJSON(gateDoc{Service: service, Changed: true, Pause: &st})
			}
			ui.Resumed(term, service, st)
			return nil
		},
	})
}
