package dockerx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/rollcd/roll/pkg/project"
)

// EnsureNetworks creates the project's networks that do not exist yet, with
// compose's labels, as `docker compose up` does. External networks must
// exist; a network of the same name that another project (or no project)
// owns is an ErrConflict, never silently shared.
func (c *Client) EnsureNetworks(ctx context.Context, p *project.Project) error {
	return c.ensureNetworks(ctx, p, false)
}

// EnsureSwarmNetworks creates the project's networks that do not exist yet as
// overlay networks of the swarm, attachable so that plain containers (roll's
// exec tunnel, `docker run --network`) can join them too, with compose's
// names and labels. An existing network of the project that is not an
// overlay (left by the project on plain Docker) is an ErrConflict.
func (c *Client) EnsureSwarmNetworks(ctx context.Context, p *project.Project) error {
	return c.ensureNetworks(ctx, p, true)
}

func (c *Client) ensureNetworks(ctx context.Context, p *project.Project, overlay bool) error {
	nets := p.Networks()
	for _, key := range sortedKeys(nets) {
		n := nets[key]
		existing, err := c.api.NetworkInspect(ctx, n.Name, network.InspectOptions{})
		switch {
		case err == nil && existing.Name == n.Name:
			if err := owned(n.Name, "network", bool(n.External), existing.Labels, p.Name, LabelNetwork, key); err != nil {
				return err
			}
			// Swarm fills in an overlay's driver once its allocator has run; its scope is there at once.
			if overlay && existing.Scope != "swarm" {
				return &tagged{msg: fmt.Sprintf("network %s is a %s network, and the project's Swarm services need an overlay network: "+
					"take the project down on plain Docker first (roll down with engine: docker), or remove the network", n.Name, existing.Driver),
					sentinel: ErrConflict}
			}
			continue
		case err != nil && !errdefs.IsNotFound(err):
			return engineError("inspecting network "+n.Name, err)
		case bool(n.External):
			return &tagged{msg: fmt.Sprintf("network %s is external but does not exist: create it (docker network create %s) or drop external: true", n.Name, n.Name), sentinel: ErrNotFound}
		}
		opts := network.CreateOptions{
			Driver:     n.Driver,
			Options:    maps.Clone(map[string]string(n.DriverOpts)),
			Internal:   n.Internal,
			Attachable: n.Attachable,
			EnableIPv6: n.EnableIPv6,
			Labels:     resourceLabels(n.Labels, p.Name, LabelNetwork, key),
		}
		if overlay {
			// CheckSwarm refused any other driver of the project's own networks.
			opts.Driver, opts.Attachable, opts.Scope = "overlay", true, "swarm"
		}
		if n.EnableIPv4 != nil && !*n.EnableIPv4 {
			return unsupported("", "networks."+key+".enable_ipv4", "disabling IPv4 needs Engine API 1.47")
		}
		if ipam := n.Ipam; ipam.Driver != "" || len(ipam.Config) > 0 || len(ipam.Options) > 0 {
			opts.IPAM = &network.IPAM{Driver: ipam.Driver, Options: maps.Clone(map[string]string(ipam.Options))}
			for _, pool := range ipam.Config {
				opts.IPAM.Config = append(opts.IPAM.Config, network.IPAMConfig{
					Subnet: pool.Subnet, Gateway: pool.Gateway, IPRange: pool.IPRange,
					AuxAddress: maps.Clone(map[string]string(pool.AuxiliaryAddresses)),
				})
			}
		}
		if _, err := c.api.NetworkCreate(ctx, n.Name, opts); err != nil {
			return engineError("creating network "+n.Name, err)
		}
		slog.Debug("network created", "name", n.Name, "project", p.Name)
	}
	return nil
}

