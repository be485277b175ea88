package dockerx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
)

func TestBuildImageHonoursDockerignore(t *testing.T) {
	c := requireDocker(t)
	ctx := testContext(t)
	dir := t.TempDir()
	contextDir := filepath.Join(dir, "context")
	for name, content := range map[string]string{
		"kept.txt":          "kept",
		"secret.txt":        "secret",
		"logs/app.log":      "app log",
		"logs/keep.log":     "kept log",
		".dockerignore":     "secret.txt\nlogs\n!logs/keep.log\n",
		"../Dockerfile.out": "FROM " + testImage + "\nCOPY . /ctx/\n",
	} {
		path := filepath.Join(contextDir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tag := "roll-dockerx-test-ctx:" + runID
	var out strings.Builder
	// The Dockerfile lies outside the context, as compose allows.
	id, err := c.BuildImage(ctx, BuildSpec{ContextDir: contextDir, Dockerfile: filepath.Join(dir, "Dockerfile.out"), Tag: tag, Labels: testLabels(), Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.api.ImageRemove(context.Background(), id, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	if !strings.HasPrefix(id, "sha256:") || !strings.Contains(out.String(), "COPY . /ctx/") {
		t.Errorf("id %q, output %q", id, out.String())
	}
	p := testProject(t, c, "build", `
x-ctx: &ctx {image: roll-dockerx-test-ctx:RUNID, labels: *tl, network_mode: none}
services:
  kept: {<<: *ctx, command: [cat, /ctx/kept.txt]}
  secret: {<<: *ctx, command: [cat, /ctx/secret.txt]}
  keeplog: {<<: *ctx, command: [cat, /ctx/logs/keep.log]}
  applog: {<<: *ctx, command: [cat, /ctx/logs/app.log]}
`, nil)
	for service, wantPresent := range map[string]bool{"kept": true, "secret": false, "keeplog": true, "applog": false} {
		logs, code := runToExit(t, c, p, service)
		if (code == 0) != wantPresent {
			t.Errorf("%s: exit %d, %q; want the file present=%t after .dockerignore", service, code, logs, wantPresent)
		}
	}
}

func TestBuildImageFailureShowsTheBuilderOutput(t *testing.T) {
	c := requireDocker(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY missing.txt /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := c.BuildImage(testContext(t), BuildSpec{ContextDir: dir, Tag: "roll-dockerx-test-fail:" + runID, Labels: testLabels()})
	if !errors.Is(err, ErrBuild) || !strings.Contains(err.Error(), "missing.txt") || !strings.Contains(err.Error(), "last output") {
		t.Errorf("err = %v, want ErrBuild with the builder's reason and output", err)
	}
}

func TestBuildImageMissingDockerfile(t *testing.T) {
	dir := t.TempDir()
	_, _, err := contextTar(dir, "Dockerfile.prod")
	if err == nil || !strings.Contains(err.Error(), "Dockerfile.prod") {
		t.Errorf("err = %v, want it to name the missing Dockerfile", err)
	}
}

func TestServiceBuild(t *testing.T) {
	p := loadProject(t, "shop", `
services:
  app:
    build:
      context: ./app
      dockerfile: Dockerfile.prod
      args: {VERSION: "1.2"}
      target: runtime
      labels: {team: web}
  tagged:
    image: registry.local/tagged:7
    build: ./tagged
  ssh:
    build: {context: ., ssh: [default]}
  plain:
    image: tomcat
`)
	spec, err := ServiceBuild(p, "app")
	if err != nil {
		t.Fatal(err)
	}
	if spec.ContextDir != filepath.Join(p.WorkingDir, "app") || spec.Dockerfile != "Dockerfile.prod" || spec.Tag != "shop-app" ||
		*spec.Args["VERSION"] != "1.2" || spec.Target != "runtime" || spec.Labels["team"] != "web" {
		t.Errorf("spec = %+v", spec)
	}
	if spec, err := ServiceBuild(p, "tagged"); err != nil || spec.Tag != "registry.local/tagged:7" {
		t.Errorf("tagged: %+v, %v; want the service's image as tag", spec, err)
	}
	if _, err := ServiceBuild(p, "ssh"); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "build.ssh") {
		t.Errorf("ssh: %v, want ErrUnsupported naming build.ssh", err)
	}
	if _, err := ServiceBuild(p, "plain"); !errors.Is(err, ErrNotFound) {
		t.Errorf("plain: %v, want ErrNotFound: no build section", err)
	}
}
