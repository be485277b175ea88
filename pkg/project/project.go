package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// ErrInvalidProject is wrapped by every error that comes from a compose file or
// from roll's settings in it: the files must be fixed before anything can run.
var ErrInvalidProject = errors.New("invalid compose project")

// ErrNoComposeFile is returned (wrapped in ErrInvalidProject) when no compose
// file was named and none of the default names exists in the project directory
// or its parents.
var ErrNoComposeFile = errors.New("no compose file found")

// ErrNoSuchService is returned when a service name is not in the project (or is
// disabled by the active profiles).
var ErrNoSuchService = errors.New("no such service")

// Options selects the compose project, with the meaning of the matching
// `docker compose` flags. Empty fields fall back to the environment
// (COMPOSE_FILE, COMPOSE_PROJECT_NAME, COMPOSE_PROFILES, the .env file) and to
// the default file names, exactly as docker compose does.
type Options struct {
	// Files are the compose files (-f), applied in order: later files override
	// earlier ones.
	Files []string
	// ProjectName is the project name (-p).
	ProjectName string
	// ProjectDir is the project directory (--project-directory); by default the
	// directory of the first compose file.
	ProjectDir string
	// EnvFiles replace the project directory's .env file (--env-file).
	EnvFiles []string
	// Profiles are the active profiles (--profile).
	Profiles []string
}

// Project is a loaded and validated compose project with roll's settings.
type Project struct {
	// Name is the normalised project name, used in container, network and
	// volume names and in the com.docker.compose.project label.
	Name string
	// WorkingDir is the absolute project directory.
	WorkingDir string
	// ComposeFiles are the absolute paths of the compose files, in load order.
	ComposeFiles []string
	// Settings are roll's settings from the x-roll extensions, defaults applied.
	Settings Settings

	compose *types.Project
}

// Load reads the compose project selected by opts the way `docker compose`
// does (environment, .env, interpolation, profiles, overrides), then decodes and
// validates roll's x-roll settings. Every problem in the files is reported
// before anything is touched, wrapped in ErrInvalidProject and naming the file
// and the key.
func Load(ctx context.Context, opts Options) (*Project, error) {
	po, err := projectOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProject, err)
	}
	if len(po.ConfigPaths) == 0 {
		dir, _ := po.GetWorkingDir()
		return nil, fmt.Errorf("%w: %w in %s or its parents (looked for %s); name one with -f or COMPOSE_FILE",
			ErrInvalidProject, ErrNoComposeFile, dir, strings.Join(cli.DefaultFileNames, ", "))
	}
	cp, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: loading %s: %w", ErrInvalidProject, strings.Join(po.ConfigPaths, ", "), err)
	}
	// Like docker compose, forget the networks and volumes no service uses,
	// so that roll never creates what compose would not.
	cp = cp.WithoutUnnecessaryResources()
	p := &Project{
		Name:         cp.Name,
		WorkingDir:   cp.WorkingDir,
		ComposeFiles: slices.Clone(cp.ComposeFiles),
		compose:      cp,
	}
	settings, err := readSettings(cp, newLocator(cp.WorkingDir, cp.ComposeFiles))
	if err != nil {
		return nil, err
	}
	p.Settings = settings
	return p, nil
}

// projectOptions builds compose-go's options in the order docker compose
// itself applies them: the OS environment wins, the .env file fills in, then
// COMPOSE_FILE or the default file names, then the .env of a project directory
// that differs from the current one, then COMPOSE_PROFILES and the name.
func projectOptions(opts Options) (*cli.ProjectOptions, error) {
	fns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(opts.ProjectDir),
		cli.WithOsEnv,
	}
	if _, ok := os.LookupEnv("PWD"); !ok {
		if pwd, err := os.Getwd(); err == nil {
			fns = append(fns, cli.WithEnv([]string{"PWD=" + pwd}))
		}
	}
	envFiles := make([]string, 0, len(opts.EnvFiles))
	for _, f := range opts.EnvFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("resolving env file %s: %w", f, err)
		}
		envFiles = append(envFiles, abs)
	}
	fns = append(fns,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(opts.Profiles...),
		cli.WithName(opts.ProjectName),
	)
	return cli.NewProjectOptions(slices.Clone(opts.Files), fns...)
}

// Service returns the resolved compose configuration of the named service:
// interpolated, env_file and label_file merged into environment and labels,
// relative paths made absolute.
func (p *Project) Service(name string) (ServiceConfig, error) {
	s, ok := p.compose.Services[name]
	if !ok {
		msg := fmt.Sprintf("no service %q in project %q; services: %s", name, p.Name, strings.Join(p.ServiceNames(), ", "))
		if _, disabled := p.compose.DisabledServices[name]; disabled {
			msg = fmt.Sprintf("service %q of project %q is disabled: none of its profiles (%s) is active",
				name, p.Name, strings.Join(p.compose.DisabledServices[name].Profiles, ", "))
		}
		return ServiceConfig{}, &serviceError{msg: msg}
	}
	return s, nil
}

// ServiceNames returns the names of the project's enabled services, sorted.
func (p *Project) ServiceNames() []string {
	return p.compose.ServiceNames()
}

// Rolled returns roll's settings for a service that has an x-roll extension;
// ok is false for services roll does not deploy behind the gateway.
func (p *Project) Rolled(name string) (ServiceSettings, bool) {
	s, ok := p.Settings.Services[name]
	return s, ok
}

// Networks returns the project's networks by their key in the compose file;
// each one's Name is the engine-side name (`<project>_<key>` unless set).
func (p *Project) Networks() map[string]NetworkConfig {
	return p.compose.Networks
}

// Volumes returns the project's named volumes by their key in the compose
// file; each one's Name is the engine-side name (`<project>_<key>` unless set).
func (p *Project) Volumes() map[string]VolumeConfig {
	return p.compose.Volumes
}

// serviceError carries ErrNoSuchService with a message that lists what exists.
type serviceError struct{ msg string }

func (e *serviceError) Error() string { return e.msg }
func (e *serviceError) Unwrap() error { return ErrNoSuchService }
