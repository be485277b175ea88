package project

import (
	"context"
	"path/filepath"
	"slices"
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

// examples/tomcat/compose.sessions-jdbc.yaml is the same recipe with the sessions in PostgreSQL:
// a db service that is not rolled, with a healthcheck the app waits for, and the app's
// SESSION_DB_* naming the role and database the db image creates.
func TestSessionsJDBCExampleLoads(t *testing.T) {
	t.Setenv("ROLL_ADMIN_TOKEN", "t")
	t.Setenv("AJP_SECRET", "s")
	t.Setenv("SESSION_DB_PASSWORD", "pw")
	p := loadRepoFile(t, "examples/tomcat/compose.sessions-jdbc.yaml")
	app, ok := p.Rolled("app")
	if !ok || app.Drain.Mode != DrainHandoff || app.Drain.Check != "/session-store.jsp" {
		t.Fatalf("app settings: %+v", app)
	}
	if _, rolled := p.Rolled("db"); rolled {
		t.Error("the database is rolled; it must only be started")
	}
	order, err := p.StartOrder()
	if err != nil || slices.Index(order, "db") > slices.Index(order, "app") {
		t.Errorf("start order %v, %v; want db before app", order, err)
	}
	svc, err := p.Service("app")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"SESSION_STORE": "jdbc", "SESSION_DB_URL": "jdbc:postgresql://db/sessions",
		"SESSION_DB_USER": "tomcat", "SESSION_DB_PASSWORD": "pw"} {
		if v := svc.Environment[k]; v == nil || *v != want {
			t.Errorf("app %s = %v, want %s", k, v, want)
		}
	}
	db, err := p.Service("db")
	if err != nil {
		t.Fatal(err)
	}
	if v := db.Environment["POSTGRES_PASSWORD"]; v == nil || *v != "pw" || db.HealthCheck == nil {
		t.Errorf("db: POSTGRES_PASSWORD %v, healthcheck %+v; want the app's password and a healthcheck", v, db.HealthCheck)
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
