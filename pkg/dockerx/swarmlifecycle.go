package dockerx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/rollcd/roll/pkg/project"
)

// stopMargin is how long past a task's stop grace period roll waits for Swarm
// to report the task stopped, and for its container to be gone.
const stopMargin = 30 * time.Second

// CreateService creates (with no replica: StartService runs its task) the
// Swarm service of one container of a compose service, from swarmSpec. A key
// Swarm cannot honour is an ErrUnsupported naming it. The image is not
// checked here: Swarm pulls it, or takes it from the node, when the task
// starts, and a task whose image is nowhere is rejected.
func (c *Client) CreateService(ctx context.Context, p *project.Project, service string, opts CreateOptions) (Service, error) {
	svc, err := p.Service(service)
	if err != nil {
		return Service{}, err
	}
	number := opts.Number
	if number == 0 {
		existing, err := c.ListServices(ctx, p.Name, service)
		if err != nil {
			return Service{}, err
		}
		for _, s := range existing {
			number = max(number, s.Number)
		}
		number++
	}
	spec, err := swarmSpec(p, svc, imageName(p, svc, opts.Image), number, c.api.ClientVersion())
	if err != nil {
		return Service{}, err
	}
	// The registry is not asked for a digest: images built on this machine are on no registry.
	resp, err := c.api.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{})
	if err != nil {
		if errdefs.IsConflict(err) {
			return Service{}, &tagged{msg: "creating Swarm service " + spec.Name + ": the name is taken", sentinel: ErrConflict, cause: err}
		}
		return Service{}, engineError("creating Swarm service "+spec.Name, err)
	}
	slog.Debug("swarm service created", "name", spec.Name, "id", shortID(resp.ID), "image", spec.TaskTemplate.ContainerSpec.Image)
	return c.InspectService(ctx, resp.ID)
}

// ScaleService sets the number of tasks a service runs (0 or 1 for roll's).
func (c *Client) ScaleService(ctx context.Context, id string, replicas uint64) error {
	// A service's version moves when Swarm itself updates it; retry on a stale one.
	for attempt := 0; ; attempt++ {
		s, _, err := c.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
		if err != nil {
			return engineError("inspecting Swarm service "+id, err)
		}
		if s.Spec.Mode.Replicated == nil {
			return fmt.Errorf("scaling Swarm service %s: it is not a replicated service", s.Spec.Name)
		}
		s.Spec.Mode.Replicated.Replicas = &replicas
		_, err = c.api.ServiceUpdate(ctx, s.ID, s.Version, s.Spec, swarm.ServiceUpdateOptions{})
		if err == nil {
			return nil
		}
		if attempt >= 3 || !strings.Contains(err.Error(), "out of sequence") {
			return engineError(fmt.Sprintf("scaling Swarm service %s to %d", s.Spec.Name, replicas), err)
		}
	}
}

// WaitServiceRunning waits until the service's task runs and, when its
// container has a healthcheck and runs on this node, is healthy. It fails at
// once with ErrExited when a task of the service failed or was rejected
// (Swarm's reason included), and with ErrUnhealthy when the container is
// unhealthy; ctx bounds the wait.
func (c *Client) WaitServiceRunning(ctx context.Context, id string) (Service, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		s, err := c.InspectService(ctx, id)
		if err != nil {
			return s, err
		}
		cur := s.Current()
		switch {
		case s.LastFailure() != nil:
			return s, &tagged{msg: fmt.Sprintf("Swarm service %s: its task %s", s.Name, s.LastFailure()), sentinel: ErrExited}
		case cur != nil && cur.State == string(swarm.TaskStateRunning) && (cur.Health == "" || cur.Health == "healthy"):
			return s, nil
		case cur != nil && cur.Health == "unhealthy":
			return s, &tagged{msg: fmt.Sprintf("Swarm service %s: its task is unhealthy", s.Name), sentinel: ErrUnhealthy}
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("waiting for Swarm service %s to run: %w", s, ctx.Err())
		case <-ticker.C:
		}
	}
}

// StopService scales the service to no task, so Swarm stops its containers
// with the stop signal and grace period, and waits until no task of it is
// left running (the grace period and a margin at most). A service already
// scaled to none is only waited for.
func (c *Client) StopService(ctx context.Context, id string) error {
	s, err := c.InspectService(ctx, id)
	if err != nil {
		return err
	}
	if s.Replicas > 0 {
		if err := c.ScaleService(ctx, id, 0); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.StopGrace+stopMargin)
	defer cancel()
	return c.waitNoTask(ctx, s)
}

// RemoveService removes a service and its task, and removes at once the containers its
// tasks left on this node (the running one killed, as Remove kills a plain container; the
// stopped ones of its history), which Swarm would remove in its own time, so that the
// project's networks and volumes can be removed next. A service that is already gone is
// not an error.
func (c *Client) RemoveService(ctx context.Context, id string) error {
	s, err := c.InspectService(ctx, id)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.api.ServiceRemove(ctx, s.ID); err != nil && !errdefs.IsNotFound(err) {
		return engineError("removing Swarm service "+s.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.StopGrace+stopMargin)
	defer cancel()
	args := filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.id="+s.ID))
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		left, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
		if err == nil && len(left) == 0 {
			return nil
		}
		for _, ctr := range left {
			_ = c.api.ContainerRemove(ctx, ctr.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("removing Swarm service %s: its containers on this node are still there: %w", s.Name, ctx.Err())
		case <-ticker.C:
		}
	}
}

// waitNoTask polls the service until none of its tasks is live.
func (c *Client) waitNoTask(ctx context.Context, s Service) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		cur, err := c.InspectService(ctx, s.ID)
		if err != nil {
			return err
		}
		running := 0
		for _, t := range cur.Tasks {
			if t.Live() {
				running++
			}
		}
		if running == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopping Swarm service %s: %d task(s) still running after %s: %w", s.Name, running, s.StopGrace+stopMargin, ctx.Err())
		case <-ticker.C:
		}
	}
}

// ServiceLogs returns the last tail lines of the output of the service's
// tasks, wherever they run; tail <= 0 returns everything.
func (c *Client) ServiceLogs(ctx context.Context, id string, tail int) (string, error) {
	s, _, err := c.api.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil {
		return "", engineError("inspecting Swarm service "+id, err)
	}
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "all"}
	if tail > 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	rc, err := c.api.ServiceLogs(ctx, s.ID, opts)
	if err != nil {
		return "", engineError("reading the logs of Swarm service "+s.Spec.Name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if cs := s.Spec.TaskTemplate.ContainerSpec; cs != nil && cs.TTY {
		_, err = io.Copy(&buf, rc) // a TTY has one raw stream, nothing to split
	} else {
		_, err = stdcopy.StdCopy(&buf, &buf, rc)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return buf.String(), fmt.Errorf("reading the logs of Swarm service %s: %w", s.Spec.Name, err)
	}
	return buf.String(), nil
}
