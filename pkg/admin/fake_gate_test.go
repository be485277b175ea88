package admin

import (
	"context"
	"fmt"
	"time"
)

// The fake's gate: it checks requests as the gateway does and keeps the statuses, without
// holding anything.

func (f *fakeService) Pause(_ context.Context, service string, req PauseRequest) (PauseStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return PauseStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return PauseStatus{}, err
	}
	if req, err = req.Normalize(); err != nil {
		return PauseStatus{}, err
	}
	if e.maint != nil && e.maint.Active() {
		return PauseStatus{}, fmt.Errorf("pausing %q: it is in maintenance: %w", service, ErrConflict)
	}
	e.pause = &PauseStatus{Since: fixedTime, Until: fixedTime.Add(time.Duration(req.Max)), MaxHeld: req.MaxHeld}
	return *e.pause, nil
}

func (f *fakeService) Resume(_ context.Context, service string) (PauseStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return PauseStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return PauseStatus{}, err
	}
	if e.pause == nil || !e.pause.Active() {
		return PauseStatus{}, fmt.Errorf("resuming %q: it is not paused: %w", service, ErrConflict)
	}
	e.pause.Ended, e.pause.EndedBy = fixedTime, PauseEndedByResume
	return *e.pause, nil
}

func (f *fakeService) StartMaintenance(_ context.Context, service string, spec MaintenanceSpec) (MaintenanceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return MaintenanceStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return MaintenanceStatus{}, err
	}
	if spec, err = spec.Normalize(); err != nil {
		return MaintenanceStatus{}, err
	}
	e.maint = &MaintenanceStatus{MaintenanceSpec: spec, Since: fixedTime}
	return *e.maint, nil
}

func (f *fakeService) EndMaintenance(_ context.Context, service string) (MaintenanceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(); err != nil {
		return MaintenanceStatus{}, err
	}
	e, err := f.entry(service)
	if err != nil {
		return MaintenanceStatus{}, err
	}
	if e.maint == nil || !e.maint.Active() {
		return MaintenanceStatus{}, fmt.Errorf("ending the maintenance of %q: it is not in maintenance: %w", service, ErrConflict)
	}
	e.maint.Ended = fixedTime
	return *e.maint, nil
}
