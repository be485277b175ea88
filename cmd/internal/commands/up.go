package commands

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/deploy"
)

func init() {
	register(&cli.Command{
		Name:      "up",
		Usage:     "create what is missing: networks, volumes, the gateway and the services",
		ArgsUsage: "[SERVICE...]",
		Description: `Brings the compose project up without docker compose. Containers carry the
   standard compose labels, so docker compose ps and roll see the same thing. A service
   with x-roll gets its first deploy through the gateway (ready-checked); one that
   already runs is registered with the gateway if it does not know it.

EXAMPLES:
   roll up
   roll up app
   roll -f compose.yaml -f compose.prod.yaml up`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "ready-timeout", Usage: "bound on each rolled service's start + readiness"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON event per line"},
		},
		Action: func(c *cli.Context) error {
			e, err := openEnv(c, false)
			if err != nil {
				return err
			}
			defer e.Close()
			st := stack(c, e, c.Bool("json"))
			return st.Up(c.Context, c.Args().Slice(), deploy.Options{ReadyTimeout: c.Duration("ready-timeout")})
		},
	})
	register(&cli.Command{
		Name:  "down",
		Usage: "stop and remove the project's containers and networks (volumes with --volumes)",
		Description: `Removes every container of the project (the gateway last), then its networks.
   Named volumes, such as the gateway's state, stay unless --volumes is given.

EXAMPLES:
   roll down
   roll down --volumes`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "also remove the project's named volumes"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON event per line"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{errTakesNoArgs("down", c.Args().Slice())}
			}
			e, err := openEnv(c, false)
			if err != nil {
				return err
			}
			defer e.Close()
			return stack(c, e, c.Bool("json")).Down(c.Context, c.Bool("volumes"))
		},
	})
}

func stack(c *cli.Context, e *env, jsonOut bool) *deploy.Stack {
	return &deploy.Stack{
		Engine:   e.engine,
		Project:  e.project,
		Observer: observer(c, jsonOut),
		Connect: func(ctx context.Context) (deploy.Gateway, error) {
			client, err := gatewayClient(c, e)
			if err != nil {
				return nil, err
			}
			if _, err := client.Services(ctx); err != nil {
				return nil, err
			}
			return client, nil
		},
	}
}
