package dockerx

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCreateForServiceAsCompose(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "create", `
services:
  app:
    image: IMAGE
    labels:
      <<: *tl
      team: web
    environment:
      APP_MESSAGE: hello from ${ROLL_TEST_UNSET_VARIABLE:-compose}
      PROBE_WRITE: /data/hello:shared through the volume
    healthcheck:
      test: ["CMD", "/probe", "health"]
      interval: 500ms
      timeout: 2s
      retries: 20
    volumes:
      - data:/data
      - ./conf:/conf:ro
      - type: tmpfs
        target: /scratch
    networks:
      front:
        aliases: [shop-app]
  client:
    image: IMAGE
    labels: *tl
    command: ["get", "http://shop-app:8080/"]
    networks: [front]
  lookup:
    image: IMAGE
    labels: *tl
    command: ["lookup", "app"]
    networks: [front]
  reader:
    image: IMAGE
    labels: *tl
    command: ["cat", "/data/hello"]
    volumes: [data:/data]
    network_mode: none
networks:
  front:
    labels: *tl
volumes:
  data:
    labels: *tl
`, map[string]string{"conf/app.properties": "x=1\n"})
	ctx := testContext(t)

	app := run(t, c, p, "app")
	st, err := c.WaitHealthy(ctx, app.ID)
	if err != nil {
		logs, _ := c.Logs(ctx, app.ID, 20)
		t.Fatalf("app never became healthy: %v\n%s", err, logs)
	}
	if st.Health != "healthy" {
		t.Errorf("health = %q", st.Health)
	}

	listed, err := c.List(ctx, p.Name, "app")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Fatalf("List found %d containers, want 1", len(listed))
	}
	got := listed[0]
	wantName := p.Name + "-app-1"
	if got.ID != app.ID || got.Name != wantName || got.Number != 1 || got.Service != "app" || got.Project != p.Name {
		t.Errorf("listed %+v, want %s number 1", got, wantName)
	}
	if !got.Running() || got.Health != "healthy" || got.Image != testImage || got.Created.IsZero() {
		t.Errorf("state %q health %q image %q created %v", got.State, got.Health, got.Image, got.Created)
	}
	// The labels docker compose ps, logs and down select and show.
	for key, want := range map[string]string{
		LabelProject: p.Name, LabelService: "app", LabelNumber: "1", LabelOneoff: "False",
		LabelWorkingDir: p.WorkingDir, LabelConfigFiles: strings.Join(p.ComposeFiles, ","), LabelVersion: composeVersion,
		"team": "web", labelTestRun: runID,
	} {
		if got.Labels[key] != want {
			t.Errorf("label %s = %q, want %q", key, got.Labels[key], want)
		}
	}
	if len(got.Labels[LabelConfigHash]) != 64 || !strings.HasPrefix(got.Labels[LabelImage], "sha256:") {
		t.Errorf("config hash %q, image %q", got.Labels[LabelConfigHash], got.Labels[LabelImage])
	}
	front, ok := got.Networks[p.Name+"_front"]
	if !ok || front.IP == "" || !slices.Contains(front.Aliases, "app") || !slices.Contains(front.Aliases, "shop-app") {
		t.Errorf("network %s_front = %+v (present %t), want an IP and the aliases app and shop-app", p.Name, front, ok)
	}

	// From other containers: the extra alias answers with the environment,
	// the service name resolves to app's address, the named volume is shared.
	logs, code := runToExit(t, c, p, "client")
	if code != 0 || !strings.Contains(logs, "hello from compose") {
		t.Errorf("client exited %d with %q, want app's APP_MESSAGE through the alias shop-app", code, logs)
	}
	logs, code = runToExit(t, c, p, "lookup")
	if code != 0 || !strings.Contains(logs, front.IP) {
		t.Errorf("lookup of app exited %d with %q, want %s", code, logs, front.IP)
	}
	logs, code = runToExit(t, c, p, "reader")
	if code != 0 || !strings.Contains(logs, "shared through the volume") {
		t.Errorf("reader exited %d with %q, want the file app wrote on the named volume", code, logs)
	}

	// A second container of the service takes the next free number.
	second, err := c.CreateForService(ctx, p, "app", CreateOptions{Image: testImage})
	if err != nil {
		t.Fatal(err)
	}
	if second.Name != p.Name+"-app-2" || second.Number != 2 {
		t.Errorf("second container %s number %d, want %s-app-2", second.Name, second.Number, p.Name)
	}
	if second.Labels[LabelConfigHash] != got.Labels[LabelConfigHash] {
		t.Error("two containers of one unchanged service should share its config hash")
	}
}

func TestCreateRefusesUnsupportedKeysBeforeTouchingAnything(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "unsupported", `
services:
  db:
    image: IMAGE
    labels: *tl
  app:
    image: IMAGE
    labels: *tl
    volumes_from: [db]
    secrets: [pw]
secrets:
  pw:
    file: ./pw.txt
`, map[string]string{"pw.txt": "s3cret"})
	ctx := testContext(t)
	_, err := c.CreateForService(ctx, p, "app", CreateOptions{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "volumes_from") || !strings.Contains(err.Error(), "secrets") {
		t.Fatalf("err = %v, want ErrUnsupported naming volumes_from and secrets", err)
	}
	if ctrs, _ := c.List(ctx, p.Name, ""); len(ctrs) != 0 {
		t.Errorf("%d containers exist after a refused create", len(ctrs))
	}
}

func TestCreateNeedsTheImageOnTheEngine(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "noimage", "services:\n  app:\n    image: roll-dockerx-test-missing:RUNID\n    labels: *tl\n", nil)
	_, err := c.CreateForService(testContext(t), p, "app", CreateOptions{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "docker pull") {
		t.Errorf("err = %v, want ErrNotFound saying how to get the image", err)
	}
}

func TestCreateUnknownService(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "nosvc", "services:\n  app:\n    image: IMAGE\n    labels: *tl\n", nil)
	_, err := c.CreateForService(testContext(t), p, "web", CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), `no service "web"`) {
		t.Errorf("err = %v, want the project's ErrNoSuchService", err)
	}
}
