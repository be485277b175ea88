//go:build windows

package dockerx

import "testing"

// TestNamedPipeEngineIsLocal checks that a newer Docker Desktop context, which
// names a pipe of its own, is taken as an engine on this machine.
func TestNamedPipeEngineIsLocal(t *testing.T) {
	dockerConfig(t, "desktop-linux", map[string]string{"desktop-linux": "npipe:////./pipe/dockerDesktopLinuxEngine"})
	ep, err := resolveEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	api, err := newAPIClient(ep)
	if err != nil {
		t.Fatalf("a Docker Desktop context must configure on every OS: %v", err)
	}
	defer api.Close()
	c := &Client{api: api, endpoint: ep}
	if c.Host() != "npipe:////./pipe/dockerDesktopLinuxEngine" || !c.IsLocal() || c.hostName() != "" {
		t.Fatalf("Host %q, IsLocal %v, hostName %q; want the pipe, local, no host name", c.Host(), c.IsLocal(), c.hostName())
	}
}