// EnsureVolumes creates the project's named volumes that do not exist yet,
// with compose's labels. External volumes must exist; a volume of the same
// name that another project owns is an ErrConflict.
func (c *Client) EnsureVolumes(ctx context.Context, p *project.Project) error {
	vols := p.Volumes()
	for _, key := range sortedKeys(vols) {
		v := vols[key]
		existing, err := c.api.VolumeInspect(ctx, v.Name)
		switch {
		case err == nil:
			if err := owned(v.Name, "volume", bool(v.External), existing.Labels, p.Name, LabelVolume, key); err != nil {
				return err
			}
			continue
		case !errdefs.IsNotFound(err):
			return engineError("inspecting volume "+v.Name, err)
		case bool(v.External):
			return &tagged{msg: fmt.Sprintf("volume %s is external but does not exist: create it (docker volume create %s) or drop external: true", v.Name, v.Name), sentinel: ErrNotFound}
		}
		_, err = c.api.VolumeCreate(ctx, volume.CreateOptions{
			Name:       v.Name,
			Driver:     v.Driver,
			DriverOpts: maps.Clone(map[string]string(v.DriverOpts)),
			Labels:     resourceLabels(v.Labels, p.Name, LabelVolume, key),
		})
		if err != nil {
			return engineError("creating volume "+v.Name, err)
		}
		slog.Debug("volume created", "name", v.Name, "project", p.Name)
	}
	return nil
}

// RemoveNetworks removes the project's networks that the project created
// (external ones and those without the project's label stay). Networks that
// are already gone are skipped; containers must be removed first.
func (c *Client) RemoveNetworks(ctx context.Context, p *project.Project) error {
	return c.removeNetworks(ctx, p, 0)
}

// RemoveSwarmNetworks removes the project's overlay networks as
// RemoveNetworks does, retrying for a while one that still has endpoints:
// Swarm takes the tasks of removed services off the network in its own time,
// on every node.
func (c *Client) RemoveSwarmNetworks(ctx context.Context, p *project.Project) error {
	return c.removeNetworks(ctx, p, stopMargin)
}

func (c *Client) removeNetworks(ctx context.Context, p *project.Project, retry time.Duration) error {
	deadline := time.Now().Add(retry)
	var errs []error
	for _, key := range sortedKeys(p.Networks()) {
		n := p.Networks()[key]
		if n.External {
			continue
		}
		existing, err := c.api.NetworkInspect(ctx, n.Name, network.InspectOptions{})
		if err != nil || existing.Name != n.Name || existing.Labels[LabelProject] != p.Name {
			continue
		}
		if err := c.removeNetwork(ctx, existing.ID, n.Name, deadline); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeNetwork removes one network, retrying until deadline while it still has endpoints.
func (c *Client) removeNetwork(ctx context.Context, id, name string, deadline time.Time) error {
	for {
		err := c.api.NetworkRemove(ctx, id)
		switch {
		case err == nil || errdefs.IsNotFound(err):
			return nil
		case time.Now().After(deadline) || !strings.Contains(err.Error(), "active endpoints"):
			return engineError("removing network "+name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("removing network %s: %w", name, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// RemoveVolumes removes the project's named volumes that the project created,
// with their data. Call it only when the person asked for it (down --volumes).
func (c *Client) RemoveVolumes(ctx context.Context, p *project.Project) error {
	var errs []error
	for _, key := range sortedKeys(p.Volumes()) {
		v := p.Volumes()[key]
		if v.External {
			continue
		}
		existing, err := c.api.VolumeInspect(ctx, v.Name)
		if err != nil || existing.Labels[LabelProject] != p.Name {
			continue
		}
		if err := c.api.VolumeRemove(ctx, v.Name, false); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, engineError("removing volume "+v.Name, err))
		}
	}
	return errors.Join(errs...)
}

// owned accepts an existing network or volume when it is external or carries
// the project's compose labels, as compose does, or when `docker stack deploy`
// made it for the stack named like the project, which roll adopts (it shares
// the stack's network and never removes it: it has no compose labels).
func owned(name, kind string, external bool, labels map[string]string, projectName, keyLabel, key string) error {
	if external || labels[LabelStackNamespace] == projectName {
		return nil
	}
	if labels[LabelProject] == projectName && labels[keyLabel] == key {
		return nil
	}
	owner := labels[LabelProject]
	if owner == "" {
		owner = "no compose project"
	}
	return &tagged{
		msg: fmt.Sprintf("%s %s exists but belongs to %s, not to project %s: remove it, or declare it external: true to share it",
			kind, name, owner, projectName),
		sentinel: ErrConflict,
	}
}

// resourceLabels are a network's or volume's own labels plus compose's.
func resourceLabels(own map[string]string, projectName, keyLabel, key string) map[string]string {
	labels := maps.Clone(own)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelProject] = projectName
	labels[keyLabel] = key
	labels[LabelVersion] = composeVersion
	return labels
}
