package dockerx

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// execOutputTail is how much of a command's output Exec keeps: the end, where a failing
// command says why.
const execOutputTail = 16 << 10

// ExecResult is how a command run in a container ended.
type ExecResult struct {
	ExitCode int
	// Output is the end of what the command wrote, standard output and error interleaved as
	// the engine sent them.
	Output string
}

// Exec runs cmd in a running container, as `docker exec` without -i and -t does, with env
// ("KEY=value") added to the container's environment, and waits for it to end. When ctx ends
// first Exec stops waiting and returns ctx's error: the engine cannot stop an exec'd process,
// so it runs on in the container until it ends by itself or the container stops.
func (c *Client) Exec(ctx context.Context, id string, cmd, env []string) (ExecResult, error) {
	what := fmt.Sprintf("%s in container %s", strings.Join(cmd, " "), shortID(id))
	created, err := c.api.ContainerExecCreate(ctx, id, container.ExecOptions{AttachStdout: true, AttachStderr: true, Cmd: cmd, Env: env})
	if err != nil {
		return ExecResult{}, engineError("starting "+what, err)
	}
	resp, err := c.api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return ExecResult{}, engineError("attaching to "+what, err)
	}
	defer resp.Close()
	out := &tailBuffer{max: execOutputTail}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, out, resp.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		resp.Close()
		<-copied
		return ExecResult{Output: out.String()}, fmt.Errorf("running %s: %w", what, context.Cause(ctx))
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return ExecResult{Output: out.String()}, engineError("reading the output of "+what, err)
	}
	info, err := c.api.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return ExecResult{Output: out.String()}, engineError("asking how "+what+" ended", err)
	}
	if info.Running {
		return ExecResult{Output: out.String()}, fmt.Errorf("running %s: its output ended, but the engine says it still runs", what)
	}
	return ExecResult{ExitCode: info.ExitCode, Output: out.String()}, nil
}
