package project

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// compose/compose.tls.yaml is how the README turns on TLS: over compose.yaml it must load, its
// gateway serving TLS from the mounted directory and publishing the TLS port.
func TestDemoTLSOverrideLoads(t *testing.T) {
	dir, err := filepath.Abs("../../compose")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{ProjectDir: dir,
		Files: []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "compose.tls.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := p.Service("gateway")
	if err != nil {
		t.Fatal(err)
	}
	cmd := []string(gw.Command)
	for _, want := range []string{"--tls-listen", "--tls-cert-dir", "/etc/roll/tls", "--state"} {
		if !slices.Contains(cmd, want) {
			t.Errorf("gateway command %q lacks %s", cmd, want)
		}
	}
	published := map[uint32]bool{}
	for _, port := range gw.Ports {
		published[port.Target] = true
	}
	if !published[8080] || !published[8443] {
		t.Errorf("gateway ports %+v, want 8080 and 8443", gw.Ports)
	}
	mounted := false
	for _, v := range gw.Volumes {
		mounted = mounted || v.Target == "/etc/roll/tls" && v.ReadOnly
	}
	if !mounted {
		t.Errorf("gateway volumes %+v, want ./tls read-only on /etc/roll/tls", gw.Volumes)
	}
}
