package commands

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/cmd/internal/ui"
	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/project"
)

func init() {
	register(&cli.Command{
		Name:      "deploy",
		Usage:     "start a new container beside the old, prove it ready, switch traffic, drain and stop the old",
		ArgsUsage: "SERVICE",
		Description: `Deploys one service of the compose project with zero downtime:
   the new container starts beside the old one, the gateway proves it ready (running,
   healthy, TCP, AJP CPing/CPong, a real request to the ready path), switches traffic
   atomically, drains the old container (in-flight requests and live sticky sessions)
   and only then stops it. Any failure before the switch removes the new container and
   leaves the old one serving.

EXAMPLES:
   roll deploy app                          # the image in compose.yaml
   roll deploy app --image registry/app:42  # a new tag, e.g. from CI
   roll deploy app --build                  # build the service's image first
   roll deploy app --json                   # one JSON event per line, for CI
   roll deploy app --canary 10%             # 10% of new sessions first; the gateway promotes or aborts (exit 11)
   roll deploy app --canary 0               # no canary this time, whatever x-roll.canary says
   roll deploy app --watch 2m               # keep the old container warm 2m, flip back if the new one fails`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "image", Usage: "deploy `IMAGE` instead of the compose file's image"},
			&cli.BoolFlag{Name: "build", Usage: "build the service's image (compose build:) before deploying"},
			&cli.StringFlag{Name: "canary", Usage: "give the new container `SHARE` (10%, 0.1) of new sessions first and let the gateway judge it; 0: no canary", DefaultText: "x-roll canary.share"},
			&cli.DurationFlag{Name: "canary-window", Usage: "how long the canary runs before the gateway's verdict", DefaultText: "x-roll canary.window, 2m"},
		}, rolloutFlags()...),
		Action: func(c *cli.Context) error {
			o, err := rolloutOptions(c)
			if err != nil {
				return err
			}
			o.image, o.build = c.String("image"), c.Bool("build")
			if o.canary, err = canaryFlags(c); err != nil {
				return err
			}
			return runDeploy(c, o)
		},
	})
}

// rolloutFlags are the flags of every command that deploys (deploy, rollback).
func rolloutFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "ready-timeout", Usage: "bound on start + readiness", DefaultText: "x-roll ready.timeout"},
		&cli.DurationFlag{Name: "drain-timeout", Usage: "bound on the drain of the old container", DefaultText: "x-roll drain.timeout"},
		&cli.DurationFlag{Name: "wait", Usage: "wait up to `DURATION` for another deploy of the service to finish", DefaultText: "fail at once"},
		&cli.DurationFlag{Name: "watch", Usage: "after the switch, keep the old container warm for `DURATION` and flip back if the new one fails (x-roll watch thresholds)", DefaultText: "x-roll watch.window"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON event per line (the last one carries the result)"},
	}
}

// rolloutOptions reads the SERVICE argument and the rolloutFlags.
func rolloutOptions(c *cli.Context) (deployOptions, error) {
	service, err := oneArg(c, "SERVICE")
	if err != nil {
		return deployOptions{}, err
	}
	watch := c.Duration("watch")
	if c.IsSet("watch") && (watch <= 0 || watch > admin.MaxWatchWindow) {
		return deployOptions{}, usageError{fmt.Errorf("--watch %s: want a window longer than 0 and at most %s, such as 2m", watch, admin.MaxWatchWindow)}
	}
	return deployOptions{
		watch:        watch,
		service:      service,
		readyTimeout: c.Duration("ready-timeout"),
		drainTimeout: c.Duration("drain-timeout"),
		lockWait:     c.Duration("wait"),
		json:         c.Bool("json"),
	}, nil
}

type deployOptions struct {
	service      string
	image        string
	build        bool
	readyTimeout time.Duration
	drainTimeout time.Duration
	lockWait     time.Duration
	watch        time.Duration // --watch: the post-switch watch's window
	json         bool
	rollback     bool // the image comes from the history
	canary       *canaryOverride
}

func observer(c *cli.Context, jsonOut bool) deploy.Observer {
	if jsonOut {
		return ui.NewJSONEvents(out())
	}
	return ui.NewStepLines(ui.NewTerm(out(), c.Bool("no-color")))
}

func runDeploy(c *cli.Context, o deployOptions) error {
	obs := observer(c, o.json)
	start := time.Now()
	e, err := openEnv(c, true)
	if err != nil {
		return err
	}
	defer e.Close()
	if o.rollback {
		if o.image, err = rollbackImage(c, e, o.service); err != nil {
			return err
		}
	}
	target, err := deploy.TargetFor(e.project, o.service, o.image)
	if err != nil {
		return err
	}
	if err := o.canary.apply(&target); err != nil {
		return err
	}
	settings, _ := e.project.Rolled(o.service)
	obs.Event(deploy.Event{Time: time.Now(), Step: deploy.StepLoad, Status: deploy.StatusDone, Service: o.service, Image: target.Image,
		Elapsed: time.Since(start), Message: fmt.Sprintf("project %s, %s → %s", e.project.Name, o.service, target.Image)})

	lockAt := time.Now()
	lock, err := deploy.AcquireLock(c.Context, deploy.LockDir(), e.project.Name, o.service, o.lockWait)
	if err != nil {
		return err
	}
	defer lock.Release()
	obs.Event(deploy.Event{Time: time.Now(), Step: deploy.StepLock, Status: deploy.StatusDone, Service: o.service,
		Elapsed: time.Since(lockAt), Message: "deploy lock of " + e.project.Name + "/" + o.service})

	if o.build {
		buildAt := time.Now()
		if err := e.builder.Build(c.Context, o.service, target.Image); err != nil {
			if errors.Is(err, project.ErrInvalidProject) {
				return err // the compose file's fault: exit 3, naming the key
			}
			return &deploy.StepError{Step: deploy.StepBuild, Kind: deploy.ErrStart, Err: err}
		}
		obs.Event(deploy.Event{Time: time.Now(), Step: deploy.StepBuild, Status: deploy.StatusDone, Service: o.service,
			Elapsed: time.Since(buildAt), Message: "built " + target.Image})
	}
	opts := deploy.Options{ReadyTimeout: settings.Ready.Timeout, DrainTimeout: o.drainTimeout, Watch: o.watch}
	if o.readyTimeout > 0 {
		opts.ReadyTimeout = o.readyTimeout
	}
	d := &deploy.Deployer{Engine: e.engine, Gateway: e.gateway, Observer: obs}
	_, err = d.Deploy(c.Context, target, opts)
	return err
}

// oneArg returns the only positional argument or a usage error naming it.
func oneArg(c *cli.Context, name string) (string, error) {
	switch c.NArg() {
	case 1:
		return c.Args().First(), nil
	case 0:
		return "", usageError{fmt.Errorf("%s needs a %s argument (see roll %s --help)", c.Command.Name, name, c.Command.Name)}
	default:
		return "", usageError{fmt.Errorf("%s takes one %s, got %d arguments: %v", c.Command.Name, name, c.NArg(), c.Args().Slice())}
	}
}

func errTakesNoArgs(cmd string, args []string) error {
	return fmt.Errorf("%s takes no arguments, got %v", cmd, args)
}
