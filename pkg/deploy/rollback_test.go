package deploy

import (
	"errors"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

func TestPreviousImage(t *testing.T) {
	rec := func(outcome admin.Outcome, img, prev string) admin.DeployRecord {
		return admin.DeployRecord{Outcome: outcome, Meta: map[string]string{"image": img, "previous_image": prev}}
	}
	tests := []struct {
		name    string
		history []admin.DeployRecord
		current string
		want    string
		err     error
	}{
		{"newest other success", []admin.DeployRecord{rec("succeeded", "app:v3", "app:v2"), rec("rolled-back", "app:bad", "app:v2"), rec("succeeded", "app:v2", "app:v1")}, "app:v3", "app:v2", nil},
		{"failed deploys are skipped", []admin.DeployRecord{rec("rolled-back", "app:v4", "app:v3"), rec("succeeded", "app:v3", "app:v2")}, "app:v3", "app:v2", nil},
		{"only one deploy: what it replaced", []admin.DeployRecord{rec("succeeded", "app:v2", "app:v1")}, "app:v2", "app:v1", nil},
		{"nothing to return to", []admin.DeployRecord{rec("succeeded", "app:v1", "")}, "app:v1", "", ErrNoPrevious},
		{"empty history", nil, "app:v1", "", ErrNoPrevious},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PreviousImage(tt.history, tt.current)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("PreviousImage = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
