package dockerx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// dockerConfig writes a docker CLI configuration directory with the given
// current context and contexts (name → engine host), and points DOCKER_CONFIG at it.
func dockerConfig(t *testing.T, current string, contexts map[string]string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(fmt.Sprintf(`{"currentContext": %q}`, current)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, host := range contexts {
		sum := sha256.Sum256([]byte(name))
		meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
		if err := os.MkdirAll(meta, 0o700); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"Name": %q, "Metadata": {}, "Endpoints": {"docker": {"Host": %q, "SkipTLSVerify": false}}}`, name, host)
		if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DOCKER_CONFIG", dir)
	unsetenv(t, "DOCKER_HOST")
	unsetenv(t, "DOCKER_CONTEXT")
}

func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // restores the old value after the test
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

func TestNewUnreachableEngine(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T)
		want  string
		also  string // a second part of the message, when there is one
	}{
		{
			name: "DOCKER_HOST",
			setup: func(t *testing.T) {
				dockerConfig(t, "", nil)
				t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
			},
			want: "cannot reach the Docker engine at unix:///nonexistent/docker.sock (DOCKER_HOST): ",
		},
		{
			name: "current context",
			setup: func(t *testing.T) {
				dockerConfig(t, "remote", map[string]string{"remote": "unix:///nonexistent/remote.sock"})
			},
			want: `cannot reach the Docker engine at unix:///nonexistent/remote.sock (docker context "remote"): `,
		},
		{
			name: "DOCKER_CONTEXT beats the current context",
			setup: func(t *testing.T) {
				dockerConfig(t, "remote", map[string]string{"remote": "unix:///nonexistent/remote.sock", "other": "unix:///nonexistent/other.sock"})
				t.Setenv("DOCKER_CONTEXT", "other")
			},
			want: `cannot reach the Docker engine at unix:///nonexistent/other.sock (docker context "other")`,
		},
		{
			name: "DOCKER_HOST beats contexts",
			setup: func(t *testing.T) {
				dockerConfig(t, "remote", map[string]string{"remote": "unix:///nonexistent/remote.sock"})
				t.Setenv("DOCKER_HOST", "unix:///nonexistent/host.sock")
			},
			want: "unix:///nonexistent/host.sock (DOCKER_HOST)",
		},
		{
			name:  "missing context",
			setup: func(t *testing.T) { dockerConfig(t, "gone", nil) },
			want:  `reading docker context "gone"`,
		},
		{
			name: "ssh context whose ssh fails",
			setup: func(t *testing.T) {
				dockerConfig(t, "ssh", map[string]string{"ssh": "ssh://deploy@build-host"})
				fakeSSH(t, "", "ssh: Could not resolve hostname build-host: Name or service not known")
			},
			want: `cannot reach the Docker engine at ssh://deploy@build-host (docker context "ssh"): `,
			also: "exit status 255: ssh: Could not resolve hostname build-host",
		},
		{
			name: "ssh address with a password",
			setup: func(t *testing.T) {
				dockerConfig(t, "", nil)
				t.Setenv("DOCKER_HOST", "ssh://deploy:secret@build-host")
			},
			want: "a password in the address is not supported",
			also: "deploy:xxxxx@build-host",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			c, err := New(context.Background())
			if err == nil {
				c.Close()
				t.Fatal("New succeeded")
			}
			if !errors.Is(err, ErrNoEngine) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant ErrNoEngine containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.also) {
				t.Errorf("err = %v\nwant it to contain %q too", err, tt.also)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("err = %v shows the password", err)
			}
		})
	}
}

func TestNewFollowsTheCurrentContext(t *testing.T) {
	engine := requireDocker(t)
	dockerConfig(t, "real", map[string]string{"real": engine.Host()})
	c, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Host() != engine.Host() || c.api.ClientVersion() == "" {
		t.Errorf("host %q version %q, want the context's engine %q", c.Host(), c.api.ClientVersion(), engine.Host())
	}
}

// TestDefaultEngineIsTheDockerCLIs pins the engine roll uses when nothing
// names one: the docker CLI's default, which on Windows is Docker Desktop's
// named pipe.
func TestDefaultEngineIsTheDockerCLIs(t *testing.T) {
	dockerConfig(t, "", nil)
	want := "unix:///var/run/docker.sock"
	if runtime.GOOS == "windows" {
		want = "npipe:////./pipe/docker_engine"
	}
	ep, err := resolveEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	api, err := newAPIClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	c := &Client{api: api, endpoint: ep}
	if c.Host() != want || ep.describe() != want || !c.IsLocal() {
		t.Fatalf("default engine: Host %q, described as %q, IsLocal %v; want %q, local", c.Host(), ep.describe(), c.IsLocal(), want)
	}
}
