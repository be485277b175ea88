package project

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// composeEnv are the variables docker compose reads from the environment;
// tests clear them so that the developer's shell cannot change the outcome.
var composeEnv = []string{
	"COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "COMPOSE_PATH_SEPARATOR",
	"COMPOSE_DISABLE_ENV_FILE", "TAG", "APP_IMAGE", "WEIGHT",
}

// clearComposeEnv unsets composeEnv for the test and restores it afterwards.
func clearComposeEnv(t *testing.T) {
	t.Helper()
	for _, k := range composeEnv {
		t.Setenv(k, "") // registers the restore
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadDir writes files into a fresh project directory named "proj" and loads
// it with opts (ProjectDir defaults to that directory).
func loadDir(t *testing.T, files map[string]string, opts Options) (*Project, string, error) {
	t.Helper()
	clearComposeEnv(t)
	dir := filepath.Join(t.TempDir(), "proj")
	writeFiles(t, dir, files)
	if opts.ProjectDir == "" && len(opts.Files) == 0 {
		opts.ProjectDir = dir
	}
	for i, f := range opts.Files {
		if !filepath.IsAbs(f) {
			opts.Files[i] = filepath.Join(dir, f)
		}
	}
	p, err := Load(context.Background(), opts)
	return p, dir, err
}

// mustLoad is loadDir that fails the test on error.
func mustLoad(t *testing.T, files map[string]string, opts Options) *Project {
	t.Helper()
	p, _, err := loadDir(t, files, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

// validProject is a small project that passes every check: a gateway and one
// rolled Tomcat service. Tests append to it or replace parts of it.
const validProject = `
services:
  gateway:
    image: roll:dev
    ports: ["127.0.0.1:9901:9901", "8000:8080"]
    environment:
      ROLL_ADMIN_TOKEN: admin-token
  app:
    image: tomcat:10.1
    environment:
      AJP_SECRET: ajp-secret
    x-roll:
      ajp_secret_env: AJP_SECRET
x-roll:
  gateway: gateway
`
