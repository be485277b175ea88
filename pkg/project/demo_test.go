package project

import (
	"context"
	"path/filepath"
	"testing"
)

// The project in compose/ is what `make demo` and a newcomer start from: it must load, and
// its app must be rolled the way the README says.
func TestDemoProjectLoads(t *testing.T) {
	p := loadRepoFile(t, "compose/compose.yaml")
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

// examples/tomcat/compose.sessions.yaml is the recipe for sessions that outlive the container:
// it must load, its app rolled, with the file store on a named volume.
func TestSessionsExampleLoads(t *testing.T) {
	t.Setenv("ROLL_ADMIN_TOKEN", "t")
	t.Setenv("AJP_SECRET", "s")
	p := loadRepoFile(t, "examples/tomcat/compose.sessions.yaml")
	if app, ok := p.Rolled("app"); !ok || app.Ready.Path != "/health.jsp" {
		t.Fatalf("app settings: %+v", app)
	}
	svc, err := p.Service("app")
	if err != nil {
		t.Fatal(err)
	}
	if v := svc.Environment["SESSION_STORE"]; v == nil || *v != "file" {
		t.Errorf("SESSION_STORE %v, want file", v)
	}
	if len(svc.Volumes) != 1 || svc.Volumes[0].Target != "/sessions" {
		t.Errorf("volumes %+v, want one on /sessions", svc.Volumes)
	}
}

// loadRepoFile loads a compose file of this repository, named from its root, in its own directory.
func loadRepoFile(t *testing.T, name string) *Project {
	t.Helper()
	file, err := filepath.Abs(filepath.Join("../..", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{ProjectDir: filepath.Dir(file), Files: []string{file}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}
