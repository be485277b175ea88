package commands

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/cmd/internal/ui"
	"github.com/rollcd/roll/pkg/admin"
)

func init() {
	register(&cli.Command{
		Name:      "maintenance",
		Usage:     "answer a service's requests with a 503 maintenance page (on), or serve again (off)",
		ArgsUsage: "SERVICE on|off",
		Description: `With on, the gateway answers every request of the service with 503, a Retry-After
   and your message: a small HTML page for browsers (the message HTML-escaped), plain text
   for the other clients. Its health path still reaches the containers, and so do the
   gateway's readiness checks, so a deploy can run meanwhile. Maintenance survives a restart
   of the gateway. On a paused service it ends the pause: the held requests get the page.
   Turning it on again changes the message. Off lets requests through again.

EXAMPLES:
   roll maintenance app on --message "Upgrading the database, back at 14:00" --retry-after 10m
   roll maintenance app off`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "message", Usage: "what the page says (on; required)"},
			&cli.StringFlag{Name: "retry-after", Usage: "the 503's Retry-After: `SECONDS` or a duration such as 10m (on)",
				DefaultText: strconv.Itoa(int(admin.DefaultMaintenanceRetryAfter.Seconds()))},
			&cli.BoolFlag{Name: "json", Usage: "print the maintenance as one JSON document"},
		},
		Action: func(c *cli.Context) error {
			service, on, spec, err := maintenanceArgs(c)
			if err != nil {
				return err
			}
			e, err := rolledEnv(c, service)
			if err != nil {
				return err
			}
			defer e.Close()
			term := ui.NewTerm(out(), c.Bool("no-color"))
			if on {
				st, err := e.gateway.StartMaintenance(c.Context, service, spec)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return printJSON(gateDoc{Service: service, Changed: true, Maintenance: &st})
				}
				ui.MaintenanceOn(term, service, st)
				return nil
			}
			st, err := e.gateway.EndMaintenance(c.Context, service)
			switch {
			case errors.Is(err, admin.ErrConflict):
				if c.Bool("json") {
					return printJSON(gateDoc{Service: service})
				}
				fmt.Fprintf(term.Out, "%s was not in maintenance\n", service)
				return nil
			case err != nil:
				return err
			case c.Bool("json"):
				return printJSON(gateDoc{Service: service, Changed: true, Maintenance: &st})
			}
			ui.MaintenanceOff(term, service, st)
			return nil
		},
	})
}

// maintenanceArgs reads SERVICE on|off and the flags that go with on.
func maintenanceArgs(c *cli.Context) (service string, on bool, spec admin.MaintenanceSpec, err error) {
	usage := func(format string, args ...any) error {
		return usageError{fmt.Errorf("maintenance: "+format+" (see roll maintenance --help)", args...)}
	}
	if c.NArg() != 2 {
		return "", false, spec, usage("want SERVICE on|off, got %d arguments %v", c.NArg(), c.Args().Slice())
	}
	service = c.Args().Get(0)
	switch c.Args().Get(1) {
	case "on":
		on = true
	case "off":
		if c.IsSet("message") || c.IsSet("retry-after") {
			return "", false, spec, usage("--message and --retry-after go with on, not off")
		}
		return service, false, spec, nil
	default:
		return "", false, spec, usage("%q: want on or off", c.Args().Get(1))
	}
	if !c.IsSet("message") {
		return "", false, spec, usage("on needs --message: say what is happening and when it ends")
	}
	spec.Message = c.String("message")
	if c.IsSet("retry-after") {
		if spec.RetryAfter, err = parseRetryAfter(c.String("retry-after")); err != nil {
			return "", false, spec, usage("%v", err)
		}
	}
	if spec, err = spec.Normalize(); err != nil {
		return "", false, spec, usageError{fmt.Errorf("%w (see roll maintenance --help)", err)}
	}
	return service, true, spec, nil
}

// parseRetryAfter reads whole seconds, as the header carries them, or a Go duration.
func parseRetryAfter(s string) (admin.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 {
			return 0, fmt.Errorf("--retry-after %q: want a number of seconds above zero", s)
		}
		return admin.Duration(time.Duration(n) * time.Second), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--retry-after %q: want seconds (120) or a duration (2m)", s)
	}
	return admin.Duration(d), nil
}
