package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/deploy"
)

func init() {
	register(&cli.Command{
		Name:      "rollback",
		Usage:     "deploy the previously deployed image again, the same safe way",
		ArgsUsage: "SERVICE",
		Description: `Finds in the gateway's deploy history the newest image that was deployed
   successfully and differs from the one serving now, and deploys it exactly as
   roll deploy does (readiness, atomic switch, sticky drain).

EXAMPLES:
   roll rollback app
   roll rollback app --json`,
		Flags: rolloutFlags(),
		Action: func(c *cli.Context) error {
			o, err := rolloutOptions(c)
			if err != nil {
				return err
			}
			o.rollback = true
			return runDeploy(c, o)
		},
	})
}

// rollbackImage is the image a rollback of service returns to.
func rollbackImage(c *cli.Context, e *env, service string) (string, error) {
	if _, err := e.project.Service(service); err != nil {
		return "", err
	}
	current := ""
	if st, err := e.gateway.Service(c.Context, service); err == nil {
		for _, b := range st.Backends {
			if b.Activation.String() == "active" && b.Meta["image"] != "" {
				current = b.Meta["image"]
			}
		}
	}
	if current == "" {
		cs, err := e.engine.List(c.Context, service)
		if err != nil {
			return "", err
		}
		for _, ct := range cs {
			if ct.Running() {
				current = ct.Image
			}
		}
	}
	history, err := e.gateway.Deploys(c.Context, service)
	if err != nil {
		return "", err
	}
	return deploy.PreviousImage(history, current)
}
