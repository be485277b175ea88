// Package commands is roll's command tree: each command parses its flags into
// an options struct and makes one call into pkg/.
package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Run builds the command tree, runs it with args and returns the process exit code.
func Run(ctx context.Context, version string, args []string) int {
	app := newApp(version)
	err := app.RunContext(ctx, interspersed(app, args))
	return exitCode(ctx, err)
}

func newApp(version string) *cli.App {
	return &cli.App{
		Name:                 "roll",
		Usage:                "zero-downtime rolling deploys of compose apps behind an AJP13/HTTP gateway",
		Version:              version,
		EnableBashCompletion: true,
		Suggest:              true,
		Writer:               os.Stdout,
		ErrWriter:            os.Stderr,
		Commands:             commandList(),
		Flags:                projectFlags(),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{fmt.Errorf("%w (see roll --help)", err)}
		},
	}
}

// commandList is extended by one file per command (see init functions).
func commandList() []*cli.Command { return slices.Clone(registered) }

var registered []*cli.Command

func register(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = onUsageError
	}
	registered = append(registered, c)
}

// onUsageError turns flag parsing errors into usage errors (exit 2) that say what is expected.
func onUsageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	for _, f := range c.Command.Flags {
		if _, isDuration := f.(*cli.DurationFlag); isDuration && strings.Contains(msg, "flag -"+f.Names()[0]+":") {
			msg = strings.TrimSuffix(msg, ": parse error") + ": want a duration such as 30s, 2m or 1h30m"
		}
	}
	return usageError{fmt.Errorf("%s %s: %s (see roll %s --help)", c.App.Name, c.Command.Name, msg, c.Command.Name)}
}

type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(os.Stderr, "roll: %v\n", err)
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return codeOf(err)
}
