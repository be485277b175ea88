package dockerx

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rollcd/roll/pkg/project"
)

// The labels docker compose puts on what it creates. roll sets the same ones,
// so `docker compose ps`, `logs` and `down` see roll's containers as their own.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneoff      = "com.docker.compose.oneoff"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelVersion     = "com.docker.compose.version"
	LabelImage       = "com.docker.compose.image"
	LabelDependsOn   = "com.docker.compose.depends_on"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
)

// composeVersion is the value of LabelVersion. docker compose writes its own
// version; roll writes a compose v2 version marked as roll's so that a person
// reading the labels knows who created the container.
const composeVersion = "2.0.0+roll"

// containerLabels are the compose labels of container number n of a service.
func containerLabels(p *project.Project, svc project.ServiceConfig, n int, hash, imageID string) map[string]string {
	labels := map[string]string{
		LabelProject:     p.Name,
		LabelService:     svc.Name,
		LabelNumber:      fmt.Sprint(n),
		LabelOneoff:      "False",
		LabelConfigHash:  hash,
		LabelWorkingDir:  p.WorkingDir,
		LabelConfigFiles: strings.Join(p.ComposeFiles, ","),
		LabelVersion:     composeVersion,
	}
	if imageID != "" {
		labels[LabelImage] = imageID
	}
	if deps := dependsOnLabel(svc); deps != "" {
		labels[LabelDependsOn] = deps
	}
	return labels
}

// dependsOnLabel renders depends_on as compose does: service:condition:restart,
// sorted and comma-separated.
func dependsOnLabel(svc project.ServiceConfig) string {
	var deps []string
	for name, d := range svc.DependsOn {
		deps = append(deps, fmt.Sprintf("%s:%s:%t", name, d.Condition, d.Restart))
	}
	slices.Sort(deps)
	return strings.Join(deps, ",")
}

// configHash digests the parts of a service's configuration that define its
// containers, leaving out what compose leaves out (build, pull policy, scale,
// replicas, depends_on, profiles), so that `docker compose up` finds a
// container roll created for the same configuration up to date.
func configHash(svc project.ServiceConfig) (string, error) {
	svc.Build = nil
	svc.PullPolicy = ""
	svc.Scale = nil
	if svc.Deploy != nil {
		deploy := *svc.Deploy // a copy: the project's own value stays untouched
		deploy.Replicas = nil
		svc.Deploy = &deploy
	}
	svc.DependsOn = nil
	svc.Profiles = nil
	data, err := json.Marshal(svc)
	if err != nil {
		return "", fmt.Errorf("hashing the configuration of service %s: %w", svc.Name, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
