package commands

import (
	"errors"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project"
)

// Exit codes, documented in the README. They are decided here and nowhere else.
const (
	ExitOK          = 0   // success
	ExitError       = 1   // any other failure
	ExitUsage       = 2   // wrong flag or argument
	ExitProject     = 3   // the compose project or roll's settings are invalid
	ExitLocked      = 4   // another deploy of the same service is running
	ExitStart       = 5   // the new container could not be created or started
	ExitNotReady    = 6   // the new container never became ready, or failed after the switch (reverted): rolled back, old still serving
	ExitSwitch      = 7   // the gateway refused or failed the switch: rolled back, old still serving
	ExitGateway     = 8   // the gateway's admin API is unreachable or refused the token
	ExitDocker      = 9   // the Docker engine is unreachable or failed
	ExitPostDeploy  = 10  // the deploy succeeded, but a post_deploy hook failed: the new version serves
	ExitAborted     = 11  // the canary was aborted (the gateway's verdict or roll abort): new removed, old still serving
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM): the old version is still serving
)

// exitCodes maps the core's sentinels to exit codes, most specific first.
var exitCodes = []struct {
	err  error
	code int
}{
	{deploy.ErrPostDeploy, ExitPostDeploy},
	{deploy.ErrAborted, ExitAborted},
	{deploy.ErrPreSwitch, ExitNotReady},
	{deploy.ErrLocked, ExitLocked},
	{admin.ErrBusy, ExitLocked},
	{deploy.ErrStart, ExitStart},
	{deploy.ErrNotReady, ExitNotReady},
	{deploy.ErrReverted, ExitNotReady},
	{deploy.ErrSwitch, ExitSwitch},
	{deploy.ErrNoPrevious, ExitError},
	{deploy.ErrNotRolled, ExitProject},
	{project.ErrInvalidProject, ExitProject},
	{project.ErrNoSuchService, ExitProject},
	{deploy.ErrGateway, ExitGateway},
	{admin.ErrUnavailable, ExitGateway},
	{admin.ErrUnauthorized, ExitGateway},
	{deploy.ErrDocker, ExitDocker},
	{dockerx.ErrNoEngine, ExitDocker},
	// A compose key the engine cannot honour, found before any step (on Swarm, for the whole
	// project at once); one found while a step runs is that step's failure, above.
	{dockerx.ErrUnsupported, ExitProject},
}

func codeOf(err error) int {
	for _, e := range exitCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return ExitError
}
