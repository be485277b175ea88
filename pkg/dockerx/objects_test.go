package dockerx

import (
	"errors"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
)

func TestNetworksAndVolumesEnsureAndRemove(t *testing.T) {
	c := requireDocker(t)
	// testProject ensures them once; a second Ensure must accept its own.
	p := testProject(t, c, "objects", `
services:
  app:
    image: IMAGE
    labels: *tl
    networks: [front, back]
    volumes: [data:/data, cache:/cache]
networks:
  front:
    labels: *tl
  back:
    name: rolltest-RUNID-back-named
    internal: true
    labels: *tl
volumes:
  data:
    labels: *tl
  cache:
    name: rolltest-RUNID-cache-named
    labels: *tl
`, nil)
	ctx := testContext(t)
	if err := c.EnsureNetworks(ctx, p); err != nil {
		t.Fatalf("second EnsureNetworks: %v", err)
	}
	if err := c.EnsureVolumes(ctx, p); err != nil {
		t.Fatalf("second EnsureVolumes: %v", err)
	}
	front, err := c.api.NetworkInspect(ctx, p.Name+"_front", network.InspectOptions{})
	if err != nil {
		t.Fatalf("network <project>_front: %v", err)
	}
	if front.Labels[LabelProject] != p.Name || front.Labels[LabelNetwork] != "front" {
		t.Errorf("front labels = %v", front.Labels)
	}
	back, err := c.api.NetworkInspect(ctx, "rolltest-"+runID+"-back-named", network.InspectOptions{})
	if err != nil || !back.Internal {
		t.Errorf("named internal network: %+v, %v", back, err)
	}
	data, err := c.api.VolumeInspect(ctx, p.Name+"_data")
	if err != nil || data.Labels[LabelVolume] != "data" || data.Labels[LabelProject] != p.Name {
		t.Errorf("volume <project>_data: %+v, %v", data, err)
	}
	if _, err := c.api.VolumeInspect(ctx, "rolltest-"+runID+"-cache-named"); err != nil {
		t.Errorf("named volume: %v", err)
	}

	// The container joins both networks, the second after the create.
	ctr := run(t, c, p, "app")
	if len(ctr.Networks) != 2 {
		t.Errorf("container networks = %v, want front and back", ctr.Networks)
	}
	if err := c.Remove(ctx, ctr.ID); err != nil {
		t.Fatal(err)
	}

	if err := c.RemoveNetworks(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := c.api.NetworkInspect(ctx, p.Name+"_front", network.InspectOptions{}); err == nil {
		t.Error("network front survived RemoveNetworks")
	}
	if err := c.RemoveNetworks(ctx, p); err != nil {
		t.Errorf("removing removed networks: %v", err)
	}
	if err := c.RemoveVolumes(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := c.api.VolumeInspect(ctx, p.Name+"_data"); err == nil {
		t.Error("volume data survived RemoveVolumes")
	}
}

func TestEnsureRefusesForeignAndMissingExternalObjects(t *testing.T) {
	c := requireDocker(t)
	ctx := testContext(t)
	foreign := "rolltest-" + runID + "-foreign"
	if _, err := c.api.NetworkCreate(ctx, foreign, network.CreateOptions{Labels: testLabels()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.api.NetworkRemove(ctx, foreign) })
	if _, err := c.api.VolumeCreate(ctx, volume.CreateOptions{Name: foreign, Labels: testLabels()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.api.VolumeRemove(ctx, foreign, true) })

	p := testProject(t, c, "extok", `
services:
  app: {image: IMAGE, labels: *tl, networks: [shared], volumes: [shared:/s]}
networks:
  shared: {name: rolltest-RUNID-foreign, external: true}
volumes:
  shared: {name: rolltest-RUNID-foreign, external: true}
`, nil)
	if err := c.RemoveNetworks(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveVolumes(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := c.api.NetworkInspect(ctx, foreign, network.InspectOptions{}); err != nil {
		t.Errorf("an external network was removed: %v", err)
	}
	if _, err := c.api.VolumeInspect(ctx, foreign); err != nil {
		t.Errorf("an external volume was removed: %v", err)
	}

	for _, tt := range []struct {
		name, compose string
		want          error
		mention       string
	}{
		{"foreign network", "services:\n  app: {image: IMAGE, networks: [n]}\nnetworks:\n  n: {name: rolltest-RUNID-foreign}\n", ErrConflict, "external: true"},
		{"foreign volume", "services:\n  app: {image: IMAGE, volumes: [vol:/v]}\nvolumes:\n  vol: {name: rolltest-RUNID-foreign}\n", ErrConflict, "external: true"},
		{"missing external network", "services:\n  app: {image: IMAGE, networks: [n]}\nnetworks:\n  n: {name: rolltest-RUNID-absent, external: true}\n", ErrNotFound, "docker network create"},
		{"missing external volume", "services:\n  app: {image: IMAGE, volumes: [vol:/v]}\nvolumes:\n  vol: {name: rolltest-RUNID-absent, external: true}\n", ErrNotFound, "docker volume create"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := loadProject(t, "rolltest"+runID+"-refuse", strings.NewReplacer("IMAGE", testImage, "RUNID", runID).Replace(tt.compose))
			t.Cleanup(func() { // the default network, made before a volume is refused
				_ = c.RemoveNetworks(ctx, p)
				_ = c.RemoveVolumes(ctx, p)
			})
			err := c.EnsureNetworks(ctx, p)
			if err == nil {
				err = c.EnsureVolumes(ctx, p)
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %v, want %v mentioning %q", err, tt.want, tt.mention)
			}
		})
	}
}
