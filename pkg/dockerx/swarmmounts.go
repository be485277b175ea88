package dockerx

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/mount"
	"github.com/rollcd/roll/pkg/project"
)

// swarmMounts maps the service's volumes and tmpfs to mounts. Every bind mount
// is a mount: a Swarm node never creates a missing host path, so the source
// must exist on whichever node runs the task.
func swarmMounts(p *project.Project, svc project.ServiceConfig) ([]mount.Mount, error) {
	var errs []error
	mounts, err := eachMount(p, svc, func(key string, v project.ServiceVolumeConfig) (*mount.Mount, error) {
		m := mount.Mount{Type: mount.TypeBind, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly,
			Consistency: mount.Consistency(v.Consistency)}
		if v.Bind == nil {
			return &m, nil
		}
		if v.Bind.SELinux != "" {
			return nil, swarmRefusal(p, svc.Name, key+".bind.selinux", "a Swarm service does not relabel bind mounts for SELinux")
		}
		if r := v.Bind.Recursive; r != "" && r != "enabled" {
			return nil, swarmRefusal(p, svc.Name, key+".bind.recursive", fmt.Sprintf("%q needs a newer Engine API than roll targets", r))
		}
		if v.Bind.Propagation != "" {
			m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation)}
		}
		return &m, nil
	})
	errs = append(errs, err)
	for i, entry := range svc.Tmpfs {
		m, err := tmpfsMount(entry)
		if err != nil {
			errs = append(errs, swarmRefusal(p, svc.Name, fmt.Sprintf("tmpfs[%d]", i), err.Error()))
			continue
		}
		mounts = append(mounts, m)
	}
	return mounts, errors.Join(errs...)
}

// tmpfsMount turns a service-level tmpfs entry ("/run:size=64m,mode=1777")
// into a mount: a Swarm service takes a tmpfs as a mount with a size and a
// mode, and no other option (Engine API 1.41).
func tmpfsMount(entry string) (mount.Mount, error) {
	path, opts, _ := strings.Cut(entry, ":")
	m := mount.Mount{Type: mount.TypeTmpfs, Target: path}
	if opts == "" {
		return m, nil
	}
	m.TmpfsOptions = &mount.TmpfsOptions{}
	for _, opt := range strings.Split(opts, ",") {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "size":
			n, err := byteSize(value)
			if err != nil {
				return m, fmt.Errorf("%q: %w", entry, err)
			}
			m.TmpfsOptions.SizeBytes = n
		case "mode":
			mode, err := strconv.ParseUint(value, 8, 32)
			if err != nil {
				return m, fmt.Errorf("%q: mode %q is not an octal file mode", entry, value)
			}
			m.TmpfsOptions.Mode = os.FileMode(mode)
		default:
			return m, fmt.Errorf("%q: a Swarm tmpfs takes only size and mode, not %q", entry, opt)
		}
	}
	return m, nil
}

// byteSize reads a size as docker writes it: a number of bytes with an
// optional k, m or g suffix (powers of 1024, an added b allowed).
func byteSize(s string) (int64, error) {
	num := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "b")
	shift := 0
	switch {
	case strings.HasSuffix(num, "k"):
		shift = 10
	case strings.HasSuffix(num, "m"):
		shift = 20
	case strings.HasSuffix(num, "g"):
		shift = 30
	}
	if shift > 0 {
		num = num[:len(num)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("size %q is not a number of bytes such as 65536, 512k or 64m", s)
	}
	return n << shift, nil
}
