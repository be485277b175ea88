package project

import (
	"errors"
	"testing"
)

func TestKeyErrorNamesTheFileAndLineThatSetTheKey(t *testing.T) {
	p, _, err := loadDir(t, map[string]string{
		"compose.yaml":          "services:\n  app:\n    image: app\n    build: .\n",
		"compose.override.yaml": "services:\n  app:\n    build:\n      context: .\n      ssh: [default]\n",
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := p.KeyError("is not supported", "services", "app", "build", "ssh")
	if e.File != "compose.override.yaml" || e.Line != 5 || e.Key != "services.app.build.ssh" {
		t.Errorf("got %s (file %q line %d key %q), want compose.override.yaml:5 and the full key", e, e.File, e.Line, e.Key)
	}
	if !errors.Is(e, ErrInvalidProject) {
		t.Errorf("%v should be ErrInvalidProject: the compose file must change", e)
	}
}
