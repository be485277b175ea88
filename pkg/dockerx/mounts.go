package dockerx

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/mount"
	"github.com/rollcd/roll/pkg/project"
)

// volumes maps the service's volumes. Bind mounts that may create their host
// path (compose's default) go through Binds, the only form for which the
// engine creates a missing source; everything else is a Mount.
func volumes(p *project.Project, svc project.ServiceConfig) ([]string, []mount.Mount, error) {
	var binds []string
	mounts, err := eachMount(p, svc, func(key string, v project.ServiceVolumeConfig) (*mount.Mount, error) {
		b, m, err := bindMount(svc.Name, key, v)
		if err != nil || b == "" {
			return &m, err
		}
		binds = append(binds, b)
		return nil, nil
	})
	return binds, mounts, err
}

// eachMount maps the service's volumes to mounts, named and anonymous volumes
// and tmpfs mounts alike on every engine; bind maps a bind mount, returning
// nil when it takes another form.
func eachMount(p *project.Project, svc project.ServiceConfig,
	bind func(key string, v project.ServiceVolumeConfig) (*mount.Mount, error)) ([]mount.Mount, error) {
	var mounts []mount.Mount
	var errs []error
	for i, v := range svc.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		switch v.Type {
		case "bind":
			m, err := bind(key, v)
			switch {
			case err != nil:
				errs = append(errs, err)
			case m != nil:
				mounts = append(mounts, *m)
			}
		case "volume":
			m, err := volumeMount(p, svc.Name, key, v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			mounts = append(mounts, m)
		case "tmpfs":
			m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Tmpfs != nil {
				m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
			}
			mounts = append(mounts, m)
		default:
			errs = append(errs, unsupported(svc.Name, key+".type",
				fmt.Sprintf("%q volumes are not supported; use bind, volume or tmpfs", v.Type)))
		}
	}
	return mounts, errors.Join(errs...)
}

func bindMount(service, key string, v project.ServiceVolumeConfig) (string, mount.Mount, error) {
	create := v.Bind == nil || bool(v.Bind.CreateHostPath)
	var propagation, selinux string
	if v.Bind != nil {
		propagation, selinux = v.Bind.Propagation, v.Bind.SELinux
		if r := v.Bind.Recursive; r != "" && r != "enabled" {
			return "", mount.Mount{}, unsupported(service, key+".bind.recursive", fmt.Sprintf("%q needs a newer Engine API than roll targets", r))
		}
	}
	if create {
		opts := []string{}
		if v.ReadOnly {
			opts = append(opts, "ro")
		}
		if propagation != "" {
			opts = append(opts, propagation)
		}
		if selinux != "" {
			opts = append(opts, selinux)
		}
		b := v.Source + ":" + v.Target
		if len(opts) > 0 {
			b += ":" + strings.Join(opts, ",")
		}
		return b, mount.Mount{}, nil
	}
	if selinux != "" {
		return "", mount.Mount{}, unsupported(service, key+".bind.selinux", "the engine relabels only binds that may create their host path; drop create_host_path: false")
	}
	m := mount.Mount{Type: mount.TypeBind, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly,
		Consistency: mount.Consistency(v.Consistency)}
	if propagation != "" {
		m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(propagation)}
	}
	return "", m, nil
}

// volumeMount maps a named or anonymous volume. A named volume is the
// project's top-level one, under its engine-side name.
func volumeMount(p *project.Project, service, key string, v project.ServiceVolumeConfig) (mount.Mount, error) {
	m := mount.Mount{Type: mount.TypeVolume, Target: v.Target, ReadOnly: v.ReadOnly}
	if v.Source != "" {
		vol, ok := p.Volumes()[v.Source]
		if !ok {
			return m, unsupported(service, key+".source", fmt.Sprintf("volume %q is not declared under the top-level volumes", v.Source))
		}
		m.Source = vol.Name
	}
	if v.Volume != nil {
		if v.Volume.Subpath != "" {
			return m, unsupported(service, key+".volume.subpath", "it needs Engine API 1.45")
		}
		if v.Volume.NoCopy || len(v.Volume.Labels) > 0 {
			m.VolumeOptions = &mount.VolumeOptions{NoCopy: v.Volume.NoCopy, Labels: maps.Clone(map[string]string(v.Volume.Labels))}
		}
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
