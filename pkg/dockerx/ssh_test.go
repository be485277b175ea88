package dockerx

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestParseSSH(t *testing.T) {
	const common = "-o ConnectTimeout=30 -T "
	tests := []struct {
		url, args, err string
	}{
		{url: "ssh://build-host", args: common + "-- build-host docker system dial-stdio"},
		{url: "ssh://deploy@build-host", args: common + "-l deploy -- build-host docker system dial-stdio"},
		{url: "ssh://deploy@build-host:2222", args: common + "-l deploy -p 2222 -- build-host docker system dial-stdio"},
		{url: "ssh://deploy@[2001:db8::1]:2222", args: common + "-l deploy -p 2222 -- 2001:db8::1 docker system dial-stdio"},
		{url: "ssh://build-host/run/user/1000/docker.sock", args: common + "-- build-host docker --host=unix:///run/user/1000/docker.sock system dial-stdio"},
		{url: "ssh://build-host/", args: common + "-- build-host docker system dial-stdio"},
		{url: "ssh://-oProxyCommand=evil", args: common + "-- -oProxyCommand=evil docker system dial-stdio"}, // a host, never an option
		{url: "ssh://deploy:hunter2@build-host", err: "a password in the address is not supported"},
		{url: "ssh://deploy@", err: "names no host"},
		{url: "ssh://build-host?x=1", err: "query and fragment are not allowed"},
		{url: "tcp://build-host:2375", err: `the scheme is "tcp", not ssh`},
		{url: "ssh://build-host/tmp/d.sock;reboot", err: "may hold only letters"},
		{url: "ssh://build-host/tmp/my%20docker.sock", err: "may hold only letters"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := parseSSH(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("err = %v shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(s.args, " "); got != tt.args {
				t.Errorf("ssh %s\nwant ssh %s", got, tt.args)
			}
		})
	}
}

var fakeSSHBuild struct {
	once sync.Once
	dir  string
	err  error
}

// fakeSSH puts testdata/fakessh first on PATH as "ssh", connecting to the
// engine at engine (a unix:// or tcp:// address), or failing with failMsg
// when it is set. It returns the file where each call's arguments land.
func fakeSSH(t *testing.T, engine, failMsg string) (argsLog string) {
	t.Helper()
	fakeSSHBuild.once.Do(func() {
		fakeSSHBuild.dir, fakeSSHBuild.err = os.MkdirTemp("", "dockerx-fakessh-")
		if fakeSSHBuild.err != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(fakeSSHBuild.dir, "ssh"), "./testdata/fakessh")
		if out, err := build.CombinedOutput(); err != nil {
			fakeSSHBuild.err = fmt.Errorf("go build of the fake ssh: %w\n%s", err, out)
		}
	})
	if fakeSSHBuild.err != nil {
		t.Fatal(fakeSSHBuild.err)
	}
	argsLog = filepath.Join(t.TempDir(), "ssh-args")
	t.Setenv("PATH", fakeSSHBuild.dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKESSH_ENGINE", engine)
	t.Setenv("FAKESSH_FAIL", failMsg)
	t.Setenv("FAKESSH_LOG", argsLog)
	return argsLog
}

// sshCalls returns the argument lines the fake ssh logged, one per process.
func sshCalls(t *testing.T, argsLog string) []string {
	t.Helper()
	data, err := os.ReadFile(argsLog)
	if err != nil {
		t.Fatalf("the fake ssh never ran: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// TestSSHEngine drives the real engine through ssh://: roll starts "ssh"
// (the fake, first on PATH) per connection and speaks the Engine API over
// its standard streams, the fake relays them to the engine's socket as
// `docker system dial-stdio` would on the far host.
func TestSSHEngine(t *testing.T) {
	engine := requireDocker(t)
	tests := []struct {
		name  string
		setup func(t *testing.T)
		host  string // what Host reports
		args  string // what ssh is called with
	}{
		{
			name: "DOCKER_HOST with user and port",
			setup: func(t *testing.T) {
				dockerConfig(t, "", nil)
				t.Setenv("DOCKER_HOST", "ssh://deploy@build-host:2222")
			},
			host: "ssh://deploy@build-host:2222",
			args: "-o ConnectTimeout=30 -T -l deploy -p 2222 -- build-host docker system dial-stdio",
		},
		{
			name: "docker context with a socket path",
			setup: func(t *testing.T) {
				dockerConfig(t, "remote", map[string]string{"remote": "ssh://ci@build-host/var/run/docker.sock"})
			},
			host: "ssh://ci@build-host/var/run/docker.sock",
			args: "-o ConnectTimeout=30 -T -l ci -- build-host docker --host=unix:///var/run/docker.sock system dial-stdio",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argsLog := fakeSSH(t, engine.Host(), "")
			tt.setup(t)
			c, err := New(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Host() != tt.host || c.IsLocal() || c.hostName() != "build-host" {
				t.Errorf("Host %q, IsLocal %v, hostName %q; want %q, false, build-host", c.Host(), c.IsLocal(), c.hostName(), tt.host)
			}
			// A call beyond the ping New made, with a body to decode.
			if _, err := c.List(testContext(t), "rolltest"+runID+"-nothing", ""); err != nil {
				t.Fatalf("listing through ssh: %v", err)
			}
			calls := sshCalls(t, argsLog)
			for _, call := range calls {
				if call != tt.args {
					t.Fatalf("ssh %s\nwant ssh %s", call, tt.args)
				}
			}
		})
	}
}

// TestSSHEngineExec runs a container and a tunnel into it, all through ssh:
// the hijacked exec stream must pass through the ssh process unharmed.
func TestSSHEngineExec(t *testing.T) {
	engine := requireDocker(t)
	p := testProject(t, engine, "sshexec", `
services:
  web:
    image: IMAGE
    environment: {APP_MESSAGE: "through ssh"}
    labels: *tl
`, nil)
	web := run(t, engine, p, "web")
	waitLogs(t, engine, web.ID, "ready")

	argsLog := fakeSSH(t, engine.Host(), "")
	dockerConfig(t, "", nil)
	t.Setenv("DOCKER_HOST", "ssh://deploy@build-host")
	c, err := New(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hc := tunnelClient(t, c, web.ID, "/probe", "dial", "127.0.0.1:8080")
	resp, err := hc.Get("http://web/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || string(body) != "through ssh" {
		t.Fatalf("GET / through ssh and exec: %d %q %v", resp.StatusCode, body, err)
	}
	if calls := sshCalls(t, argsLog); !slices.ContainsFunc(calls, func(s string) bool { return strings.Contains(s, "-l deploy -- build-host") }) {
		t.Fatalf("ssh calls %q never reached build-host as deploy", calls)
	}
}
