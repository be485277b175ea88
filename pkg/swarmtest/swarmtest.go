// Package swarmtest gives the tests that need Docker Swarm a single-node swarm on the test
// engine: it joins the swarm the engine is in, or creates one (`docker swarm init
// --advertise-addr 127.0.0.1`) when the engine is in none, and leaves at the end only a swarm
// that the tests created, once no other test binary on this machine still uses it. A swarm
// that was there before is never touched: the tests run inside it and remove only their own
// services, networks and volumes.
//
// Test binaries of several packages run at the same time (go test ./...), so the swarm is
// shared through lock files: each binary holds one shared while it uses the swarm, and the
// one that finds nobody else holding it at the end leaves the swarm; joining and leaving take
// turns through another. A marker file remembers
// that the tests created the swarm (with its node id), so a run that was killed before it
// could leave is cleaned up by the next one.
package swarmtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Lease is one test binary's use of the swarm.
type Lease struct {
	use *os.File
	// Created says whether the tests created the swarm (now or in an earlier run that did
	// not leave it).
	Created bool
}

var (
	// gatePath serialises joining and leaving; usePath is held shared by every binary
	// that uses the swarm.
	gatePath   = filepath.Join(os.TempDir(), "roll-swarmtest.gate")
	usePath    = filepath.Join(os.TempDir(), "roll-swarmtest.use")
	markerPath = filepath.Join(os.TempDir(), "roll-swarmtest.node")
)

// Join makes the engine of the docker CLI (DOCKER_HOST or the current context) an active
// swarm manager until Release: the swarm it is in, or a single-node one it creates.
func Join() (*Lease, error) {
	gate, err := lockFile(gatePath, lockExclusive)
	if err != nil {
		return nil, err
	}
	defer closeLock(gate)
	use, err := lockFile(usePath, lockShared)
	if err != nil {
		return nil, err
	}
	l := &Lease{use: use}
	state, manager, node, err := info()
	switch {
	case err != nil:
	case state == "inactive":
		if out, ierr := docker("swarm", "init", "--advertise-addr", "127.0.0.1"); ierr != nil {
			err = fmt.Errorf("docker swarm init: %w: %s", ierr, out)
			break
		}
		if _, _, node, err = info(); err == nil {
			err = os.WriteFile(markerPath, []byte(node), 0o600)
		}
	case state != "active":
		err = fmt.Errorf("the engine's swarm state is %s: the Swarm tests need an active manager or no swarm at all", state)
	case !manager:
		err = errors.New("the engine is a worker of a swarm: the Swarm tests need a manager (or an engine in no swarm)")
	}
	if err != nil {
		closeLock(use)
		return nil, err
	}
	l.Created = node != "" && marker() == node
	return l, nil
}

// Release ends the binary's use of the swarm, and leaves a swarm the tests created when no
// other test binary still uses it.
func (l *Lease) Release() error {
	if l == nil || l.use == nil {
		return nil
	}
	gate, err := lockFile(gatePath, lockExclusive)
	if err != nil {
		return err
	}
	defer closeLock(gate)
	defer closeLock(l.use)
	unlock(l.use)
	if lockExclusive(l.use, false) != nil {
		return nil // another binary still uses the swarm; the last one leaves it
	}
	_, _, node, err := info()
	if err != nil || node == "" || marker() != node {
		return err // not the swarm the tests made: never touched
	}
	if out, err := docker("swarm", "leave", "--force"); err != nil {
		return fmt.Errorf("docker swarm leave --force: %w: %s", err, out)
	}
	return os.Remove(markerPath)
}

// lockFile opens path and locks it with how, waiting for the lock.
func lockFile(path string, how func(*os.File, bool) error) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the swarm lock %s: %w", path, err)
	}
	if err := how(f, true); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

func closeLock(f *os.File) {
	unlock(f)
	f.Close()
}

// info reads the engine's swarm state, whether it is a manager, and its node id.
func info() (state string, manager bool, node string, err error) {
	out, err := docker("info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}")
	if err != nil {
		return "", false, "", fmt.Errorf("docker info: %w: %s", err, out)
	}
	f := strings.Fields(out)
	if len(f) < 2 {
		return "", false, "", fmt.Errorf("docker info: unexpected swarm state %q", out)
	}
	if len(f) > 2 {
		node = f[2]
	}
	return f[0], f[1] == "true", node, nil
}

func marker() string {
	b, _ := os.ReadFile(markerPath)
	return strings.TrimSpace(string(b))
}

func docker(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}
