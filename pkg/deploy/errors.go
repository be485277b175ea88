package deploy

import (
	"errors"
	"fmt"
)

// Sentinels the CLI maps to exit codes.
var (
	ErrLocked     = errors.New("another deploy of this service is running")
	ErrNotRolled  = errors.New("service is not deployed through the gateway")
	ErrStart      = errors.New("new container did not start")
	ErrNotReady   = errors.New("new container did not become ready")
	ErrReverted   = errors.New("the new version failed after the switch and the gateway switched back to the old one")
	ErrSwitch     = errors.New("gateway did not switch traffic")
	ErrGateway    = errors.New("gateway unreachable")
	ErrDocker     = errors.New("docker engine failed")
	ErrNoPrevious = errors.New("no previous deploy to roll back to")
	ErrPreSwitch  = errors.New("a pre_switch hook failed")
	ErrPostDeploy = errors.New("a post_deploy hook failed; the deploy stands, nothing was undone")
)

// StepError is a failure at one step; errors.Is sees both the sentinel and the cause.
type StepError struct {
	Step Step
	Kind error // one of the sentinels
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Step, e.Kind, e.Err)
}

// Unwrap exposes the sentinel and the cause.
func (e *StepError) Unwrap() []error { return []error{e.Kind, e.Err} }

func stepErr(step Step, kind, err error) error {
	return &StepError{Step: step, Kind: kind, Err: err}
}
