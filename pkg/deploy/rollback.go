package deploy

import (
	"fmt"

	"github.com/rollcd/roll/pkg/admin"
)

// PreviousImage picks the image a rollback returns to: the newest successfully deployed
// image that differs from the one serving now. history is newest first.
func PreviousImage(history []admin.DeployRecord, current string) (string, error) {
	for _, rec := range history {
		img := rec.Meta["image"]
		if rec.Outcome == OutcomeSucceeded && img != "" && img != current {
			return img, nil
		}
	}
	// A single successful deploy still knows what it replaced.
	for _, rec := range history {
		if prev := rec.Meta["previous_image"]; rec.Outcome == OutcomeSucceeded && prev != "" && prev != current {
			return prev, nil
		}
	}
	return "", fmt.Errorf("%w: the gateway's history has no successful deploy of an image other than %s", ErrNoPrevious, current)
}
