package admin

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPauseRequestNormalize(t *testing.T) {
	got, err := PauseRequest{}.Normalize()
	if err != nil || got.Max != Duration(DefaultPauseMax) || got.MaxHeld != DefaultPauseMaxHeld {
		t.Fatalf("defaults: %+v, %v", got, err)
	}
	for _, bad := range []PauseRequest{
		{Max: Duration(500 * time.Millisecond)},
		{Max: Duration(MaxPauseMax + time.Second)},
		{Max: Duration(-time.Second)},
		{MaxHeld: -1},
		{MaxHeld: MaxPauseMaxHeld + 1},
	} {
		if _, err := bad.Normalize(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
}

func TestMaintenanceSpecNormalize(t *testing.T) {
	got, err := MaintenanceSpec{Message: "  Back at <b>14:00</b>\n— the team  ", RetryAfter: Duration(1500 * time.Millisecond)}.Normalize()
	if err != nil || got.Message != "Back at <b>14:00</b>\n— the team" || got.RetryAfter != Duration(2*time.Second) {
		t.Fatalf("got %+v, %v: want the message trimmed (not escaped: the page does that) and whole seconds", got, err)
	}
	if got, _ := (MaintenanceSpec{Message: "x"}).Normalize(); got.RetryAfter != Duration(DefaultMaintenanceRetryAfter) {
		t.Errorf("default retry_after %s", time.Duration(got.RetryAfter))
	}
	tests := []struct {
		name string
		spec MaintenanceSpec
		says string
	}{
		{"empty", MaintenanceSpec{Message: " \n "}, "empty"},
		{"too long", MaintenanceSpec{Message: strings.Repeat("é", MaxMaintenanceMessage)}, "bytes"},
		{"not utf-8", MaintenanceSpec{Message: "a\xffb"}, "UTF-8"},
		{"escape", MaintenanceSpec{Message: "a\x1b[31mred"}, "U+001B"},
		{"carriage return", MaintenanceSpec{Message: "a\rSet-Cookie: x"}, "U+000D"},
		{"C1 control", MaintenanceSpec{Message: "a\u0085b"}, "U+0085"},
		{"retry too short", MaintenanceSpec{Message: "x", RetryAfter: Duration(time.Millisecond)}, "retry_after"},
		{"retry too long", MaintenanceSpec{Message: "x", RetryAfter: Duration(25 * time.Hour)}, "retry_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.spec.Normalize()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("%v, want ErrInvalid saying %q", err, tt.says)
			}
		})
	}
}

// TestGateThroughTheClient: a pause and maintenance show in the service's status, a pause is
// refused while in maintenance, and ending either when none runs is a conflict (the CLI
// turns it into a message: a script's `roll resume` after the max passed must not fail).
func TestGateThroughTheClient(t *testing.T) {
	c, _ := clientFor(t, newFake())
	ctx := t.Context()
	if _, err := c.Resume(ctx, "app"); !errors.Is(err, ErrConflict) {
		t.Fatalf("resume of a service never paused: %v, want ErrConflict", err)
	}
	if _, err := c.EndMaintenance(ctx, "app"); !errors.Is(err, ErrConflict) {
		t.Fatalf("maintenance off of a service never in maintenance: %v, want ErrConflict", err)
	}
	p, err := c.Pause(ctx, "app", PauseRequest{Max: Duration(time.Minute)})
	if err != nil || !p.Active() || p.Until.Sub(p.Since) != time.Minute || p.MaxHeld != DefaultPauseMaxHeld {
		t.Fatalf("pause: %+v, %v", p, err)
	}
	if st, err := c.Service(ctx, "app"); err != nil || st.Pause == nil || !st.Pause.Active() {
		t.Fatalf("status while paused: %+v, %v", st.Pause, err)
	}
	if p, err = c.Resume(ctx, "app"); err != nil || p.Active() || p.EndedBy != PauseEndedByResume {
		t.Fatalf("resume: %+v, %v", p, err)
	}
	if _, err := c.Resume(ctx, "app"); !errors.Is(err, ErrConflict) {
		t.Fatalf("a second resume: %v, want ErrConflict", err)
	}
	m, err := c.StartMaintenance(ctx, "app", MaintenanceSpec{Message: "upgrading the database"})
	if err != nil || !m.Active() || m.Message != "upgrading the database" {
		t.Fatalf("maintenance on: %+v, %v", m, err)
	}
	if _, err := c.Pause(ctx, "app", PauseRequest{}); !errors.Is(err, ErrConflict) {
		t.Errorf("pause in maintenance: %v, want ErrConflict", err)
	}
	if _, err := c.StartMaintenance(ctx, "app", MaintenanceSpec{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("maintenance without a message: %v, want ErrInvalid", err)
	}
	if m, err = c.EndMaintenance(ctx, "app"); err != nil || m.Active() || m.Ended.IsZero() {
		t.Fatalf("maintenance off: %+v, %v", m, err)
	}
	if st, err := c.Service(ctx, "app"); err != nil || st.Maintenance == nil || st.Maintenance.Active() {
		t.Fatalf("status after maintenance: %+v, %v", st.Maintenance, err)
	}
}
