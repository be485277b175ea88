package dockerx

import (
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

// TestAStacksServiceIsReadAsItsComposeService: a service `docker stack deploy` made is the
// stack's, of the compose service its name carries after the stack's prefix, of the image
// the stack's file named; its task's addresses are read without prefix length, by network.
func TestAStacksServiceIsReadAsItsComposeService(t *testing.T) {
	spec := swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "shop_app", Labels: map[string]string{
		LabelStackNamespace: "shop", LabelStackImage: "shop:41"}},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "shop:41@sha256:0123"}}}
	s := fromSwarm(swarm.Service{ID: "svc9", Spec: spec})
	if s.Stack != "shop" || s.Project != "shop" || s.Service != "app" || s.Image != "shop:41" || s.Number != 0 {
		t.Errorf("stack service read as %+v; want stack shop, service app, image shop:41", s)
	}
	own := fromSwarm(swarm.Service{Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "shop-app-1", Labels: map[string]string{
		LabelProject: "shop", LabelService: "app", LabelNumber: "1"}}}})
	if own.Stack != "" || own.Service != "app" || own.Number != 1 {
		t.Errorf("roll's service read as %+v; want no stack, service app, number 1", own)
	}
	task := swarm.Task{NetworksAttachments: []swarm.NetworkAttachment{
		{Network: swarm.Network{Spec: swarm.NetworkSpec{Annotations: swarm.Annotations{Name: "ingress"}}}, Addresses: []string{"10.0.0.7/24"}},
		{Network: swarm.Network{Spec: swarm.NetworkSpec{Annotations: swarm.Annotations{Name: "shop_default"}}}, Addresses: []string{"fd00::7/64", "10.0.1.7/24"}},
	}}
	if got := taskAddresses(task); got["shop_default"] != "10.0.1.7" || got["ingress"] != "10.0.0.7" {
		t.Errorf("addresses %v; want shop_default 10.0.1.7 and ingress 10.0.0.7", got)
	}
	tk := Task{ContainerID: "0123456789abcdef"}
	for hostname, want := range map[string]string{"": "0123456789ab", "{{.Task.Name}}": "0123456789ab", "app-host": "app-host"} {
		if got := StackHostname(Service{Hostname: hostname}, tk); got != want {
			t.Errorf("hostname %q: route %q, want %q", hostname, got, want)
		}
	}
}
