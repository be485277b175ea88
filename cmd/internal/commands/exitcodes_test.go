package commands

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/dockerx"
)

// TestAnUnsupportedKeyIsAProjectError: a compose key roll cannot honour, found before
// anything ran (the Swarm check of the whole project), exits 3 like any invalid setting;
// found by a step, it stays that step's failure.
func TestAnUnsupportedKeyIsAProjectError(t *testing.T) {
	refused := fmt.Errorf("service app: secrets is not supported: …: %w", dockerx.ErrUnsupported)
	if got := codeOf(errors.Join(refused)); got != ExitProject {
		t.Errorf("an unsupported key before any step: exit %d, want %d", got, ExitProject)
	}
	during := &deploy.StepError{Step: deploy.StepCreate, Kind: deploy.ErrStart, Err: refused}
	if got := codeOf(during); got != ExitStart {
		t.Errorf("an unsupported key found when creating the container: exit %d, want %d", got, ExitStart)
	}
}

// TestAnAbortedCanaryExits11: an aborted canary is its own exit code, not a failed readiness.
func TestAnAbortedCanaryExits11(t *testing.T) {
	err := &deploy.StepError{Step: deploy.StepCanary, Kind: deploy.ErrAborted, Err: errors.New("abort: error share 20.0%")}
	if got := codeOf(err); got != ExitAborted || ExitAborted != 11 {
		t.Errorf("an aborted canary: exit %d, want 11", got)
	}
}

// A release the gateway flipped back after the switch (the post-switch watch, or every new
// backend failing its health checks) exits 6 as a failed readiness does: the old serves.
func TestARevertExitsNotReady(t *testing.T) {
	reverted := &deploy.StepError{Step: deploy.StepSwitch, Kind: deploy.ErrReverted, Err: errors.New("the post-switch watch flipped back: …")}
	if got := codeOf(reverted); got != ExitNotReady {
		t.Errorf("a watch's flip back: exit %d, want %d", got, ExitNotReady)
	}
}
