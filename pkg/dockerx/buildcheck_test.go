package dockerx

import (
	"errors"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/rollcd/roll/pkg/project"
)

const buildKeysCompose = `services:
  app:
    image: shop/app
    build:
      context: .
      labels: {team: web}
      ssh: [default]
      secrets: [npmrc]
      additional_contexts: {base: ../base}
secrets:
  npmrc: {file: ./npmrc}
`

func TestCheckBuildNamesTheFileTheServiceAndEveryUnsupportedKey(t *testing.T) {
	p := loadProject(t, "shop", buildKeysCompose)
	svc, err := p.Service("app")
	if err != nil {
		t.Fatal(err)
	}
	err = CheckBuild(p, "app", *svc.Build)
	if !errors.Is(err, ErrUnsupported) || !errors.Is(err, project.ErrInvalidProject) {
		t.Fatalf("err = %v, want ErrUnsupported and ErrInvalidProject: the compose file must change", err)
	}
	for _, want := range []string{
		"compose.yaml:7: services.app.build.ssh: is not supported",
		"compose.yaml:8: services.app.build.secrets: is not supported",
		"compose.yaml:9: services.app.build.additional_contexts: is not supported",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, honoured := range []string{"build.context", "build.labels"} {
		if strings.Contains(err.Error(), honoured) {
			t.Errorf("%s is honoured, yet refused:\n%v", honoured, err)
		}
	}
}

// The deploy path builds through BuildService: it must refuse the keys before
// the engine is asked anything (the zero Client has no engine to ask).
func TestBuildServiceRefusesUnsupportedKeysBeforeBuilding(t *testing.T) {
	p := loadProject(t, "shop", buildKeysCompose)
	_, err := (&Client{}).BuildService(t.Context(), p, "app", "shop/app:42")
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "services.app.build.ssh") {
		t.Errorf("err = %v, want the refusal of build.ssh", err)
	}
}

func TestBuildServiceTagsTheImageAndKeepsItsLabels(t *testing.T) {
	c := requireDocker(t)
	p := testProject(t, c, "buildsvc", `
services:
  app:
    build: {context: ./app, labels: *tl}
`, map[string]string{"app/Dockerfile": "FROM " + testImage + "\n"})
	ctx := testContext(t)
	tag := "roll-dockerx-test-svc:" + runID
	id, err := c.BuildService(ctx, p, "app", tag)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.api.ImageRemove(t.Context(), id, image.RemoveOptions{Force: true}) })
	img, err := c.api.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("the build should be tagged %s: %v", tag, err)
	}
	if img.ID != id || img.Config == nil || img.Config.Labels[labelTestRun] != runID {
		t.Errorf("image %s labels %v, want id %s with the build section's labels", img.ID, img.Config, id)
	}
}
