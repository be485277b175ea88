package dockerx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
	"github.com/rollcd/roll/pkg/project"
)

// What every test that needs the engine shares: one client, one test image
// built once per run, and a run id that labels (and names) everything the
// run creates so that clean-up finds it all.
var (
	testClient *Client
	testImage  string
	runID      string
	noDocker   string // why the engine tests cannot run, when they cannot
)

const (
	labelTest    = "dev.roll.test"
	labelTestRun = "dev.roll.test.run"
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	runID = hex.EncodeToString(id)
	defer func() {
		if fakeSSHBuild.dir != "" {
			os.RemoveAll(fakeSSHBuild.dir)
		}
	}()
	if testing.Short() {
		noDocker = "-short: skipping the tests against the Docker engine"
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := New(ctx)
	if err != nil {
		noDocker = "no Docker engine: " + err.Error()
		return m.Run()
	}
	defer c.Close()
	testClient = c
	testImage, err = buildTestImage(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the dockerx test image:", err)
		return 1
	}
	code := m.Run()
	sweep(c)
	if err := leaveSwarm(); err != nil {
		fmt.Fprintln(os.Stderr, "leaving the test swarm:", err)
		code = 1
	}
	return code
}

// buildTestImage builds a FROM scratch image holding the static probe binary,
// through BuildImage itself.
func buildTestImage(ctx context.Context, c *Client) (string, error) {
	dir, err := os.MkdirTemp("", "dockerx-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	goBin, err := exec.LookPath("go") // go test puts its own toolchain first on PATH
	if err != nil {
		return "", err
	}
	build := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-o", filepath.Join(dir, "probe"), "./testdata/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of the probe: %w\n%s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY probe /probe\nENTRYPOINT [\"/probe\"]\nCMD [\"serve\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	tag := "roll-dockerx-test:" + runID
	_, err = c.BuildImage(ctx, BuildSpec{ContextDir: dir, Tag: tag, Labels: testLabels()})
	return tag, err
}

func testLabels() map[string]string {
	return map[string]string{labelTest: "1", labelTestRun: runID}
}

// sweep removes whatever the run left behind, should a test's own clean-up
// have failed: containers, networks, volumes and images with the run's label.
func sweep(c *Client) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if info, err := c.Swarm(ctx); err == nil && info.Active() {
		byName := filters.NewArgs(filters.Arg("name", "rolltest"+runID))
		if services, err := c.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: byName}); err == nil {
			for _, s := range services {
				_ = c.RemoveService(ctx, s.ID)
			}
		}
	}
	args := filters.NewArgs(filters.Arg("label", labelTestRun+"="+runID))
	if ctrs, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: args}); err == nil {
		for _, ctr := range ctrs {
			_ = c.api.ContainerRemove(ctx, ctr.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	if nets, err := c.api.NetworkList(ctx, network.ListOptions{Filters: args}); err == nil {
		for _, n := range nets {
			_ = c.api.NetworkRemove(ctx, n.ID)
		}
	}
	if vols, err := c.api.VolumeList(ctx, volume.ListOptions{Filters: args}); err == nil {
		for _, v := range vols.Volumes {
			_ = c.api.VolumeRemove(ctx, v.Name, true)
		}
	}
	if imgs, err := c.api.ImageList(ctx, image.ListOptions{Filters: args}); err == nil {
		for _, img := range imgs {
			_, _ = c.api.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	}
}

// requireDocker skips the test without an engine, or fails it under CI,
// where a missing engine is a broken machine, not a reason to pass.
func requireDocker(t *testing.T) *Client {
	t.Helper()
	if noDocker != "" {
		if os.Getenv("CI") == "true" && !testing.Short() {
			t.Fatal(noDocker)
		}
		t.Skip(noDocker)
	}
	return testClient
}

// testProject loads a test project (loadTestProject), creates its networks and
// volumes, and removes everything of the project when the test ends.
func testProject(t *testing.T, c *Client, suffix, compose string, files map[string]string) *project.Project {
	t.Helper()
	p := loadTestProject(t, suffix, compose, files)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ctrs, err := c.List(ctx, p.Name, "")
		if err != nil {
			t.Errorf("cleaning up: %v", err)
		}
		for _, ctr := range ctrs {
			if err := c.Remove(ctx, ctr.ID); err != nil {
				t.Errorf("cleaning up: %v", err)
			}
		}
		if err := c.RemoveNetworks(ctx, p); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
		if err := c.RemoveVolumes(ctx, p); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	ctx := testContext(t)
	if err := c.EnsureNetworks(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureVolumes(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadTestProject writes compose (with RUNID and IMAGE replaced, the test labels
// available as *tl) and files into a fresh directory and loads it as a project
// named after the run and suffix.
func loadTestProject(t *testing.T, suffix, compose string, files map[string]string) *project.Project {
	t.Helper()
	header := fmt.Sprintf("x-test-labels: &tl {%s: \"1\", %s: %q}\n", labelTest, labelTestRun, runID)
	compose = header + strings.NewReplacer("IMAGE", testImage, "RUNID", runID).Replace(compose)
	dir := t.TempDir()
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	name := "rolltest" + runID + "-" + suffix
	p, err := project.Load(context.Background(), project.Options{Files: []string{file}, ProjectName: name, ProjectDir: dir})
	if err != nil {
		t.Fatalf("loading the test project: %v", err)
	}
	return p
}

// testContext bounds one test's engine calls.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// run creates and starts a container for service and waits until it runs.
func run(t *testing.T, c *Client, p *project.Project, service string) Container {
	t.Helper()
	ctx := testContext(t)
	ctr, err := c.CreateForService(ctx, p, service, CreateOptions{})
	if err != nil {
		t.Fatalf("creating %s: %v", service, err)
	}
	if err := c.Start(ctx, ctr.ID); err != nil {
		t.Fatalf("starting %s: %v", service, err)
	}
	if _, err := c.wait(ctx, ctr.ID, func(s State) bool { return s.Running }); err != nil {
		logs, _ := c.Logs(ctx, ctr.ID, 20)
		t.Fatalf("waiting for %s: %v\n%s", service, err, logs)
	}
	return ctr
}

// waitLogs polls a container's logs until they contain want.
func waitLogs(t *testing.T, c *Client, id, want string) string {
	t.Helper()
	ctx := testContext(t)
	for {
		logs, err := c.Logs(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs, want) {
			return logs
		}
		select {
		case <-ctx.Done():
			t.Fatalf("logs of %s never showed %q:\n%s", id, want, logs)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runToExit creates and starts a one-shot container for service and returns
// its logs and exit code once it exits.
func runToExit(t *testing.T, c *Client, p *project.Project, service string) (string, int) {
	t.Helper()
	ctx := testContext(t)
	ctr, err := c.CreateForService(ctx, p, service, CreateOptions{})
	if err != nil {
		t.Fatalf("creating %s: %v", service, err)
	}
	if err := c.Start(ctx, ctr.ID); err != nil {
		t.Fatalf("starting %s: %v", service, err)
	}
	for {
		st, err := c.State(ctx, ctr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status == "exited" {
			logs, err := c.Logs(ctx, ctr.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			return logs, st.ExitCode
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never exited (%s)", service, st)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
