package dockerx

import (
	"strings"
	"testing"
)

// TestExec runs commands in a running container: their exit code, their output (standard
// error included) and the environment given to them.
func TestExec(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "exec", `
services:
  app:
    image: IMAGE
    labels: *tl
`, nil)
	ctr := run(t, c, p, "app")
	ctx := testContext(t)

	res, err := c.Exec(ctx, ctr.ID, []string{"/probe", "exit", "3"}, nil)
	if err != nil || res.ExitCode != 3 || res.Output != "exiting with 3\n" {
		t.Errorf("exit 3: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx, ctr.ID, []string{"/probe", "cat", "/proc/self/environ"}, []string{"ROLL_HOOK=pre_switch", "ROLL_IMAGE=shop:42"})
	if err != nil || res.ExitCode != 0 || !strings.Contains(res.Output, "ROLL_HOOK=pre_switch\x00ROLL_IMAGE=shop:42") {
		t.Errorf("environment: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx, ctr.ID, []string{"/probe", "cat", "/nonexistent"}, nil)
	if err != nil || res.ExitCode != 1 || !strings.Contains(res.Output, "no such file or directory") {
		t.Errorf("a failing command's standard error: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx, ctr.ID, []string{"/no-such-binary"}, nil)
	if err == nil && (res.ExitCode == 0 || !strings.Contains(res.Output, "no-such-binary")) {
		t.Errorf("a command that does not exist: %+v, want a failure that names it", res)
	}
	if err != nil && !strings.Contains(err.Error(), "no-such-binary") {
		t.Errorf("a command that does not exist: %v, want an error that names it", err)
	}
}
