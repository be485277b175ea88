package commands

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
	"github.com/rollcd/roll/pkg/deploy/dockerengine"
	"github.com/rollcd/roll/pkg/dockerx"
	"github.com/rollcd/roll/pkg/project"
)

// projectFlags select the compose project with docker compose's own flags.
// They are global: `roll -f a.yaml -f b.yaml deploy app`.
func projectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "compose `FILE` (repeatable; default compose.yaml, or COMPOSE_FILE)"},
		&cli.StringFlag{Name: "project-name", Aliases: []string{"p"}, Usage: "project `NAME` (default: the directory name, or COMPOSE_PROJECT_NAME)"},
		&cli.StringFlag{Name: "project-directory", Usage: "project `DIR` (default: the first compose file's directory)"},
		&cli.StringSliceFlag{Name: "env-file", Usage: "`FILE` replacing the project's .env (repeatable)"},
		&cli.StringSliceFlag{Name: "profile", Usage: "active `PROFILE` (repeatable; or COMPOSE_PROFILES)"},
		&cli.StringFlag{Name: "admin-url", EnvVars: []string{"ROLL_ADMIN_URL"}, Usage: "the gateway's admin API `URL` (default: the gateway container's admin port, where Docker published it or through the Docker engine)"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour even on a terminal (NO_COLOR is honoured too)"},
	}
}

func loadProject(c *cli.Context) (*project.Project, error) {
	return project.Load(c.Context, project.Options{
		Files:       c.StringSlice("file"),
		ProjectName: c.String("project-name"),
		ProjectDir:  c.String("project-directory"),
		EnvFiles:    c.StringSlice("env-file"),
		Profiles:    c.StringSlice("profile"),
	})
}

// env is what a command that works on a project needs: the project, Docker and the gateway.
type env struct {
	project *project.Project
	docker  *dockerx.Client
	engine  deploy.ProjectEngine // plain containers or Swarm services (pickEngine)
	builder dockerengine.Engine  // builds images on the engine roll talks to, whatever runs them
	gateway *admin.Client        // nil when the project has no gateway
}

func (e *env) Close() {
	if e.docker != nil {
		e.docker.Close()
	}
}

// openEnv loads the project and connects to Docker; the gateway client is made
// only when needGateway (commands like `up` make the gateway first).
func openEnv(c *cli.Context, needGateway bool) (*env, error) {
	p, err := loadProject(c)
	if err != nil {
		return nil, err
	}
	d, err := dockerx.New(c.Context)
	if err != nil {
		return nil, err
	}
	e := &env{project: p, docker: d, builder: dockerengine.Engine{Docker: d, Project: p}}
	if e.engine, err = pickEngine(c.Context, d, p, c.Command.Name); err != nil {
		d.Close()
		return nil, err
	}
	if needGateway && p.Settings.Gateway != "" {
		if e.gateway, err = gatewayClient(c, e); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// gatewayClient finds the gateway's admin API: --admin-url if given; else,
// when the engine runs on this machine and the admin port is published, the
// published address; else a tunnel through the engine into the gateway
// container, which works for a remote engine (ssh://, tcp://) and for an
// admin port that is not published at all.
func gatewayClient(c *cli.Context, e *env) (*admin.Client, error) {
	p := e.project
	if p.Settings.AdminToken == "" {
		return nil, fmt.Errorf("%w: the gateway service %q has no %s in its environment: the admin API needs a token",
			project.ErrInvalidProject, p.Settings.Gateway, p.Settings.AdminTokenEnv)
	}
	if u := c.String("admin-url"); u != "" {
		return admin.NewClient(u, p.Settings.AdminToken), nil
	}
	gc, err := runningGateway(c.Context, e)
	if err != nil {
		return nil, err
	}
	port := p.Settings.AdminPort
	base, published := fmt.Sprintf("http://%s:%d", gc.Name, port), "" // the tunnel ignores the URL's host
	if e.docker.IsLocal() {
		addr, err := e.docker.HostPort(c.Context, gc.ID, port)
		switch {
		case err == nil:
			base, published = "http://"+addr, addr
		case !errors.Is(err, dockerx.ErrNotPublished):
			return nil, fmt.Errorf("%w: finding the gateway's admin port %d on %s: %w", admin.ErrUnavailable, port, gc.Name, err)
		}
	}
	return admin.NewClient(base, p.Settings.AdminToken, admin.WithHTTPClient(adminHTTPClient(e.docker, gc.ID, port, published))), nil
}

// runningGateway returns the running container of the project's gateway service on the
// engine roll talks to (on Swarm: its task's container, which carries compose's labels).
func runningGateway(ctx context.Context, e *env) (dockerx.Container, error) {
	p := e.project
	cs, err := e.docker.List(ctx, p.Name, p.Settings.Gateway)
	if err != nil {
		return dockerx.Container{}, err
	}
	for _, gc := range cs {
		if gc.Running() {
			return gc, nil
		}
	}
	// On Swarm the gateway's task may run on another node, whose containers this engine cannot reach.
	if elsewhere, err := e.engine.List(ctx, p.Settings.Gateway); err == nil {
		for _, gc := range elsewhere {
			if gc.Running() && gc.Node != "" {
				return dockerx.Container{}, fmt.Errorf("%w: the gateway %s runs on Swarm node %s, and roll reaches its admin API through the engine of that node: "+
					"point DOCKER_HOST at it, pass --admin-url, or pin the gateway to the node roll talks to (deploy.placement.constraints)",
					admin.ErrUnavailable, gc.Name, gc.Node)
			}
		}
	}
	return dockerx.Container{}, fmt.Errorf("%w: the gateway service %q of project %q has no running container; start it with `roll up`",
		admin.ErrUnavailable, p.Settings.Gateway, p.Name)
}

// out returns where a command's human output goes.
func out() *os.File { return os.Stdout }
