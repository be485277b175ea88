package project

import (
	"context"
	"path/filepath"
	"testing"
)

// The project in compose/ is what `make demo` and a newcomer start from: it must load, and
// its app must be rolled the way the README says.
func TestDemoProjectLoads(t *testing.T) {
	dir, err := filepath.Abs("../../compose")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{ProjectDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatalf("compose/compose.yaml: %v", err)
	}
	if p.Name != "rolldemo" || p.Settings.Gateway != "gateway" || p.Settings.AdminToken == "" {
		t.Fatalf("project %q, gateway %q, token set %v", p.Name, p.Settings.Gateway, p.Settings.AdminToken != "")
	}
	app, ok := p.Rolled("app")
	if !ok || app.Protocol != ProtocolAJP || app.Port != 8009 || app.AJPSecret == "" || app.Ready.Path != "/health" {
		t.Fatalf("app settings: %+v", app)
	}
	svc, err := p.Service("app")
	if err != nil {
		t.Fatal(err)
	}
	if _, set := svc.Environment["APP_VERSION"]; set {
		t.Error("the demo must not set APP_VERSION: it would hide the version baked into each image")
	}
}
