package project

import (
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
)

// StartOrder returns the named services (all enabled ones when names is empty) with
// their depends_on dependencies, each after the services it depends on, as
// `docker compose up` starts them.
func (p *Project) StartOrder(names ...string) ([]string, error) {
	if len(names) == 0 {
		names = p.ServiceNames()
	}
	for _, n := range names {
		if _, err := p.Service(n); err != nil {
			return nil, err
		}
	}
	var order []string
	err := p.compose.ForEachService(names, func(name string, _ *types.ServiceConfig) error {
		order = append(order, name)
		return nil
	}, types.IncludeDependencies)
	if err != nil {
		return nil, fmt.Errorf("%w: ordering services by depends_on: %w", ErrInvalidProject, err)
	}
	return order, nil
}
