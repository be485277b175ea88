package commands

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
)

// What pause, resume and maintenance share: the gateway of a rolled service, and --json.

// rolledEnv opens the project and the gateway's admin API for a service the gateway routes.
func rolledEnv(c *cli.Context, service string) (*env, error) {
	e, err := openEnv(c, true)
	if err != nil {
		return nil, err
	}
	if _, err := e.project.Service(service); err != nil {
		e.Close()
		return nil, err
	}
	if _, ok := e.project.Rolled(service); !ok || e.gateway == nil {
		e.Close()
		return nil, fmt.Errorf("%w: service %q has no x-roll settings: the gateway does not route it, so there is nothing to hold or answer there",
			deploy.ErrNotRolled, service)
	}
	return e, nil
}

// gateDoc is what pause, resume and maintenance print with --json.
type gateDoc struct {
	Service string `json:"service"`
	// Changed is false when there was nothing to resume or end.
	Changed     bool                     `json:"changed"`
	Pause       *admin.PauseStatus       `json:"pause,omitempty"`
	Maintenance *admin.MaintenanceStatus `json:"maintenance,omitempty"`
}

func printJSON(doc gateDoc) error {
	enc := json.NewEncoder(out())
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
