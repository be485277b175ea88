package dockerx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/rollcd/roll/pkg/project"
)

// buildTailLines is how much of the build output a failed build's error keeps.
const buildTailLines = 15

// BuildSpec is one image build.
type BuildSpec struct {
	// ContextDir is the build context directory; its .dockerignore applies.
	ContextDir string
	// Dockerfile is the Dockerfile's path, relative to ContextDir unless
	// absolute; "Dockerfile" when empty. It may lie outside the context.
	Dockerfile string
	// Tag names the built image, such as shop-app:latest.
	Tag string
	// Args are the build arguments; a nil value takes the variable from the
	// builder's environment, as compose does.
	Args map[string]*string
	// Target is the stage of a multi-stage Dockerfile to build; "" for the last.
	Target string
	// Labels are added to the image.
	Labels map[string]string
	// Output receives the build's output as the builder prints it; nil discards it.
	Output io.Writer
}

// BuildImage builds an image with the engine's classic builder (the one every
// engine has through the API) and returns its ID. A failed build is ErrBuild,
// with the builder's error and the last lines of its output.
func (c *Client) BuildImage(ctx context.Context, spec BuildSpec) (string, error) {
	tarCtx, dockerfile, err := contextTar(spec.ContextDir, spec.Dockerfile)
	if err != nil {
		return "", err
	}
	defer tarCtx.Close()
	resp, err := c.api.ImageBuild(ctx, tarCtx, build.ImageBuildOptions{
		Tags:        []string{spec.Tag},
		Dockerfile:  dockerfile,
		BuildArgs:   maps.Clone(spec.Args),
		Target:      spec.Target,
		Labels:      maps.Clone(spec.Labels),
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return "", &tagged{msg: fmt.Sprintf("building %s from %s", spec.Tag, spec.ContextDir), sentinel: ErrBuild, cause: err}
	}
	defer resp.Body.Close()
	id, err := readBuildStream(resp.Body, spec.Output)
	if err != nil {
		return "", &tagged{msg: fmt.Sprintf("building %s from %s", spec.Tag, spec.ContextDir), sentinel: ErrBuild, cause: err}
	}
	if id == "" {
		img, err := c.api.ImageInspect(ctx, spec.Tag)
		if err != nil {
			return "", engineError("inspecting the built image "+spec.Tag, err)
		}
		id = img.ID
	}
	return id, nil
}

// buildMessage is one line of the builder's JSON stream.
type buildMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// readBuildStream copies the build output to out and returns the image ID the
// builder announced, or the builder's error with the output that led to it.
func readBuildStream(body io.Reader, out io.Writer) (string, error) {
	if out == nil {
		out = io.Discard
	}
	dec := json.NewDecoder(body)
	var tail []string
	var id string
	for {
		var msg buildMessage
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return id, nil
		} else if err != nil {
			return "", fmt.Errorf("reading the build output: %w", err)
		}
		text := msg.Stream + msg.Status
		if text != "" {
			_, _ = io.WriteString(out, text)
			tail = append(tail, strings.Split(strings.TrimRight(text, "\n"), "\n")...)
			tail = tail[max(0, len(tail)-buildTailLines):]
		}
		if msg.Error != "" || msg.ErrorDetail != nil {
			reason := msg.Error
			if msg.ErrorDetail != nil && msg.ErrorDetail.Message != "" {
				reason = msg.ErrorDetail.Message
			}
			return "", fmt.Errorf("%s\nlast output:\n  %s", reason, strings.Join(tail, "\n  "))
		}
		if len(msg.Aux) > 0 {
			var aux struct {
				ID string `json:"ID"`
			}
			if json.Unmarshal(msg.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
	}
}

// ServiceBuild returns the build of a service's `build:` section, tagged with
// the name its containers run (the service's image, or <project>-<service>).
// A key of the section that BuildImage cannot honour is refused (CheckBuild).
func ServiceBuild(p *project.Project, service string) (BuildSpec, error) {
	svc, err := p.Service(service)
	if err != nil {
		return BuildSpec{}, err
	}
	if svc.Build == nil {
		return BuildSpec{}, &tagged{msg: fmt.Sprintf("service %s has no build section", service), sentinel: ErrNotFound}
	}
	if err := CheckBuild(p, service, *svc.Build); err != nil {
		return BuildSpec{}, err
	}
	return BuildSpec{
		ContextDir: svc.Build.Context,
		Dockerfile: svc.Build.Dockerfile,
		Tag:        imageName(p, svc, ""),
		Args:       maps.Clone(map[string]*string(svc.Build.Args)),
		Target:     svc.Build.Target,
		Labels:     maps.Clone(map[string]string(svc.Build.Labels)),
	}, nil
}

// BuildService builds a service's image from its compose build section, as
// ServiceBuild reads it (unsupported keys refused before anything is sent to the
// engine), tags it tag, or the service's image name when tag is "", and
// returns its ID.
func (c *Client) BuildService(ctx context.Context, p *project.Project, service, tag string) (string, error) {
	spec, err := ServiceBuild(p, service)
	if err != nil {
		return "", err
	}
	if tag != "" {
		spec.Tag = tag
	}
	return c.BuildImage(ctx, spec)
}
