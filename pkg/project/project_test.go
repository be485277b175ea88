package project

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadDotEnvAndInterpolation(t *testing.T) {
	p := mustLoad(t, map[string]string{
		".env": "TAG=10.1.30\nWEIGHT=3\n",
		"compose.yaml": `
services:
  web:
    image: tomcat:${TAG}
    environment:
      MODE: ${MODE:-prod}
`,
	}, Options{})
	web, err := p.Service("web")
	if err != nil {
		t.Fatal(err)
	}
	if web.Image != "tomcat:10.1.30" {
		t.Errorf("image = %q, want the .env TAG interpolated", web.Image)
	}
	if got := web.Environment["MODE"]; got == nil || *got != "prod" {
		t.Errorf("MODE = %v, want the default prod", got)
	}
}

func TestLoadOSEnvironmentBeatsDotEnv(t *testing.T) {
	clearComposeEnv(t)
	dir := filepath.Join(t.TempDir(), "proj")
	writeFiles(t, dir, map[string]string{
		".env":         "TAG=from-dotenv\n",
		"compose.yaml": "services:\n  web:\n    image: tomcat:${TAG}\n",
	})
	t.Setenv("TAG", "from-shell")
	p, err := Load(context.Background(), Options{ProjectDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := p.Service("web")
	if web.Image != "tomcat:from-shell" {
		t.Errorf("image = %q, want the shell's TAG to win over .env like docker compose", web.Image)
	}
}

func TestLoadExplicitEnvFileReplacesDotEnv(t *testing.T) {
	clearComposeEnv(t)
	dir := filepath.Join(t.TempDir(), "proj")
	writeFiles(t, dir, map[string]string{
		".env":         "TAG=from-dotenv\n",
		"ci.env":       "TAG=from-ci\n",
		"compose.yaml": "services:\n  web:\n    image: tomcat:${TAG}\n",
	})
	p, err := Load(context.Background(), Options{ProjectDir: dir, EnvFiles: []string{filepath.Join(dir, "ci.env")}})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := p.Service("web")
	if web.Image != "tomcat:from-ci" {
		t.Errorf("image = %q, want --env-file to replace .env", web.Image)
	}
}

func TestLoadProfiles(t *testing.T) {
	files := map[string]string{"compose.yaml": `
services:
  web:
    image: tomcat
  debug:
    image: busybox
    profiles: [debug]
`}
	tests := []struct {
		name     string
		profiles []string
		envVar   string
		want     []string
	}{
		{name: "no profile", want: []string{"web"}},
		{name: "option", profiles: []string{"debug"}, want: []string{"debug", "web"}},
		{name: "COMPOSE_PROFILES", envVar: "debug", want: []string{"debug", "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearComposeEnv(t)
			dir := t.TempDir()
			writeFiles(t, dir, files)
			if tt.envVar != "" {
				t.Setenv("COMPOSE_PROFILES", tt.envVar)
			}
			p, err := Load(context.Background(), Options{ProjectDir: dir, Profiles: tt.profiles})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.ServiceNames(); !slices.Equal(got, tt.want) {
				t.Errorf("services = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadDisabledServiceSaysWhy(t *testing.T) {
	p := mustLoad(t, map[string]string{"compose.yaml": `
services:
  web: {image: tomcat}
  debug: {image: busybox, profiles: [debug]}
`}, Options{})
	_, err := p.Service("debug")
	if !errors.Is(err, ErrNoSuchService) || !strings.Contains(err.Error(), "debug") || !strings.Contains(err.Error(), "profiles") {
		t.Errorf("err = %v, want ErrNoSuchService naming the inactive profile", err)
	}
}

func TestLoadOverrideFiles(t *testing.T) {
	files := map[string]string{
		"compose.yaml": `
services:
  web:
    image: tomcat:10.1
    environment: {A: base, B: base}
`,
		"prod.yaml": `
services:
  web:
    image: tomcat:10.1.30
    environment: {B: prod}
`,
		"compose.override.yaml": `
services:
  web:
    environment: {A: override}
`,
	}
	env := func(t *testing.T, p *Project, key string) string {
		t.Helper()
		web, err := p.Service("web")
		if err != nil {
			t.Fatal(err)
		}
		if v := web.Environment[key]; v != nil {
			return *v
		}
		return ""
	}

	t.Run("two -f files", func(t *testing.T) {
		p := mustLoad(t, files, Options{Files: []string{"compose.yaml", "prod.yaml"}})
		web, _ := p.Service("web")
		if web.Image != "tomcat:10.1.30" || env(t, p, "A") != "base" || env(t, p, "B") != "prod" {
			t.Errorf("image %q A=%q B=%q, want the second file to override the first key by key", web.Image, env(t, p, "A"), env(t, p, "B"))
		}
		if len(p.ComposeFiles) != 2 || filepath.Base(p.ComposeFiles[1]) != "prod.yaml" {
			t.Errorf("ComposeFiles = %v", p.ComposeFiles)
		}
	})
	t.Run("default names pick up compose.override.yaml", func(t *testing.T) {
		p := mustLoad(t, files, Options{})
		if env(t, p, "A") != "override" || len(p.ComposeFiles) != 2 {
			t.Errorf("A=%q files=%v, want compose.yaml + compose.override.yaml", env(t, p, "A"), p.ComposeFiles)
		}
	})
	t.Run("COMPOSE_FILE", func(t *testing.T) {
		clearComposeEnv(t)
		dir := t.TempDir()
		writeFiles(t, dir, files)
		t.Setenv("COMPOSE_FILE", filepath.Join(dir, "compose.yaml")+string(filepath.ListSeparator)+filepath.Join(dir, "prod.yaml"))
		p, err := Load(context.Background(), Options{ProjectDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if env(t, p, "B") != "prod" || env(t, p, "A") != "base" {
			t.Errorf("A=%q B=%q, want COMPOSE_FILE's two files and no default override", env(t, p, "A"), env(t, p, "B"))
		}
	})
}

func TestLoadDefaultFileFromWorkingDirectory(t *testing.T) {
	clearComposeEnv(t)
	dir := filepath.Join(t.TempDir(), "shop")
	writeFiles(t, dir, map[string]string{"docker-compose.yml": "services:\n  web: {image: tomcat}\n", "sub/.keep": ""})
	t.Chdir(filepath.Join(dir, "sub"))
	p, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "shop" || p.WorkingDir != dir {
		t.Errorf("name %q dir %q, want the parent's docker-compose.yml found and named after its directory", p.Name, p.WorkingDir)
	}
}

func TestLoadProjectName(t *testing.T) {
	compose := "services:\n  web: {image: tomcat}\n"
	tests := []struct {
		name    string
		dirName string
		files   map[string]string
		option  string
		envVar  string
		want    string
		wantErr string
	}{
		{name: "directory name normalised", dirName: "My Shop.v2", want: "myshopv2"},
		{name: "name key", dirName: "x", files: map[string]string{"compose.yaml": "name: billing\n" + compose}, want: "billing"},
		{name: "option beats name key", dirName: "x", files: map[string]string{"compose.yaml": "name: billing\n" + compose}, option: "override", want: "override"},
		{name: "COMPOSE_PROJECT_NAME", dirName: "x", envVar: "fromenv", want: "fromenv"},
		{name: "COMPOSE_PROJECT_NAME in .env", dirName: "x", files: map[string]string{".env": "COMPOSE_PROJECT_NAME=dotenv\n"}, want: "dotenv"},
		{name: "invalid option", dirName: "x", option: "Bad Name", wantErr: "Bad Name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearComposeEnv(t)
			dir := filepath.Join(t.TempDir(), tt.dirName)
			files := map[string]string{"compose.yaml": compose}
			for k, v := range tt.files {
				files[k] = v
			}
			writeFiles(t, dir, files)
			if tt.envVar != "" {
				t.Setenv("COMPOSE_PROJECT_NAME", tt.envVar)
			}
			p, err := Load(context.Background(), Options{ProjectDir: dir, ProjectName: tt.option})
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidProject) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalidProject mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tt.want {
				t.Errorf("name = %q, want %q", p.Name, tt.want)
			}
		})
	}
}

func TestLoadComposeErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		want  []string
	}{
		{
			name:  "schema",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: tomcat\n    imagee: typo\n"},
			want:  []string{"compose.yaml", "services.web", "imagee"},
		},
		{
			name:  "yaml syntax",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: [tomcat\n"},
			want:  []string{"compose.yaml", "line"},
		},
		{
			name:  "required variable",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: tomcat:${TAG:?set TAG to the release}\n"},
			want:  []string{"compose.yaml", "TAG", "set TAG to the release"},
		},
		{
			name:  "missing -f file",
			files: map[string]string{"compose.yaml": "services: {}\n"},
			opts:  Options{Files: []string{"compose.yaml", "missing.yaml"}},
			want:  []string{"missing.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadDir(t, tt.files, tt.opts)
			if !errors.Is(err, ErrInvalidProject) {
				t.Fatalf("err = %v, want ErrInvalidProject", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadWithoutComposeFile(t *testing.T) {
	clearComposeEnv(t)
	dir := t.TempDir()
	_, err := Load(context.Background(), Options{ProjectDir: dir})
	if !errors.Is(err, ErrNoComposeFile) || !errors.Is(err, ErrInvalidProject) || !strings.Contains(err.Error(), "compose.yaml") {
		t.Errorf("err = %v, want ErrNoComposeFile listing the names looked for", err)
	}
}

func TestServiceNotFoundListsServices(t *testing.T) {
	p := mustLoad(t, map[string]string{"compose.yaml": "name: shop\nservices:\n  web: {image: tomcat}\n  db: {image: postgres}\n"}, Options{})
	_, err := p.Service("app")
	want := `no service "app" in project "shop"; services: db, web`
	if !errors.Is(err, ErrNoSuchService) || err.Error() != want {
		t.Errorf("err = %v, want ErrNoSuchService %q", err, want)
	}
}

func TestServiceIsResolved(t *testing.T) {
	p := mustLoad(t, map[string]string{
		"app.env": "FROM_FILE=1\n",
		"compose.yaml": `
services:
  web:
    image: tomcat
    env_file: [app.env]
    volumes: [./conf:/conf]
`,
	}, Options{})
	web, err := p.Service("web")
	if err != nil {
		t.Fatal(err)
	}
	if v := web.Environment["FROM_FILE"]; v == nil || *v != "1" {
		t.Errorf("env_file not merged into environment: %v", web.Environment)
	}
	if len(web.Volumes) != 1 || web.Volumes[0].Source != filepath.Join(p.WorkingDir, "conf") {
		t.Errorf("bind source not made absolute: %+v", web.Volumes)
	}
	if n, ok := p.Networks()["default"]; !ok || n.Name != p.Name+"_default" {
		t.Errorf("default network = %+v, want %s_default", n, p.Name)
	}
}
