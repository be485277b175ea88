package deploy

import (
	"slices"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

func TestMakePlan(t *testing.T) {
	target := Target{Project: "shop", Service: "app", Image: "app:v2", Port: 8009}
	run := func(name string, n int) Container {
		return Container{ID: name + "-id", Name: name, Number: n, State: "running"}
	}
	exited := func(name string, n int) Container {
		c := run(name, n)
		c.State = "exited"
		return c
	}
	gw := func(bs ...admin.BackendStatus) *admin.ServiceStatus {
		return &admin.ServiceStatus{Backends: bs}
	}
	be := func(name string, a admin.Activation) admin.BackendStatus {
		return admin.BackendStatus{BackendSpec: admin.BackendSpec{Name: name, Activation: a}}
	}
	tests := []struct {
		name                              string
		obs                               Observation
		old, adopt, leftovers, staleNames []string
		newName                           string
	}{
		{name: "first deploy, nothing there", obs: Observation{}, newName: "shop-app-1"},
		{
			name:    "normal: one active old",
			obs:     Observation{Containers: []Container{run("shop-app-1", 1)}, Gateway: gw(be("shop-app-1", admin.Active))},
			old:     []string{"shop-app-1"},
			newName: "shop-app-2",
		},
		{
			name:    "started by docker compose up: unknown to the gateway, adopted",
			obs:     Observation{Containers: []Container{run("shop-app-1", 1)}},
			old:     []string{"shop-app-1"},
			adopt:   []string{"shop-app-1"},
			newName: "shop-app-2",
		},
		{
			name: "killed before the switch: unknown new container is a leftover",
			obs: Observation{
				Containers: []Container{run("shop-app-1", 1), run("shop-app-2", 2)},
				Gateway:    gw(be("shop-app-1", admin.Active)),
			},
			old: []string{"shop-app-1"}, leftovers: []string{"shop-app-2"}, newName: "shop-app-3",
		},
		{
			name: "killed after the drain: old stopped in the gateway is a leftover",
			obs: Observation{
				Containers: []Container{run("shop-app-1", 1), run("shop-app-2", 2)},
				Gateway:    gw(be("shop-app-1", admin.Stopped), be("shop-app-2", admin.Active)),
			},
			old: []string{"shop-app-2"}, leftovers: []string{"shop-app-1"}, newName: "shop-app-3",
		},
		{
			name: "killed during the drain: draining old drains again",
			obs: Observation{
				Containers: []Container{run("shop-app-1", 1), run("shop-app-2", 2)},
				Gateway:    gw(be("shop-app-1", admin.Draining), be("shop-app-2", admin.Active)),
			},
			old: []string{"shop-app-1", "shop-app-2"}, newName: "shop-app-3",
		},
		{
			name: "exited containers and backends without container are cleaned",
			obs: Observation{
				Containers: []Container{exited("shop-app-4", 4), run("shop-app-5", 5)},
				Gateway:    gw(be("shop-app-5", admin.Active), be("shop-app-3", admin.Active)),
			},
			old: []string{"shop-app-5"}, leftovers: []string{"shop-app-4"}, staleNames: []string{"shop-app-3"}, newName: "shop-app-6",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MakePlan(target, tt.obs)
			check := func(what string, got []Container, want []string) {
				t.Helper()
				names := containerList(got)
				if !slices.Equal(names, want) && !(len(names) == 0 && len(want) == 0) {
					t.Errorf("%s = %v, want %v", what, names, want)
				}
			}
			check("old", p.Old, tt.old)
			check("adopt", p.Adopt, tt.adopt)
			check("leftovers", p.Leftovers, tt.leftovers)
			if !slices.Equal(p.StaleBackends, tt.staleNames) && !(len(p.StaleBackends) == 0 && len(tt.staleNames) == 0) {
				t.Errorf("stale = %v, want %v", p.StaleBackends, tt.staleNames)
			}
			if len(p.NewNames) != 1 || p.NewNames[0] != tt.newName {
				t.Errorf("new names = %q, want [%q]", p.NewNames, tt.newName)
			}
			if p.String() == "" {
				t.Error("plan must describe itself")
			}
		})
	}
}
