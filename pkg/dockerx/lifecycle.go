package dockerx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// pollInterval is how often the Wait functions look at a container's state.
const pollInterval = 200 * time.Millisecond

// State is a container's run state.
type State struct {
	// Status is the engine's status: created, running, paused, restarting,
	// removing, exited or dead.
	Status string
	// Running is true while the container's process runs.
	Running bool
	// ExitCode is the exit code of the last run, meaningful once exited.
	ExitCode int
	// OOMKilled is true when the kernel killed the process for memory.
	OOMKilled bool
	// Error is the engine's error for a container that failed to start.
	Error string
	// Health is starting, healthy or unhealthy, or "" without a healthcheck.
	Health string
}

// String describes the state for a person: "running (healthy)", "exited with code 137 (out of memory)".
func (s State) String() string {
	out := s.Status
	switch {
	case s.Status == "exited" || s.Status == "dead":
		out += " with code " + strconv.Itoa(s.ExitCode)
		if s.OOMKilled {
			out += " (out of memory)"
		}
		if s.Error != "" {
			out += ": " + s.Error
		}
	case s.Health != "":
		out += " (" + s.Health + ")"
	}
	return out
}

// Start starts a created or stopped container.
func (c *Client) Start(ctx context.Context, id string) error {
	return engineError("starting container "+id, c.api.ContainerStart(ctx, id, container.StartOptions{}))
}

// Stop sends the container's stop signal (the service's stop_signal, SIGTERM
// by default) and kills it if it is still running after grace. A zero grace
// uses the container's own stop_grace_period (10s when unset), as compose does.
func (c *Client) Stop(ctx context.Context, id string, grace time.Duration) error {
	opts := container.StopOptions{}
	if grace > 0 {
		secs := int(math.Ceil(grace.Seconds()))
		opts.Timeout = &secs
	}
	return engineError("stopping container "+id, c.api.ContainerStop(ctx, id, opts))
}

// Remove removes a container, killing it if it runs, with its anonymous
// volumes (named volumes stay). A container that is already gone is not an
// error, so that an interrupted run can simply be repeated.
func (c *Client) Remove(ctx context.Context, id string) error {
	err := engineError("removing container "+id,
		c.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}))
	if isNotFound(err) {
		return nil
	}
	return err
}

// State returns a container's current run state.
func (c *Client) State(ctx context.Context, id string) (State, error) {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return State{}, engineError("inspecting container "+id, err)
	}
	st := info.State
	if st == nil {
		return State{}, fmt.Errorf("inspecting container %s: the engine returned no state", id)
	}
	out := State{
		Status:    string(st.Status),
		Running:   st.Running,
		ExitCode:  st.ExitCode,
		OOMKilled: st.OOMKilled,
		Error:     st.Error,
	}
	if st.Health != nil {
		out.Health = string(st.Health.Status)
	}
	return out, nil
}

// WaitHealthy waits until the container runs and, if it has a healthcheck,
// reports healthy. It fails with ErrExited or ErrUnhealthy; ctx bounds the wait.
func (c *Client) WaitHealthy(ctx context.Context, id string) (State, error) {
	return c.wait(ctx, id, func(s State) bool { return s.Running && (s.Health == "" || s.Health == "healthy") })
}

func (c *Client) wait(ctx context.Context, id string, done func(State) bool) (State, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		s, err := c.State(ctx, id)
		if err != nil {
			return s, err
		}
		switch {
		case done(s):
			return s, nil
		case s.Status == "exited" || s.Status == "dead":
			return s, &tagged{msg: fmt.Sprintf("container %s %s", id, s), sentinel: ErrExited}
		case s.Health == "unhealthy":
			return s, &tagged{msg: fmt.Sprintf("container %s is unhealthy", id), sentinel: ErrUnhealthy}
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("waiting for container %s (now %s): %w", id, s, ctx.Err())
		case <-ticker.C:
		}
	}
}

// Logs returns the last tail lines of the container's output, stdout and
// stderr interleaved as written; tail <= 0 returns everything.
func (c *Client) Logs(ctx context.Context, id string, tail int) (string, error) {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return "", engineError("inspecting container "+id, err)
	}
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "all"}
	if tail > 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	rc, err := c.api.ContainerLogs(ctx, id, opts)
	if err != nil {
		return "", engineError("reading the logs of container "+id, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if info.Config != nil && info.Config.Tty {
		_, err = io.Copy(&buf, rc) // a TTY has one raw stream, nothing to split
	} else {
		_, err = stdcopy.StdCopy(&buf, &buf, rc)
	}
	if err != nil {
		return buf.String(), fmt.Errorf("reading the logs of container %s: %w", id, err)
	}
	return buf.String(), nil
}

// Lines splits logs into lines, without the last newline; no output is no line.
func Lines(logs string) []string {
	logs = strings.TrimRight(logs, "\n")
	if logs == "" {
		return nil
	}
	return strings.Split(logs, "\n")
}
