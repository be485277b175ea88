package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/deploy"
)

// TestHookLines: a hook's step line keeps the messages aligned with the other steps, a failed
// one shows the hook's output, and a failed post_deploy hook is said in the summary of a deploy
// that stands; --json carries the hook's report.
func TestHookLines(t *testing.T) {
	var buf bytes.Buffer
	s := NewStepLines(NewTerm(&buf, false))
	ok := deploy.HookReport{Hook: deploy.StepPreSwitch, Index: 1, Run: "container", Container: "p-app-2", Command: []string{"/goapp", "check", "/health"}, Duration: 40 * time.Millisecond}
	bad := deploy.HookReport{Hook: deploy.StepPostDeploy, Index: 1, Run: "local", Command: []string{"./purge.sh"}, ExitCode: 4, Output: []string{"purge refused"}, Duration: 3 * time.Millisecond}
	s.Event(deploy.Event{Step: deploy.StepReady, Status: deploy.StatusDone, Message: "ready", Elapsed: 1600 * time.Millisecond})
	s.Event(deploy.Event{Step: deploy.StepPreSwitch, Status: deploy.StatusDone, Message: ok.String(), Elapsed: ok.Duration, Hook: &ok})
	s.Event(deploy.Event{Step: deploy.StepPostDeploy, Status: deploy.StatusFailed, Message: bad.String(), Logs: bad.Output, Hook: &bad})
	s.Event(deploy.Event{Step: deploy.StepDone, Status: deploy.StatusFailed, Result: &deploy.Result{Outcome: deploy.OutcomeSucceeded, Service: "app",
		Image: "shop:42", FailedStep: deploy.StepPostDeploy, Hooks: []deploy.HookReport{ok, bad}}})
	lines := strings.Split(buf.String(), "\n")
	if col := strings.Index(lines[0], "ready"); strings.Index(lines[0][col+1:], "ready")+col+1 != strings.Index(lines[1], "hook 1") {
		t.Errorf("the hook's message is not aligned with the others:\n%s", buf.String())
	}
	for _, want := range []string{`✓ pre_switch  0.0s  hook 1 "/goapp check /health" in p-app-2: exit 0 after 40ms`,
		`✗ post_deploy       hook 1 "./purge.sh" in this machine: exit 4 after 3ms`, "│ purge refused",
		`post_deploy failed: hook 1 "./purge.sh" in this machine: exit 4 after 3ms; the deploy stands: shop:42 serves, nothing was undone`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	b, err := json.Marshal(deploy.Event{Step: deploy.StepPreSwitch, Status: deploy.StatusDone, Hook: &ok})
	if err != nil || !strings.Contains(string(b), `"hook":{"hook":"pre_switch","index":1,"run":"container","container":"p-app-2","command":["/goapp","check","/health"],"exit_code":0,"duration_ms":40}`) {
		t.Errorf("JSON event %s, %v", b, err)
	}
}
